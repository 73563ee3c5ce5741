package storage

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/batpak-go/batpak/messages"
)

// ErrUndecided is returned by Append and AppendBatch when their answer (a
// version conflict, or the replay of an idempotency key) depends on groups
// that are written but not yet published: if such a group were lost in a
// crash, the answer would have been given for events that never existed.
// Nothing was staged. Ask again once those groups are published (the writer
// actor does so itself; its callers never see this error).
var ErrUndecided = errors.New("storage: the answer depends on events not yet durable")

// replaySingle looks up the event stored under a's idempotency key (id is
// its key-derived id). It returns the stored event's receipt (Replayed) if
// a is the same request, an *IdempotencyConflictError if the key was used
// for another one, ErrUndecided if the event is staged or written but not
// yet published, and ok=false if the key is unused.
func (e *Engine) replaySingle(a *messages.Append, id messages.ID, md messages.Metadata) (messages.Receipt, bool, error) {
	if _, ok := e.over.keyed[id]; ok {
		return messages.Receipt{}, false, fmt.Errorf("%w: idempotency key %s names an event not yet published", ErrUndecided, a.IdempotencyKey)
	}
	ev, ok, err := e.storedByID(id)
	if !ok || err != nil {
		return messages.Receipt{}, false, err
	}
	corr := a.CorrelationID
	if corr.IsZero() {
		corr = id
	}
	field := ""
	switch {
	case ev.Coordinate != a.Coordinate:
		field = "coordinate"
	case ev.Kind != a.Kind:
		field = "kind"
	case !ev.BatchID.IsZero():
		field = "batch"
	case !bytes.Equal(ev.Payload, a.Payload):
		field = "payload"
	case ev.CorrelationID != corr:
		field = "correlation"
	case ev.CausationID != a.CausationID:
		field = "causation"
	case !metadataEqual(ev.Metadata, md):
		field = "metadata"
	}
	if field != "" {
		return messages.Receipt{}, false, keyConflict(a.IdempotencyKey, &ev, a.Coordinate, a.Kind, field)
	}
	r := ev.Receipt()
	r.Replayed = true
	return r, true, nil
}

func keyConflict(key messages.ID, ev *messages.Event, c messages.Coordinate, k messages.EventKind, field string) error {
	return &messages.IdempotencyConflictError{Key: key, EventID: ev.ID, Existing: ev.Coordinate,
		ExistingKind: ev.Kind, Requested: c, RequestedKind: k, Field: field}
}

// storedByID reads the published event with the given id, payload
// included, if any.
func (e *Engine) storedByID(id messages.ID) (messages.Event, bool, error) {
	ev, err := e.Get(id)
	if isNotFound(err) {
		return messages.Event{}, false, nil
	}
	return ev, err == nil, err
}

// storedBySeq reads the published event with sequence seq, if any.
func (e *Engine) storedBySeq(seq uint64) (messages.Event, bool, error) {
	e.idx.mu.RLock()
	p := e.idx.bySeq(seq)
	ok := p < e.idx.count() && e.idx.seqOf(uint32(p)) == seq
	var en ref
	if ok {
		en = e.idx.ref(uint32(p))
	}
	e.idx.mu.RUnlock()
	if !ok {
		return messages.Event{}, false, nil
	}
	ev, err := e.readEntry(en, true)
	return ev, err == nil, err
}

// replayBatch handles a resubmitted batch. Its keyed items identify it:
//   - no keyed item is stored: a new batch (replay=false);
//   - every keyed item is stored, all in one earlier batch of the same
//     length at the same positions, and every item (keyed or not) equals
//     the stored event at its position: the same batch, whose receipts come
//     back (Replayed);
//   - some keyed items are stored and others not: ErrPartialReplay;
//   - the stored batch differs: an *IdempotencyConflictError;
//   - a keyed item names an event not yet published: ErrUndecided.
//
// A batch without keyed items is never a replay.
func (e *Engine) replayBatch(items []messages.BatchItem, ids []messages.ID, mds []messages.Metadata) ([]messages.Receipt, bool, error) {
	keyed, found := 0, 0
	first := -1 // a keyed item that is stored
	var stored messages.Event
	for i := range items {
		if items[i].IdempotencyKey.IsZero() {
			continue
		}
		keyed++
		if _, ok := e.over.keyed[ids[i]]; ok {
			return nil, false, fmt.Errorf("%w: batch item %d: idempotency key %s names an event not yet published",
				ErrUndecided, i, items[i].IdempotencyKey)
		}
		ev, ok, err := e.storedByID(ids[i])
		if err != nil {
			return nil, false, err
		}
		if ok {
			found++
			if first < 0 {
				first, stored = i, ev
			}
		}
	}
	switch {
	case found == 0:
		return nil, false, nil
	case found < keyed:
		return nil, false, messages.NewBatchError(-1, fmt.Errorf("%w: %d of the %d keyed items were already written",
			messages.ErrPartialReplay, found, keyed))
	}
	base := stored.Sequence - uint64(first)
	rs := make([]messages.Receipt, len(items))
	for i := range items {
		ev, ok, err := e.storedBySeq(base + uint64(i))
		if err != nil {
			return nil, false, err
		}
		it := &items[i]
		field := batchItemDiffers(it, ids[i], &ev, ok, stored.BatchID, rs)
		if field == "" && !metadataEqual(ev.Metadata, metaAt(mds, i)) {
			field = "metadata"
		}
		if field != "" {
			if !ok {
				ev = stored
			}
			return nil, false, messages.NewBatchError(i, keyConflict(items[first].IdempotencyKey, &ev, it.Coordinate, it.Kind, field))
		}
		rs[i] = ev.Receipt()
		rs[i].Replayed = true
	}
	if next, ok, err := e.storedBySeq(base + uint64(len(items))); err != nil {
		return nil, false, err
	} else if ok && next.BatchID == stored.BatchID {
		return nil, false, messages.NewBatchError(-1, keyConflict(items[first].IdempotencyKey, &stored,
			items[first].Coordinate, items[first].Kind, "batch length"))
	}
	return rs, true, nil
}

// batchItemDiffers names the first way the stored event ev (ok: it exists)
// differs from batch item it with event id id in batch, or "".
// earlier holds the receipts of the items before it.
func batchItemDiffers(it *messages.BatchItem, id messages.ID, ev *messages.Event, ok bool, batch messages.ID, earlier []messages.Receipt) string {
	corr := it.CorrelationID
	var cause messages.ID
	switch it.Causation.Mode {
	case messages.CauseAbsolute:
		cause = it.Causation.ID
	case messages.CausePriorItem:
		cause = earlier[it.Causation.Index].EventID
	}
	switch {
	case !ok || ev.BatchID != batch:
		return "batch"
	case !it.IdempotencyKey.IsZero() && ev.ID != id:
		return "batch position"
	case ev.Coordinate != it.Coordinate:
		return "coordinate"
	case ev.Kind != it.Kind:
		return "kind"
	case !bytes.Equal(ev.Payload, it.Payload):
		return "payload"
	case corr.IsZero() && ev.CorrelationID != ev.ID, !corr.IsZero() && ev.CorrelationID != corr:
		return "correlation"
	case ev.CausationID != cause:
		return "causation"
	}
	return ""
}
