package storage

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// New event ids are valid UUIDv7s, strictly increasing (so ids made in one
// millisecond still sort in the order they were made) and all distinct.
func TestIDSourceMakesIncreasingV7(t *testing.T) {
	s := newIDSource()
	before := time.Now()
	prev := s.next()
	sec, nsec := uuid.UUID(prev).Time().UnixTime()
	require.WithinDuration(t, before, time.Unix(sec, nsec), time.Second, "the time in the id is now")
	seen := map[[16]byte]bool{prev: true}
	for range 5000 { // more than one buffer of random bytes, many ids per millisecond
		id := s.next()
		u := uuid.UUID(id)
		require.Equal(t, uuid.Version(7), u.Version())
		require.Equal(t, uuid.RFC4122, u.Variant())
		require.Positive(t, bytes.Compare(id[:], prev[:]), "%s after %s", u, uuid.UUID(prev))
		require.False(t, seen[id])
		seen[id] = true
		prev = id
	}
}
