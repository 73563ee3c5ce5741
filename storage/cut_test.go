package storage

import (
	"strings"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/stretchr/testify/require"
)

// unpublishedAcrossRotation builds a store whose writer crashed with a
// group written (and synced) but not published, the group spanning a
// rotation: the published segment holds unpublished frames, and a later
// segment holds the rest. It returns the crashed image, the options, the
// published position and the published receipts.
func unpublishedAcrossRotation(t *testing.T) (*fs.Mem, Options, Position, []messages.Receipt) {
	t.Helper()
	h := newHarness(t, Options{SegmentSize: 4096})
	var kept []messages.Receipt
	for range 3 {
		kept = append(kept, h.put("e", strings.Repeat("p", 200)))
	}
	for range 4 {
		h.append(messages.Append{Coordinate: coord("e"), Payload: []byte(strings.Repeat("x", 1500))})
	}
	p, err := h.e.Write()
	require.NoError(t, err)
	require.NoError(t, p.Sync())
	at := h.e.Published()
	require.Greater(t, h.e.active.id, at.Segment, "the unpublished group must span a rotation")
	return h.mem.Clone(), h.opts, at, kept
}

// TestCutAfterOrderSurvivesAKill kills (a dead disk from the n-th file
// operation on) the cut of a crashed writer's unpublished groups at every
// step: whatever the step, the next Open, which no longer knows what to cut,
// succeeds and holds every published event. Before the fix the published
// segment was truncated first, and a kill before the later segment was
// removed left events whose predecessors were gone: Open failed on a version
// gap.
func TestCutAfterOrderSurvivesAKill(t *testing.T) {
	for n := int64(1); ; n++ {
		img, opts, at, kept := unpublishedAcrossRotation(t)
		faulty := fs.NewFaulty(img)
		faulty.FailFrom(n, nil)
		opts.FS, opts.CutAfter = faulty, &at
		e, err := Open("/data", opts)
		if err == nil {
			faulty.Reset()
			require.NoError(t, e.Close())
			break // the cut ran to the end before the n-th operation
		}
		crashed := img.CrashClean()
		opts.FS, opts.CutAfter = crashed, nil
		e, err = Open("/data", opts)
		require.NoError(t, err, "kill at operation %d of the cut", n)
		for _, r := range kept {
			mustGet(t, e, r.EventID)
		}
		_, err = e.Verify()
		require.NoError(t, err)
		require.NoError(t, e.Close())
		require.Less(t, n, int64(50))
	}
}

// TestCutUnpublished cuts a crashed writer's unpublished group (spanning a
// rotation) from the files at once, durably: after CutUnpublished the
// crashed image holds exactly the published events, with no CutAfter.
func TestCutUnpublished(t *testing.T) {
	h := newHarness(t, Options{SegmentSize: 4096})
	var kept []messages.Receipt
	for range 3 {
		kept = append(kept, h.put("e", strings.Repeat("p", 200)))
	}
	var lost []messages.Receipt
	for range 4 {
		lost = append(lost, h.append(messages.Append{Coordinate: coord("e"), Payload: []byte(strings.Repeat("x", 1500))}))
	}
	p, err := h.e.Write()
	require.NoError(t, err)
	require.NoError(t, p.Sync())
	require.NoError(t, h.e.CutUnpublished())
	_, err = h.e.Append(&messages.Append{Coordinate: coord("e"), Kind: testKind})
	require.Error(t, err, "a cut engine takes no more writes")
	mustGet(t, h.e, kept[0].EventID) // reads go on
	require.NoError(t, h.e.Abandon())
	mustGet(t, h.e, kept[1].EventID) // also after Abandon, until Release
	require.NoError(t, h.e.Release())
	_, err = h.e.Get(kept[1].EventID)
	require.ErrorIs(t, err, messages.ErrClosed)

	img := h.mem.CrashClean()
	e, err := Open("/data", Options{FS: img, SegmentSize: 4096})
	require.NoError(t, err)
	require.Empty(t, e.Stats().Recovery.TornTails)
	for _, r := range kept {
		mustGet(t, e, r.EventID)
	}
	for _, r := range lost {
		_, err := e.Get(r.EventID)
		require.ErrorIs(t, err, messages.ErrNotFound)
	}
	require.Equal(t, len(kept), e.Stats().Events)
	require.NoError(t, e.Close())
}
