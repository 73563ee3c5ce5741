package storage

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// crashWithUnpublished appends published events over several segments,
// then writes two groups it never publishes (the second across a
// rotation when rotate is set), and abandons the engine as a crashed
// writer does. It returns the published events and the receipts cut.
func crashWithUnpublished(t *testing.T, h *harness, rotate bool) ([]messages.Event, []messages.Receipt) {
	t.Helper()
	for i := range 40 {
		h.put([]string{"a", "b", "c"}[i%3], strings.Repeat("p", 200))
	}
	published, err := h.e.Query(Filter{})
	require.NoError(t, err)
	size := 100
	if rotate {
		size = 3000
	}
	var lost []messages.Receipt
	for range 2 {
		lost = append(lost, h.append(messages.Append{Coordinate: coord("a"), Payload: []byte(strings.Repeat("x", size))}))
		p, err := h.e.Write()
		require.NoError(t, err)
		require.NoError(t, p.Sync())
	}
	require.NoError(t, h.e.Abandon())
	return published, lost
}

// Reopen takes the crashed engine's index over: the same events, nothing
// of the unpublished groups, new appends chaining on, and a store that
// later opens from its footers and checkpoints alone.
func TestReopenReusesTheIndex(t *testing.T) {
	for _, rotate := range []bool{false, true} {
		h := newHarness(t, Options{SegmentSize: 4096})
		published, lost := crashWithUnpublished(t, h, rotate)
		old := h.e
		e, err := old.Reopen()
		require.NoError(t, err)
		h.e = e
		rep := e.Stats().Recovery
		require.True(t, rep.ReusedIndex)
		require.Equal(t, len(published), rep.Events)
		require.NotEmpty(t, rep.CutUnacknowledged, "the unpublished bytes were cut")
		got, err := e.Query(Filter{})
		require.NoError(t, err)
		require.Equal(t, published, got)
		for _, r := range lost {
			_, err := e.Get(r.EventID)
			require.ErrorIs(t, err, messages.ErrNotFound)
		}
		next := h.put("a", "after")
		require.Equal(t, published[len(published)-1].Sequence+1, next.Sequence)
		_, err = e.Verify()
		require.NoError(t, err, "the new events chain to the reused tails")

		// The crashed segment was sealed: a clean reopen reads no frame.
		h.reopen()
		rep = h.e.Stats().Recovery
		require.Zero(t, rep.ScannedSegments, "rotate=%v: %+v", rotate, rep)
		require.Equal(t, len(published)+1, rep.Events)
		all, err := h.e.Query(Filter{})
		require.NoError(t, err)
		require.Equal(t, published, all[:len(published)])
		_, err = h.e.Verify()
		require.NoError(t, err)
	}
}

// The index after Reopen is the index a full recovery builds.
func TestReopenEqualsOpen(t *testing.T) {
	h := newHarness(t, Options{SegmentSize: 4096})
	crashWithUnpublished(t, h, true)
	at := h.e.Published()
	image := h.mem.Clone()
	e, err := h.e.Reopen()
	require.NoError(t, err)
	h.e = e

	ref := &harness{t: t, mem: image, dir: h.dir, opts: h.opts, now: h.now}
	ref.opts.FS = image
	ref.opts.CutAfter = &at
	ref.open()
	defer ref.e.Close()
	want, err := ref.e.Query(Filter{})
	require.NoError(t, err)
	got, err := e.Query(Filter{})
	require.NoError(t, err)
	require.Equal(t, want, got)
	for _, c := range []string{"a", "b", "c"} {
		w, err := ref.e.Stream(coord(c), 1)
		require.NoError(t, err)
		g, err := e.Stream(coord(c), 1)
		require.NoError(t, err)
		require.Equal(t, w, g)
	}
	require.Equal(t, ref.e.Stats().NextSequence, e.Stats().NextSequence)
}

// The crashed engine's reads go on after Reopen (Release leaves the
// index to its new owner) and end when the new engine closes.
func TestReopenHandsTheIndexOver(t *testing.T) {
	h := newHarness(t, Options{SegmentSize: 4096})
	published, _ := crashWithUnpublished(t, h, false)
	old := h.e
	e, err := old.Reopen()
	require.NoError(t, err)
	h.e = e
	require.NoError(t, old.Release())
	n := 0
	for _, err := range old.Read(Filter{}) {
		require.NoError(t, err)
		n++
	}
	require.Equal(t, len(published), n, "the old engine still reads")
	_, err = old.Reopen()
	require.ErrorIs(t, err, ErrNotReopenable, "an index is handed over once")
	require.NoError(t, e.Close())
	_, err = old.Get(published[0].ID)
	require.ErrorIs(t, err, ErrClosed)
}

// Only an abandoned engine that still owns its index can be reopened.
func TestReopenRefusals(t *testing.T) {
	h := newHarness(t, Options{})
	h.put("a", "x")
	_, err := h.e.Reopen()
	require.ErrorIs(t, err, ErrNotReopenable, "an open engine")
	require.NoError(t, h.e.Abandon())
	require.NoError(t, h.e.Release())
	_, err = h.e.Reopen()
	require.ErrorIs(t, err, ErrNotReopenable, "a released engine")

	h.open()
	require.NoError(t, h.e.Close())
	_, err = h.e.Reopen()
	require.ErrorIs(t, err, ErrNotReopenable, "a closed engine")
}

// A power cut at any point after Reopen leaves a store that opens with
// every published event.
func TestReopenThenPowerLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for round := range 20 {
		h := newHarness(t, Options{SegmentSize: 4096})
		published, _ := crashWithUnpublished(t, h, round%2 == 1)
		e, err := h.e.Reopen()
		require.NoError(t, err)
		h.e = e
		more := h.put("b", "after reopen")
		img := h.mem.PowerLoss(rng)
		ref := &harness{t: t, mem: img, dir: h.dir, opts: h.opts, now: h.now}
		ref.opts.FS = img
		ref.open()
		got, err := ref.e.Query(Filter{})
		require.NoError(t, err)
		require.Equal(t, len(published)+1, len(got), "round %d", round)
		require.Equal(t, more.EventID, got[len(got)-1].ID)
		_, err = ref.e.Verify()
		require.NoError(t, err)
		require.NoError(t, ref.e.Close())
	}
}
