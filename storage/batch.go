package storage

import (
	"fmt"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
)

// AppendBatch stages the items of b as one atomic batch, framed on disk as
// BEGIN(n), the n events, COMMIT. All items are validated before anything
// is staged, so a refused batch leaves no trace; once staged, the batch
// becomes durable and visible in one piece at Commit, or not at all (also
// after a crash: recovery discards a batch without its COMMIT).
//
// Rules: at most MaxBatchItems items and MaxBatchBytes of payload; a
// causation may name only an earlier item; the keyed items identify a
// batch for idempotency: if they were all written before by one batch that
// the request matches item for item (keyed or not), the original receipts
// come back (Replayed) whatever the items' expected versions say; see
// replayBatch for the partial and conflicting cases. Otherwise each item's
// expected version must hold for its entity just before the item is staged
// (earlier items of the batch on the same entity counted; see
// checkExpected), else the whole batch is refused with a *BatchError
// naming the item, whose cause is a *VersionConflictError. An empty batch
// returns no receipts and writes nothing.
func (e *Engine) AppendBatch(b *messages.AppendBatch) ([]messages.Receipt, error) {
	if err := e.writable(); err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("storage: nil batch: %w", messages.ErrInvalidArgument)
	}
	if len(b.Items) == 0 {
		return nil, nil
	}
	ids, heads, err := e.validateBatch(b.Items)
	if err != nil {
		return nil, err
	}
	mds, err := e.batchMetadata(b)
	if err != nil {
		return nil, err
	}
	if rs, replay, err := e.replayBatch(b.Items, ids, mds); replay || err != nil {
		return rs, err
	}
	if err := e.checkExpected(b.Items, heads); err != nil {
		clear(heads)
		return nil, err
	}
	if e.gated(b.Bypass) {
		if err := e.gateBatch(b, heads, ids, mds); err != nil {
			clear(heads)
			return nil, err
		}
	}
	m := format.Marker{Batch: e.ids.next(), Count: len(b.Items), FirstSeq: e.nextSeq}
	e.stageMarker(format.TypeBegin, m)
	receipts := make([]messages.Receipt, len(b.Items))
	for i := range b.Items {
		it := &b.Items[i]
		ev := messages.Event{
			ID: ids[i], Coordinate: it.Coordinate, Kind: it.Kind, Payload: it.Payload,
			CorrelationID: it.CorrelationID, BatchID: m.Batch,
		}
		if ev.CorrelationID.IsZero() {
			ev.CorrelationID = ev.ID
		}
		if mds != nil {
			ev.Metadata = mds[i]
		}
		switch it.Causation.Mode {
		case messages.CauseAbsolute:
			ev.CausationID = it.Causation.ID
		case messages.CausePriorItem:
			ev.CausationID = receipts[it.Causation.Index].EventID
		}
		receipts[i] = e.stageEvent(ev, heads[i])
	}
	e.stageMarker(format.TypeCommit, m)
	clear(heads)
	clear(mds)
	return receipts, nil
}

// batchScratch holds the per-item slices of the batch being appended,
// reused from batch to batch.
type batchScratch struct {
	ids    []messages.ID
	heads  []*streamHead
	before map[*streamHead]uint64 // checkExpected's count of earlier items per stream
}

// validateBatch checks every rule that can refuse a batch and returns the
// event id and the stream head of each item (in slices that the next batch
// reuses).
func (e *Engine) validateBatch(items []messages.BatchItem) ([]messages.ID, []*streamHead, error) {
	bad := func(i int, f string, args ...any) error {
		return messages.NewBatchError(i, fmt.Errorf("%w: "+f, append([]any{messages.ErrInvalidBatch}, args...)...))
	}
	if len(items) > e.opts.MaxBatchItems {
		return nil, nil, bad(-1, "%d items, limit %d", len(items), e.opts.MaxBatchItems)
	}
	total := 0
	sc := &e.stage.batch
	ids := append(sc.ids[:0], make([]messages.ID, len(items))...)
	heads := append(sc.heads[:0], make([]*streamHead, len(items))...)
	sc.ids, sc.heads = ids, heads
	var seen map[messages.ID]int
	for i := range items {
		it := &items[i]
		h, err := e.validateEvent(it.Coordinate, it.Kind, it.Payload)
		if err != nil {
			return nil, nil, messages.NewBatchError(i, err)
		}
		heads[i] = h
		total += len(it.Payload)
		if err := validateItem(it, i); err != nil {
			return nil, nil, err
		}
		ids[i] = e.ids.next()
		if !it.IdempotencyKey.IsZero() {
			ids[i] = messages.IDFromKey(it.IdempotencyKey)
			if seen == nil {
				seen = make(map[messages.ID]int)
			}
			if j, dup := seen[ids[i]]; dup {
				return nil, nil, bad(i, "idempotency key repeats item %d", j)
			}
			seen[ids[i]] = i
		}
	}
	if total > e.opts.MaxBatchBytes {
		return nil, nil, bad(-1, "%d payload bytes, limit %d", total, e.opts.MaxBatchBytes)
	}
	return ids, heads, nil
}

// validateItem checks the batch rules of item i (its expected version's
// mode and its causation); whether the expected version holds is
// checkExpected's question, asked after the replay check.
func validateItem(it *messages.BatchItem, i int) error {
	bad := func(f string, args ...any) error {
		return messages.NewBatchError(i, fmt.Errorf("%w: "+f, append([]any{messages.ErrInvalidBatch}, args...)...))
	}
	if it.Expected.Mode > messages.ExpectExact {
		return bad("unknown expected-version mode %d", it.Expected.Mode)
	}
	switch c := it.Causation; c.Mode {
	case messages.CauseNone:
	case messages.CauseAbsolute:
		if c.ID.IsZero() {
			return bad("absolute causation with a zero id")
		}
	case messages.CausePriorItem:
		if c.Index < 0 || c.Index >= i {
			return bad("causation names item %d, which is not an earlier item", c.Index)
		}
	default:
		return bad("unknown causation mode %d", c.Mode)
	}
	return nil
}
