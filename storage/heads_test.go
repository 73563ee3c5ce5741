package storage

import (
	"fmt"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// Tests of the writer's stream heads (heads.go): an append resolves its
// coordinate once and the head carries the tail it chains to.

// Rollback rewinds the heads of the discarded events: to the last event of
// a group written but not yet published, or to the published tail, or to
// nothing for a stream that only the discarded events had started.
func TestRollbackRewindsStreamHeads(t *testing.T) {
	h := newHarness(t, Options{})
	first := h.put("e", "published")
	written := h.append(messages.Append{Coordinate: coord("e"), Payload: []byte("written")})
	h.append(messages.Append{Coordinate: coord("p"), Payload: []byte("written too")})
	p, err := h.e.Write()
	require.NoError(t, err)
	h.append(messages.Append{Coordinate: coord("e"), Payload: []byte("discarded")})
	h.append(messages.Append{Coordinate: coord("p"), Payload: []byte("discarded")})
	h.append(messages.Append{Coordinate: coord("new"), Payload: []byte("discarded")})
	h.append(messages.Append{Coordinate: coord("e"), Payload: []byte("discarded")})
	h.e.Rollback()

	again := h.append(messages.Append{Coordinate: coord("e"), Payload: []byte("after"), Expected: messages.Exactly(2)})
	require.Equal(t, uint64(3), again.Version, "chains to the written group's event")
	fresh := h.append(messages.Append{Coordinate: coord("new"), Payload: []byte("after"), Expected: messages.NoStream()})
	require.Equal(t, uint64(1), fresh.Version)
	require.NoError(t, p.Sync())
	require.NoError(t, h.e.Publish(p))
	require.NoError(t, h.e.Commit())

	evs, err := h.e.Stream(coord("e"), 1)
	require.NoError(t, err)
	require.Equal(t, []string{"published", "written", "after"}, payloads(evs))
	require.Equal(t, first.Hash, evs[1].PrevHash)
	require.Equal(t, written.Hash, evs[2].PrevHash)
	evs, err = h.e.Stream(coord("new"), 1)
	require.NoError(t, err)
	require.Equal(t, messages.Hash{}, evs[0].PrevHash)

	// With nothing written, a rollback rewinds to the published tail.
	h.append(messages.Append{Coordinate: coord("e"), Payload: []byte("discarded")})
	h.e.Rollback()
	last := h.put("e", "last")
	require.Equal(t, uint64(4), last.Version)
	_, err = h.e.Verify()
	require.NoError(t, err)
	h.reopen()
	_, err = h.e.Verify()
	require.NoError(t, err)
}

// The heads cache is swept once it is large: heads with unpublished events
// stay (their tails are ahead of the index), the others go and are made
// again from the index when their stream is appended to again.
func TestStreamHeadsSweepKeepsTails(t *testing.T) {
	h := newHarness(t, Options{})
	h.put("e0", "first")
	versions := map[string]uint64{"e0": 1}
	sweeps := 0
	for round := range 4 {
		for i := range 20 {
			entity := fmt.Sprintf("e%d", (i*7+round)%20)
			h.e.over.heads.sweepAt = 8 // sweep at the next publish once 8 heads are held
			r := h.append(messages.Append{Coordinate: coord(entity), Payload: []byte(entity)})
			versions[entity]++
			require.Equal(t, versions[entity], r.Version, entity)
			if i%3 == 2 { // a group written, another staged on top, across a sweep
				p, err := h.e.Write()
				require.NoError(t, err)
				h.append(messages.Append{Coordinate: coord(entity), Payload: []byte("on top")})
				versions[entity]++
				held := len(h.e.over.heads.m)
				require.NoError(t, p.Sync())
				require.NoError(t, h.e.Publish(p))
				if held >= 8 {
					sweeps++
					require.Len(t, h.e.over.heads.m, 1, "only the head with a staged event stays")
					hd := h.e.over.heads.lookup(coord(entity))
					require.NotNil(t, hd)
					require.Equal(t, versions[entity], hd.tail.version, "its tail is the staged event")
				}
			}
			require.NoError(t, h.e.Commit())
		}
	}
	require.Positive(t, sweeps)
	for entity, v := range versions {
		evs, err := h.e.Stream(coord(entity), 1)
		require.NoError(t, err)
		require.Len(t, evs, int(v), entity)
	}
	_, err := h.e.Verify()
	require.NoError(t, err)
	for _, hd := range h.e.over.heads.m {
		require.Zero(t, hd.unpublished, "%s: every event is published", hd.coord)
		require.Equal(t, h.e.idx.tailOf(hd.coord), hd.tail, "%s: the head is the published tail", hd.coord)
	}
}

// An invalid coordinate is refused whether or not a valid one was cached,
// and a refused append leaves no head behind.
func TestStreamHeadsHoldOnlyValidCoordinates(t *testing.T) {
	h := newHarness(t, Options{})
	h.put("ok", "x")
	for _, c := range []messages.Coordinate{{Entity: "", Scope: "test"}, {Entity: "ok", Scope: ""}, {Entity: "a\x00b", Scope: "test"}} {
		_, err := h.e.Append(&messages.Append{Coordinate: c, Kind: testKind})
		require.ErrorIs(t, err, messages.ErrInvalidCoordinate, "%q", c)
		require.Nil(t, h.e.over.heads.lookup(c))
	}
	_, err := h.e.Append(&messages.Append{Coordinate: coord("reserved kind"), Kind: messages.EventKind(0)})
	require.Error(t, err)
	require.Nil(t, h.e.over.heads.lookup(coord("reserved kind")), "a refused append makes no head")
}

// The footer's records are reserved ahead, by projection, so that they grow
// a handful of times in a session's first segment and never again: the
// builder keeps its room from segment to segment.
func TestFooterRecordsGrowRarely(t *testing.T) {
	h := newHarness(t, Options{SegmentSize: 1 << 20, SyncMode: SyncNone})
	grows := map[uint64]int{}
	room := func() int { return h.e.footer.Spare() + h.e.footer.RecordBytes() }
	last := room()
	for i := 0; h.e.WriterStats().ActiveSegment < 4; i++ {
		for range 16 {
			h.append(messages.Append{Coordinate: coord(fmt.Sprint(i % 50)), Payload: make([]byte, 100+i%300)})
		}
		require.NoError(t, h.e.Commit())
		if now := room(); now != last {
			grows[h.e.WriterStats().ActiveSegment]++
			last = now
		}
	}
	t.Logf("growths by segment: %v", grows)
	require.LessOrEqual(t, grows[1], 6, "the first segment's records grow a few times: %v", grows)
	require.Zero(t, grows[2]+grows[3], "later segments reuse the room: %v", grows)
}
