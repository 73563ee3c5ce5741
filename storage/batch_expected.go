package storage

import (
	"fmt"

	"github.com/batpak-go/batpak/messages"
)

// checkExpected checks the expected version of every conditional item of a
// batch (heads[i] is the stream of items[i]) before anything is staged.
// Item i's condition is checked against the version its entity has just
// before item i is staged: the stream's tail (events staged or written but
// not yet published included) plus the earlier items of this batch on the
// same entity. So a command that saw a stream at version 5 and appends
// three events to it sets the first item's Expected to Exactly(5) and
// leaves the others ExpectAny.
//
// The first condition that does not hold refuses the batch: with
// ErrUndecided if it would hold on the published log (the unpublished
// groups cause the conflict, and a crash could still cut them), else with
// a *BatchError naming the item whose cause is a *VersionConflictError
// (messages.ErrVersionConflict). A batch without conditions costs one pass
// over its items.
func (e *Engine) checkExpected(items []messages.BatchItem, heads []*streamHead) error {
	first := -1
	for i := range items {
		if !items[i].Expected.IsAny() {
			first = i
			break
		}
	}
	if first < 0 {
		return nil
	}
	sc := &e.stage.batch
	if sc.before == nil {
		sc.before = make(map[*streamHead]uint64)
	}
	before := sc.before // earlier items of this batch, per stream
	defer clear(before)
	for i := range items {
		h := heads[i]
		if exp := items[i].Expected; i >= first && !exp.IsAny() && !exp.Check(h.tail.version+before[h]) {
			return e.itemConflict(i, exp, h, before[h])
		}
		before[h]++
	}
	return nil
}

// itemConflict explains why item i's condition expected does not hold on
// stream h after k earlier items of the same batch on it, the way conflict
// does for a single append: ErrUndecided if the published log (plus the k
// items) would satisfy it, else a *BatchError for item i whose cause is a
// *VersionConflictError with the version the item was checked against.
func (e *Engine) itemConflict(i int, expected messages.ExpectedVersion, h *streamHead, k uint64) error {
	published := e.idx.tailOf(h.coord).version + k
	if published != h.tail.version+k && expected.Check(published) {
		return fmt.Errorf("%w: batch item %d expects %s of %s, which the unpublished groups change",
			ErrUndecided, i, expected, h.coord)
	}
	var cause error = &VersionConflictError{Coordinate: h.coord, Expected: expected, Actual: published}
	if k > 0 {
		cause = fmt.Errorf("%w (counting the %d earlier items of this batch on it)", cause, k)
	}
	return messages.NewBatchError(i, cause)
}
