package partition

import (
	"context"
	"slices"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
)

// Append appends one event to the partition of its entity, wherever that
// partition lives, and returns its receipt once it is committed there (the
// receipt's Sequence is the partition's global sequence). The partition's
// store answers as actors.Store.Append would, with the same typed errors
// (messages.ErrVersionConflict with its *messages.VersionConflictError,
// ErrIdempotencyConflict, a retry with the same IdempotencyKey returning
// the first receipt, ...); the request goes through the store's admission
// bound as an actor's does, so a full queue answers messages.ErrOverloaded
// (nothing written: back off and retry). An owner that is not a live member
// is answered at once with ErrPartitionUnavailable (nothing was sent); an
// owner that leaves while the append is in flight too, the error then also
// matching messages.ErrOutcomeUnknown (retry with an idempotency key). The
// span in ctx, if any, is carried to the partition's writer.
func (m *Member) Append(ctx context.Context, a *messages.Append) (messages.Receipt, error) {
	if a == nil {
		return messages.Receipt{}, invalid("nil Append")
	}
	if c := actors.Trace(ctx); c != nil && len(a.Trace) == 0 {
		cp := *a // the caller's message is not ours to change
		cp.Trace = c
		a = &cp
	}
	k := m.PartitionOf(a.Coordinate.Entity)
	res, err := m.request(ctx, k, a, true)
	if err != nil {
		return messages.Receipt{}, err
	}
	r, ok := res.(*messages.AppendReply)
	if !ok {
		return messages.Receipt{}, m.unexpected(k, res)
	}
	if err := r.Err(); err != nil {
		return messages.Receipt{}, m.storeErr(k, err)
	}
	return r.Receipt, nil
}

// AppendBatch appends the items atomically to their partition and returns
// their receipts once the batch is committed there: a batch is one
// partition store's AppendBatch, all or nothing. Its items must all map to
// one partition (their entities may differ); a batch whose items map to
// more than one is refused before anything is sent, with a
// *CrossPartitionError (ErrCrossPartitionBatch, also
// messages.ErrInvalidBatch). A causation id naming an event of another
// partition is just an id, and allowed. An empty batch writes nothing and
// returns no receipts. Errors otherwise as Append's.
func (m *Member) AppendBatch(ctx context.Context, b *messages.AppendBatch) ([]messages.Receipt, error) {
	if b == nil {
		return nil, invalid("nil AppendBatch")
	}
	if len(b.Items) == 0 {
		return nil, nil
	}
	k, err := m.batchPartition(b.Items)
	if err != nil {
		return nil, err
	}
	if c := actors.Trace(ctx); c != nil && len(b.Trace) == 0 {
		cp := *b
		cp.Trace = c
		b = &cp
	}
	res, err := m.request(ctx, k, b, true)
	if err != nil {
		return nil, err
	}
	r, ok := res.(*messages.AppendBatchReply)
	if !ok {
		return nil, m.unexpected(k, res)
	}
	if err := r.Err(); err != nil {
		return nil, m.storeErr(k, err)
	}
	return r.Receipts, nil
}

// batchPartition returns the one partition of the items, or a
// *CrossPartitionError.
func (m *Member) batchPartition(items []messages.BatchItem) (int, error) {
	each := make([]int, len(items))
	for i := range items {
		each[i] = m.PartitionOf(items[i].Coordinate.Entity)
	}
	distinct := slices.Compact(slices.Sorted(slices.Values(each)))
	if len(distinct) > 1 {
		return 0, &CrossPartitionError{Partitions: distinct, Items: each}
	}
	return distinct[0], nil
}
