package actors

import (
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// commitTimes finds the group of a sequence across the ring's wrap; a
// sequence older than the ring gets the oldest group's time (a lower bound
// of its age), one newer than the last group none.
func TestMetricCommitTimesWallOf(t *testing.T) {
	var c commitTimes
	_, ok := c.wallOf(0)
	require.False(t, ok, "no group yet")
	const groups = commitRing + 1000
	for g := range uint64(groups) { // group g holds sequences 3g, 3g+1, 3g+2, written at 1000+g ms
		c.add([]messages.Event{{Sequence: 3 * g, WallMS: int64(1000 + g)}, {Sequence: 3*g + 1}, {Sequence: 3*g + 2}})
	}
	for _, tc := range []struct {
		seq  uint64
		wall int64
		ok   bool
	}{
		{seq: 3*groups - 1, wall: 1000 + groups - 1, ok: true}, // the last event
		{seq: 3*groups - 3, wall: 1000 + groups - 1, ok: true}, // the last group's first
		{seq: 3*groups - 4, wall: 1000 + groups - 2, ok: true},
		{seq: 3 * 2500, wall: 1000 + 2500, ok: true},
		{seq: 3*1000 + 2, wall: 1000 + 1000, ok: true}, // the oldest group kept
		{seq: 3*1000 - 1, wall: 1000 + 1000, ok: true}, // older: the oldest kept
		{seq: 0, wall: 1000 + 1000, ok: true},
		{seq: 3 * groups, ok: false}, // not handed out yet
	} {
		wall, ok := c.wallOf(tc.seq)
		require.Equal(t, tc.ok, ok, "seq %d", tc.seq)
		require.Equal(t, tc.wall, wall, "seq %d", tc.seq)
	}
}
