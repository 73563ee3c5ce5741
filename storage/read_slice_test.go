package storage

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// The arena's copies are exact, never nil, never overlapping: appending to
// one cannot change another.
func TestPayloadArenaCopies(t *testing.T) {
	var a payloadArena
	var src, got [][]byte
	for i := range 3000 {
		n := i % 300
		if i%500 == 0 {
			n = arenaChunk/8 + 1 // too big for a chunk
		}
		p := bytes.Repeat([]byte{byte(i)}, n)
		src = append(src, p)
		got = append(got, a.clone(p))
	}
	for i := range got {
		require.NotNil(t, got[i])
		require.Equal(t, src[i], got[i])
		require.Equal(t, len(got[i]), cap(got[i]), "no spare capacity")
		_ = append(got[i], 0xEE) // reallocates: a neighbour is untouched
	}
	for i := range got {
		require.Equal(t, src[i], got[i])
	}
}

// The slice reads copy payloads out of the read buffer: later reads do not
// change what an earlier one returned.
func TestSliceReadsOwnTheirPayloads(t *testing.T) {
	h := newHarness(t, Options{})
	for i := range 300 {
		h.put(fmt.Sprintf("e%d", i%3), fmt.Sprintf("payload %d", i))
	}
	evs, err := h.e.Query(Filter{})
	require.NoError(t, err)
	one, err := h.e.Get(evs[7].ID)
	require.NoError(t, err)
	for range h.e.Read(Filter{Backward: true}) {
	}
	_, err = h.e.Stream(coord("e1"), 1)
	require.NoError(t, err)
	for i, ev := range evs {
		require.Equal(t, fmt.Sprintf("payload %d", i), string(ev.Payload))
	}
	require.Equal(t, "payload 7", string(one.Payload))
}
