package messages_test

import (
	"testing"

	"github.com/asynkron/protoactor-go/remote"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
)

// TestReadCorrelationCrossesRemote sends a ReadCorrelation the way
// protoactor remote does (Serialize, the proto serializer, Deserialize)
// and gets it back unchanged under its own wire name.
func TestReadCorrelationCrossesRemote(t *testing.T) {
	in := &messages.ReadCorrelation{ID: messages.NewID(), FromSeq: 1 << 40, Limit: 77}
	w, err := in.Serialize()
	require.NoError(t, err)
	require.Equal(t, "batpak.ReadCorrelation", w.(*messages.Wire).Type)
	b, typeName, err := remote.Serialize(w, 0)
	require.NoError(t, err)
	back, err := remote.Deserialize(b, typeName, 0)
	require.NoError(t, err)
	out, err := back.(remote.RootSerialized).Deserialize()
	require.NoError(t, err)
	require.Equal(t, in, out)
	require.Contains(t, messages.WireNames(), "batpak.ReadCorrelation")
}

func TestReadCorrelationValidate(t *testing.T) {
	id := messages.NewID()
	for _, tc := range []struct {
		name string
		req  *messages.ReadCorrelation
		ok   bool
	}{
		{"default limit", &messages.ReadCorrelation{ID: id}, true},
		{"max limit and a start", &messages.ReadCorrelation{ID: id, FromSeq: 9, Limit: messages.MaxReadPage}, true},
		{"nil", nil, false},
		{"zero id", &messages.ReadCorrelation{}, false},
		{"negative limit", &messages.ReadCorrelation{ID: id, Limit: -1}, false},
		{"limit too large", &messages.ReadCorrelation{ID: id, Limit: messages.MaxReadPage + 1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.req.Validate()
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, messages.ErrInvalidArgument)
		})
	}
}
