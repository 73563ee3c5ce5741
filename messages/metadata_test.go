package messages_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/messages"
)

// Metadata encodes with sorted keys: the same map always gives the same
// bytes, whatever Go's map order.
func TestMetadataEncodingIsSorted(t *testing.T) {
	m := messages.Metadata{}
	for _, k := range []string{"z", "a", "m", "b", "y", "c", "x", "d"} {
		m[k] = k + k
	}
	first, err := msgpack.Marshal(m)
	require.NoError(t, err)
	for range 20 {
		again, err := msgpack.Marshal(m)
		require.NoError(t, err)
		require.Equal(t, first, again)
	}
	want := []byte{0x88}
	for _, k := range []string{"a", "b", "c", "d", "m", "x", "y", "z"} {
		want = append(want, 0xa1, k[0], 0xa2, k[0], k[0])
	}
	require.Equal(t, want, first)
	require.Equal(t, 24, m.Bytes(), "keys and values: 8 × (1 + 2)")
}

// A hostile map header cannot make the decoder allocate for entries the
// input does not hold.
func TestMetadataDecodeBoundsAllocation(t *testing.T) {
	hostile := []byte{0xdf, 0x7f, 0xff, 0xff, 0xff}
	var m messages.Metadata
	allocs := testing.AllocsPerRun(10, func() { _ = msgpack.Unmarshal(hostile, &m) })
	require.Less(t, allocs, 20.0)
	require.Error(t, msgpack.Unmarshal(hostile, &m))
	var e messages.Event
	require.NoError(t, msgpack.Unmarshal(mustMarshal(t, messages.Event{ID: idA}), &e))
	require.Nil(t, e.Metadata, "absent metadata decodes as nil")
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := msgpack.Marshal(v)
	require.NoError(t, err)
	require.False(t, bytes.Contains(b, []byte("meta")), "empty metadata is omitted")
	return b
}
