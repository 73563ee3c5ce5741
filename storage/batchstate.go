package storage

import (
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
)

// batchState is the rule that decides which events of the log an atomic
// batch commits, read record by record in log order. Recovery's replay
// (replayer) and the directory scanner (DirScanner) both follow it, so
// that a tool reading the files sees exactly the events Open would.
//
// A BEGIN opens a batch (discarding one still open); its items are held;
// its COMMIT, naming the same batch and count after exactly count items,
// commits them. Anything else discards the open batch: another BEGIN, a
// COMMIT that does not match, an item of another batch or past the count
// (that item is dropped too), an event outside any batch, or the end of
// the log. A discarded batch was never acknowledged.
type batchState[T any] struct {
	open  bool
	batch format.Marker // Count < 0: held (see hold): its count is not known yet
	items []T
	// discardedBatches and discardedEvents count what discard dropped.
	discardedBatches, discardedEvents int
}

// routes of an event (see route).
const (
	routeAlone = iota // not in a batch: committed at once
	routeHold         // an item of the open batch: append it to items
	routeDrop         // an item outside its batch: dropped
)

// hold opens batch id as if its BEGIN had just been read (its count
// unknown until its COMMIT): a replay that resumes at the batch's first
// item, after checkpoints.
func (b *batchState[T]) hold(id messages.ID) {
	b.discard()
	b.open, b.batch = true, format.Marker{Batch: id, Count: -1}
}

// discard drops the open batch, if any, counting it.
func (b *batchState[T]) discard() {
	if b.open && b.batch.Count < 0 && len(b.items) == 0 {
		b.open = false // a held batch never seen: nothing to report
		return
	}
	if b.open {
		b.discardedBatches++
		b.discardedEvents += len(b.items)
		b.open = false
		clear(b.items)
		b.items = b.items[:0]
	}
}

// begin takes a BEGIN marker.
func (b *batchState[T]) begin(m format.Marker) {
	if b.open && b.batch.Count < 0 && b.batch.Batch == m.Batch && len(b.items) == 0 {
		b.batch = m // the held batch's BEGIN: the replay resumed before it
		return
	}
	b.discard()
	b.open, b.batch = true, m
}

// commit takes a COMMIT marker and returns the items it commits, in order,
// and true; or false when it commits nothing (the open batch, if any, is
// discarded). The slice is valid until the next call; call done once the
// items are applied.
func (b *batchState[T]) commit(m format.Marker) ([]T, bool) {
	count := b.batch.Count
	if count < 0 { // held: its BEGIN was before the resume point
		count = m.Count
	}
	if !b.open || b.batch.Batch != m.Batch || len(b.items) != count || m.Count != count {
		b.discard()
		return nil, false
	}
	return b.items, true
}

// done closes the batch whose items commit returned.
func (b *batchState[T]) done() {
	b.open = false
	clear(b.items)
	b.items = b.items[:0]
}

// route says what becomes of an event of batch id (zero: in no batch).
// For routeHold the caller appends the event to b.items.
func (b *batchState[T]) route(id messages.ID) int {
	if id.IsZero() {
		b.discard()
		return routeAlone
	}
	if !b.open || b.batch.Batch != id || b.batch.Count >= 0 && len(b.items) >= b.batch.Count {
		b.discard() // an item outside its batch: the batch is broken
		return routeDrop
	}
	return routeHold
}
