package storage

import (
	"strings"
	"testing"
	"time"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

func items(entity string, ps ...string) []messages.BatchItem {
	out := make([]messages.BatchItem, len(ps))
	for i, p := range ps {
		out[i] = messages.BatchItem{Coordinate: coord(entity), Kind: testKind, Payload: []byte(p)}
	}
	return out
}

func (h *harness) batch(its []messages.BatchItem) []messages.Receipt {
	h.t.Helper()
	rs, err := h.e.AppendBatch(&messages.AppendBatch{Items: its})
	require.NoError(h.t, err)
	require.NoError(h.t, h.e.Commit())
	return rs
}

func TestBatchIsContiguousAndMarkersAreInvisible(t *testing.T) {
	h := newHarness(t, Options{})
	h.put("a", "before")
	rs := h.batch(append(items("a", "1", "2"), items("b", "3")...))
	require.Len(t, rs, 3)
	for i, r := range rs {
		require.Equal(t, uint64(1+i), r.Sequence)
	}
	all, err := h.e.Query(Filter{})
	require.NoError(t, err)
	require.Equal(t, []string{"before", "1", "2", "3"}, payloads(all))
	for _, ev := range all[1:] {
		require.False(t, ev.BatchID.IsZero())
		require.False(t, ev.Kind.IsReserved())
	}
	require.Equal(t, all[1].BatchID, all[3].BatchID)
}

func TestEmptyBatchWritesNothing(t *testing.T) {
	h := newHarness(t, Options{})
	rs, err := h.e.AppendBatch(&messages.AppendBatch{})
	require.NoError(t, err)
	require.Empty(t, rs)
	require.Zero(t, h.e.Staged())
	r := h.put("e", "x")
	require.Equal(t, uint64(0), r.Sequence)
}

func TestBatchValidation(t *testing.T) {
	h := newHarness(t, Options{MaxBatchItems: 4, MaxBatchBytes: 10})
	h.put("e", "seed")
	key := messages.NewID()
	tests := []struct {
		name  string
		items []messages.BatchItem
		want  error
		item  int
	}{
		{"too many items", items("e", "1", "2", "3", "4", "5"), messages.ErrInvalidBatch, -1},
		{"too many bytes", items("e", "123456", "12345"), messages.ErrInvalidBatch, -1},
		{"unknown expected-version mode", []messages.BatchItem{{Coordinate: coord("e"), Kind: testKind}, {Coordinate: coord("e"), Kind: testKind, Expected: messages.ExpectedVersion{Mode: 9}}}, messages.ErrInvalidBatch, 1},
		{"forward causation", []messages.BatchItem{{Coordinate: coord("e"), Kind: testKind, Causation: messages.CausedByItem(1)}, {Coordinate: coord("e"), Kind: testKind}}, messages.ErrInvalidBatch, 0},
		{"self causation", []messages.BatchItem{{Coordinate: coord("e"), Kind: testKind}, {Coordinate: coord("e"), Kind: testKind, Causation: messages.CausedByItem(1)}}, messages.ErrInvalidBatch, 1},
		{"negative causation", []messages.BatchItem{{Coordinate: coord("e"), Kind: testKind, Causation: messages.CausedByItem(-1)}}, messages.ErrInvalidBatch, 0},
		{"zero absolute causation", []messages.BatchItem{{Coordinate: coord("e"), Kind: testKind, Causation: messages.CausationRef{Mode: messages.CauseAbsolute}}}, messages.ErrInvalidBatch, 0},
		{"reserved kind", []messages.BatchItem{{Coordinate: coord("e"), Kind: testKind}, {Coordinate: coord("e"), Kind: messages.KindBatchBegin}}, messages.ErrReservedKind, 1},
		{"bad coordinate", []messages.BatchItem{{Coordinate: coord(""), Kind: testKind}}, messages.ErrInvalidCoordinate, 0},
		{"repeated key", []messages.BatchItem{{Coordinate: coord("e"), Kind: testKind, IdempotencyKey: key}, {Coordinate: coord("e"), Kind: testKind, IdempotencyKey: key}}, messages.ErrInvalidBatch, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.e.AppendBatch(&messages.AppendBatch{Items: tc.items})
			require.ErrorIs(t, err, tc.want)
			var be *BatchError
			require.ErrorAs(t, err, &be)
			require.Equal(t, tc.item, be.Item)
			require.Zero(t, h.e.Staged(), "a refused batch stages nothing")
		})
	}
	h.batch(items("e", "12345", "67890")) // exactly MaxBatchBytes
	require.Equal(t, 3, h.e.Stats().Events)
}

func TestBatchCausationAndCorrelation(t *testing.T) {
	h := newHarness(t, Options{})
	root := h.put("order/1", "placed")
	corr := messages.NewID()
	rs := h.batch([]messages.BatchItem{
		{Coordinate: coord("stock/9"), Kind: testKind, CorrelationID: corr, Causation: messages.CausedBy(root.EventID)},
		{Coordinate: coord("mail/3"), Kind: testKind, CorrelationID: corr, Causation: messages.CausedByItem(0)},
	})
	a, err := h.e.Get(rs[0].EventID)
	require.NoError(t, err)
	require.Equal(t, root.EventID, a.CausationID)
	b, err := h.e.Get(rs[1].EventID)
	require.NoError(t, err)
	require.Equal(t, rs[0].EventID, b.CausationID)
	require.Equal(t, corr, b.CorrelationID)
	anc, err := h.e.Ancestors(rs[1].EventID, 0)
	require.NoError(t, err)
	require.Equal(t, []messages.ID{rs[0].EventID, root.EventID}, []messages.ID{anc[0].ID, anc[1].ID})
}

func TestBatchHashChainSurvivesReopenByFooterAndByScan(t *testing.T) {
	h := newHarness(t, Options{})
	head := h.put("e", "head")
	rs := h.batch(items("e", "one", "two", "three"))
	require.Equal(t, uint64(2), rs[0].Version)
	evs, err := h.e.Stream(coord("e"), 1)
	require.NoError(t, err)
	require.Equal(t, head.Hash, evs[1].PrevHash)
	require.Equal(t, evs[1].Hash, evs[2].PrevHash)
	require.Equal(t, evs[2].Hash, evs[3].PrevHash)

	h.reopen()
	require.Equal(t, 1, h.e.Stats().Recovery.FooterSegments)
	viaFooter, err := h.e.Stream(coord("e"), 1)
	require.NoError(t, err)
	require.Equal(t, evs, viaFooter)

	require.NoError(t, h.e.Close())
	h.stripFooters()
	h.open()
	require.Zero(t, h.e.Stats().Recovery.FooterSegments)
	viaScan, err := h.e.Stream(coord("e"), 1)
	require.NoError(t, err)
	require.Equal(t, evs, viaScan)
	_, err = h.e.Verify()
	require.NoError(t, err)
	next := h.put("e", "after")
	require.Equal(t, evs[3].Hash, mustGet(t, h.e, next.EventID).PrevHash)
}

func mustGet(t *testing.T, e *Engine, id messages.ID) messages.Event {
	t.Helper()
	ev, err := e.Get(id)
	require.NoError(t, err)
	return ev
}

func TestBatchWallClockUnderRegressingClock(t *testing.T) {
	h := newHarness(t, Options{})
	base := h.now
	calls := 0
	h.e.opts.Clock = func() time.Time { calls++; return base.Add(-time.Duration(calls) * 10 * time.Millisecond) }
	h.put("e", "first")
	h.batch(items("e", "a", "b", "c", "d"))
	evs, err := h.e.Stream(coord("e"), 1)
	require.NoError(t, err)
	for i := 1; i < len(evs); i++ {
		require.GreaterOrEqual(t, evs[i].WallMS, evs[i-1].WallMS)
	}
}

func TestBatchRotatesInTheMiddle(t *testing.T) {
	for _, scan := range []bool{false, true} {
		h := newHarness(t, Options{SegmentSize: 4096})
		big := strings.Repeat("p", 400)
		var ps []string
		for i := 0; i < 20; i++ {
			ps = append(ps, big+string(rune('a'+i)))
		}
		rs := h.batch(items("e", ps...))
		require.GreaterOrEqual(t, h.e.WriterStats().ActiveSegment-rs[0].Segment, uint64(1), "the batch spans segments")
		require.NoError(t, h.e.Close())
		if scan {
			h.stripFooters()
		}
		h.open()
		for i, r := range rs {
			ev := mustGet(t, h.e, r.EventID)
			require.Equal(t, ps[i], string(ev.Payload))
			require.Equal(t, r.Segment, ev.Segment)
		}
		_, err := h.e.Verify()
		require.NoError(t, err)
	}
}

func TestBatchReplay(t *testing.T) {
	h := newHarness(t, Options{})
	keyed := items("e", "1", "2", "3")
	for i := range keyed {
		keyed[i].IdempotencyKey = messages.NewID()
	}
	first := h.batch(keyed)
	again := h.batch(keyed)
	for i := range again {
		require.True(t, again[i].Replayed)
		again[i].Replayed = false
	}
	require.Equal(t, first, again)
	require.Equal(t, 3, h.e.Stats().Events)

	overlap := append([]messages.BatchItem{{Coordinate: coord("e"), Kind: testKind, IdempotencyKey: messages.NewID()}}, keyed[:2]...)
	_, err := h.e.AppendBatch(&messages.AppendBatch{Items: overlap})
	require.ErrorIs(t, err, messages.ErrPartialReplay)
	mixed := append([]messages.BatchItem{{Coordinate: coord("e"), Kind: testKind}}, keyed[0])
	_, err = h.e.AppendBatch(&messages.AppendBatch{Items: mixed})
	require.ErrorIs(t, err, messages.ErrIdempotencyConflict, "keyed item 0 was written at another position of another batch")
	require.Zero(t, h.e.Staged())

	h.reopen()
	after := h.batch(keyed)
	for i := range after {
		after[i].Replayed = false
	}
	require.Equal(t, first, after)
}

func TestReadersNeverSeePartOfABatch(t *testing.T) {
	h := newHarness(t, Options{SegmentSize: 8192})
	const batches, size = 60, 7
	done := make(chan struct{})
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		for {
			select {
			case <-done:
				return
			default:
			}
			evs, err := h.e.Query(Filter{})
			if err != nil {
				errs <- err
				return
			}
			if len(evs)%size != 0 {
				errs <- errPartialBatch(len(evs))
				return
			}
		}
	}()
	for i := 0; i < batches; i++ {
		h.batch(items("e", "a", "b", "c", "d", "e", "f", "g"))
	}
	close(done)
	require.NoError(t, <-errs)
	require.Equal(t, batches*size, h.e.Stats().Events)
}

type errPartialBatch int

func (n errPartialBatch) Error() string { return "reader saw a partial batch" }
