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
// Rules: at most MaxBatchItems items and MaxBatchBytes of payload; no item
// may carry an expected version; a causation may name only an earlier item;
// the keyed items identify a batch for idempotency: if they were all
// written before by one batch that the request matches item for item (keyed
// or not), the original receipts come back (Replayed); see replayBatch for
// the partial and conflicting cases. An empty batch returns no receipts and
// writes nothing.
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
	ids, err := e.validateBatch(b.Items)
	if err != nil {
		return nil, err
	}
	if rs, replay, err := e.replayBatch(b.Items, ids); replay || err != nil {
		return rs, err
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
		switch it.Causation.Mode {
		case messages.CauseAbsolute:
			ev.CausationID = it.Causation.ID
		case messages.CausePriorItem:
			ev.CausationID = receipts[it.Causation.Index].EventID
		}
		receipts[i] = e.stageEvent(ev, e.tailOf(it.Coordinate))
	}
	e.stageMarker(format.TypeCommit, m)
	return receipts, nil
}

// validateBatch checks every rule that can refuse a batch and returns the
// event id of each item.
func (e *Engine) validateBatch(items []messages.BatchItem) ([]messages.ID, error) {
	bad := func(i int, f string, args ...any) error {
		return messages.NewBatchError(i, fmt.Errorf("%w: "+f, append([]any{messages.ErrInvalidBatch}, args...)...))
	}
	if len(items) > e.opts.MaxBatchItems {
		return nil, bad(-1, "%d items, limit %d", len(items), e.opts.MaxBatchItems)
	}
	total := 0
	ids := make([]messages.ID, len(items))
	seen := make(map[messages.ID]int)
	for i := range items {
		it := &items[i]
		if err := e.validateEvent(it.Coordinate, it.Kind, it.Payload); err != nil {
			return nil, messages.NewBatchError(i, err)
		}
		total += len(it.Payload)
		if !it.Expected.IsAny() {
			return nil, bad(i, "an expected version (%s) is not allowed inside a batch", it.Expected)
		}
		switch c := it.Causation; c.Mode {
		case messages.CauseNone:
		case messages.CauseAbsolute:
			if c.ID.IsZero() {
				return nil, bad(i, "absolute causation with a zero id")
			}
		case messages.CausePriorItem:
			if c.Index < 0 || c.Index >= i {
				return nil, bad(i, "causation names item %d, which is not an earlier item", c.Index)
			}
		default:
			return nil, bad(i, "unknown causation mode %d", c.Mode)
		}
		ids[i] = e.ids.next()
		if !it.IdempotencyKey.IsZero() {
			ids[i] = messages.IDFromKey(it.IdempotencyKey)
			if j, dup := seen[ids[i]]; dup {
				return nil, bad(i, "idempotency key repeats item %d", j)
			}
			seen[ids[i]] = i
		}
	}
	if total > e.opts.MaxBatchBytes {
		return nil, bad(-1, "%d payload bytes, limit %d", total, e.opts.MaxBatchBytes)
	}
	return ids, nil
}
