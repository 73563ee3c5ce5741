package format

import (
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

// The hand-written codec produces standard msgpack: a reflection-based
// decoder reads the same values back.
func TestFrameBodyIsStandardMsgpack(t *testing.T) {
	ev := messages.Event{
		Sequence: 1 << 40, ID: messages.NewID(), Coordinate: messages.Coordinate{Entity: "order/1", Scope: "shop"},
		Kind: messages.MustKind(3, 9), Version: 300, WallMS: 1_700_000_000_000, TimestampUS: -5,
		CorrelationID: messages.NewID(), CausationID: messages.NewID(), Payload: make([]byte, 70_000),
	}
	frame := AppendEventFrame(nil, &ev, NewHasher())
	body, _, err := DecodeFrame(frame)
	require.NoError(t, err)
	var fields []any
	require.NoError(t, msgpack.Unmarshal(body, &fields))
	require.Len(t, fields, EventFields)
	require.EqualValues(t, TypeEvent, fields[0])
	require.EqualValues(t, ev.Sequence, fields[1])
	require.Equal(t, ev.ID[:], fields[2])
	require.Equal(t, "order/1", fields[3])
	require.Equal(t, "shop", fields[4])
	require.EqualValues(t, ev.Kind, fields[5])
	require.EqualValues(t, 300, fields[6])
	require.EqualValues(t, ev.WallMS, fields[7])
	require.EqualValues(t, -5, fields[8])
	require.Equal(t, ev.CorrelationID[:], fields[9])
	require.Equal(t, ev.CausationID[:], fields[10])
	require.Nil(t, fields[11], "no batch")
	require.Len(t, fields[13], 70_000)
	require.Equal(t, ev.Hash[:], fields[14])
}
