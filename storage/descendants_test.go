package storage

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// causeChain appends a chain of reactions three levels deep across
// entities, among unrelated events, and returns its ids: root, the
// reaction to it, two reactions to that (a batch, the second caused by the
// first item... and both by level 1), and a reaction to the second of
// those.
type causeChain struct {
	root, l1, l2a, l2b, l3, forged messages.ID
}

func buildChain(h *harness) causeChain {
	h.t.Helper()
	var c causeChain
	later := messages.NewID() // the key of l3, whose id an earlier event forges as its cause
	c.forged = h.append(messages.Append{Coordinate: coord("forger"), CausationID: messages.IDFromKey(later)}).EventID
	c.root = h.put("order/1", "placed").EventID
	h.put("noise/1", "n")
	c.l1 = h.append(messages.Append{Coordinate: coord("stock/9"), CausationID: c.root}).EventID
	h.put("noise/2", "n")
	rs := h.batch([]messages.BatchItem{
		{Coordinate: coord("mail/3"), Kind: testKind, Causation: messages.CausedBy(c.l1)},
		{Coordinate: coord("noise/3"), Kind: testKind},
		{Coordinate: coord("ship/4"), Kind: testKind, Causation: messages.CausedBy(c.l1)},
	})
	c.l2a, c.l2b = rs[0].EventID, rs[2].EventID
	h.append(messages.Append{Coordinate: coord("noise/4"), CausationID: c.root}) // a sibling of l1, caused by root too
	require.NoError(h.t, h.e.Commit())
	c.l3 = h.append(messages.Append{Coordinate: coord("invoice/5"), CausationID: c.l2b, IdempotencyKey: later}).EventID
	require.NoError(h.t, h.e.Commit())
	return c
}

func ids(evs []messages.Event) []messages.ID {
	out := make([]messages.ID, len(evs))
	for i := range evs {
		out[i] = evs[i].ID
	}
	return out
}

// checkChain walks the chain back with Ancestors and forward with
// Descendants and ReadDescendants, and asks about an unknown id.
func checkChain(t *testing.T, e *Engine, c causeChain, sibling messages.ID) {
	t.Helper()
	anc, err := e.Ancestors(c.l3, 0)
	require.NoError(t, err)
	require.Equal(t, []messages.ID{c.l2b, c.l1, c.root}, ids(anc))
	for _, tc := range []struct {
		from messages.ID
		want []messages.ID
	}{
		{c.root, []messages.ID{c.l1, c.l2a, c.l2b, sibling, c.l3}},
		{c.l1, []messages.ID{c.l2a, c.l2b, c.l3}},
		{c.l2b, []messages.ID{c.l3}},
		{c.l3, []messages.ID{}},
		{c.forged, []messages.ID{}},
	} {
		got, err := e.Descendants(tc.from)
		require.NoError(t, err)
		require.Equal(t, tc.want, ids(got), "descendants of %s", tc.from)
		for i := 1; i < len(got); i++ {
			require.Less(t, got[i-1].Sequence, got[i].Sequence, "global order")
		}
		var streamed []messages.ID
		for ev, err := range e.ReadDescendants(tc.from) {
			require.NoError(t, err)
			streamed = append(streamed, ev.ID)
		}
		require.Equal(t, tc.want, append([]messages.ID{}, streamed...), "ReadDescendants of %s", tc.from)
	}
	_, err = e.Descendants(messages.NewID())
	require.ErrorIs(t, err, ErrNotFound)
	require.ErrorIs(t, err, messages.ErrNotFound)
	for _, err := range e.ReadDescendants(messages.NewID()) {
		require.ErrorIs(t, err, ErrNotFound)
	}
}

// A chain of reactions three levels deep across entities is walked back
// by Ancestors and forward by Descendants (in global order, payloads
// included), in the session that wrote it, after a clean reopen
// (checkpoints and footers), after a crash (a scan), and after a writer
// restart (Reopen). An event whose forged causation names a later event
// is not its descendant.
func TestDescendants(t *testing.T) {
	h := newHarness(t, Options{SegmentSize: 4 << 10})
	for range 40 { // several segments, so that reopen loads checkpoints
		h.put("bulk", "0123456789012345678901234567890123456789012345678901234567890123456789")
	}
	c := buildChain(h)
	all, err := h.e.Query(Filter{})
	require.NoError(t, err)
	var sibling messages.ID
	for _, ev := range all {
		if ev.Coordinate == coord("noise/4") {
			sibling = ev.ID
		}
	}
	anc, err := h.e.Ancestors(c.forged, 0)
	require.NoError(t, err)
	require.Equal(t, []messages.ID{c.l3, c.l2b, c.l1, c.root}, ids(anc), "the forged cause, followed back")
	got, err := h.e.Descendants(c.l1)
	require.NoError(t, err)
	require.Equal(t, "", string(got[0].Payload))

	t.Run("live", func(t *testing.T) { checkChain(t, h.e, c, sibling) })
	t.Run("reopen", func(t *testing.T) {
		h.reopen()
		require.NotZero(t, h.e.Stats().Recovery.CheckpointSegments, "loaded from checkpoints")
		checkChain(t, h.e, c, sibling)
	})
	t.Run("crash", func(t *testing.T) {
		h.crashReopen()
		checkChain(t, h.e, c, sibling)
	})
	t.Run("writer restart", func(t *testing.T) {
		h.reopen()
		got, err := h.e.Descendants(c.l2b) // fills from l2b's position only
		require.NoError(t, err)
		require.Equal(t, []messages.ID{c.l3}, ids(got))
		h.append(messages.Append{Coordinate: coord("lost"), CausationID: c.l3}) // written, never published
		_, err = h.e.Write()
		require.NoError(t, err)
		require.NoError(t, h.e.Abandon())
		n, err := h.e.Reopen()
		require.NoError(t, err)
		h.e = n
		l4 := h.append(messages.Append{Coordinate: coord("after/6"), CausationID: c.l3}).EventID
		require.NoError(t, h.e.Commit())
		got, err = h.e.Descendants(c.root)
		require.NoError(t, err)
		require.Equal(t, []messages.ID{c.l1, c.l2a, c.l2b, sibling, c.l3, l4}, ids(got))
	})
}

// The causation of the events Open loaded is read on demand, in steps
// downward, and only from the queried event on; the table's memory is in
// IndexBytes.
func TestDescendantsFillsOnDemand(t *testing.T) {
	h := newHarness(t, Options{})
	root := h.put("root", "r").EventID
	prev := root
	for range 50 {
		prev = h.append(messages.Append{Coordinate: coord("chain"), CausationID: prev}).EventID
		require.NoError(t, h.e.Commit())
	}
	last := prev
	h.reopen()
	x := h.e.idx
	x.causes.step = 7
	require.Equal(t, uint32(51), x.causes.known)
	before := h.e.Stats().IndexBytes
	got, err := h.e.Descendants(last)
	require.NoError(t, err)
	require.Empty(t, got)
	require.Equal(t, uint32(51), x.causes.known, "nothing after the last event to read")
	got, err = h.e.Descendants(root)
	require.NoError(t, err)
	require.Len(t, got, 50)
	require.Equal(t, last, got[49].ID)
	require.Equal(t, uint32(1), x.causes.known, "read down to the root's successor")
	require.Greater(t, h.e.Stats().IndexBytes, before, "the causation table counts")
}

// Descendants that fill the causation table race with each other, with
// appends that add to it, and with Close; every answer is in global order
// and holds what was committed before it was asked; after Close the
// answer is ErrClosed.
func TestDescendantsConcurrent(t *testing.T) {
	h := newHarness(t, Options{})
	root := h.put("root", "r").EventID
	for i := range 300 {
		h.append(messages.Append{Coordinate: coord("c"), CausationID: root, Payload: []byte{byte(i)}})
		if i%10 == 0 {
			require.NoError(t, h.e.Commit())
		}
	}
	require.NoError(t, h.e.Commit())
	h.reopen()
	h.e.idx.causes.step = 16
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				got, err := h.e.Descendants(root)
				if errors.Is(err, ErrClosed) {
					return
				}
				require.NoError(t, err)
				require.GreaterOrEqual(t, len(got), 300)
				require.True(t, slices.IsSortedFunc(got, func(a, b messages.Event) int { return int(a.Sequence) - int(b.Sequence) }))
			}
		}()
	}
	for range 50 {
		h.append(messages.Append{Coordinate: coord("c"), CausationID: root})
		require.NoError(t, h.e.Commit())
	}
	wg.Wait()
	got, err := h.e.Descendants(root)
	require.NoError(t, err)
	require.Len(t, got, 350)
	require.NoError(t, h.e.Close())
	_, err = h.e.Descendants(root)
	require.ErrorIs(t, err, ErrClosed)
}
