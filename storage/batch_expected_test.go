package storage

import (
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// item is a batch item on entity with payload p and condition exp.
func item(entity, p string, exp messages.ExpectedVersion) messages.BatchItem {
	return messages.BatchItem{Coordinate: coord(entity), Kind: testKind, Payload: []byte(p), Expected: exp}
}

// requireItemConflict checks that err refuses a batch at item i with a
// version conflict on entity: expected, actual, both found by errors.As.
func requireItemConflict(t *testing.T, err error, i int, entity string, expected messages.ExpectedVersion, actual uint64) {
	t.Helper()
	require.ErrorIs(t, err, messages.ErrVersionConflict)
	require.NotErrorIs(t, err, ErrUndecided)
	var be *BatchError
	require.ErrorAs(t, err, &be)
	require.Equal(t, i, be.Item)
	var vc *VersionConflictError
	require.ErrorAs(t, err, &vc)
	require.Equal(t, VersionConflictError{Coordinate: coord(entity), Expected: expected, Actual: actual}, *vc)
}

// Each item's condition is checked against its entity's version just
// before the item is staged: the committed version plus the earlier items
// of the same batch on that entity. One failed condition refuses the whole
// batch, nothing staged or written, naming the item and the version it saw.
func TestBatchExpectedVersions(t *testing.T) {
	x, a, n := messages.Exactly, messages.Any(), messages.NoStream()
	tests := []struct {
		name   string
		items  []messages.BatchItem
		item   int    // refused at this item, -1: accepted
		entity string // of the refused item
		actual uint64
	}{
		{"first item at the read version, the rest any", []messages.BatchItem{item("e", "1", x(2)), item("e", "2", a), item("e", "3", a)}, -1, "", 0},
		{"new stream", []messages.BatchItem{item("new", "1", n), item("new", "2", a)}, -1, "", 0},
		{"every item counts the earlier ones", []messages.BatchItem{item("e", "1", x(2)), item("f", "x", x(1)), item("e", "2", x(3)), item("e", "3", x(4))}, -1, "", 0},
		{"two streams, each at its version", []messages.BatchItem{item("f", "1", x(1)), item("new", "2", n), item("e", "3", x(2))}, -1, "", 0},
		{"stale first item", []messages.BatchItem{item("e", "1", x(1)), item("e", "2", a)}, 0, "e", 2},
		{"no stream on a stream", []messages.BatchItem{item("f", "1", a), item("e", "2", n)}, 1, "e", 2},
		{"later item ignores the earlier ones", []messages.BatchItem{item("e", "1", x(2)), item("e", "2", x(2))}, 1, "e", 3},
		{"later item ignores two earlier ones", []messages.BatchItem{item("e", "1", a), item("f", "x", a), item("e", "2", a), item("e", "3", n)}, 3, "e", 4},
		{"new stream expected to exist", []messages.BatchItem{item("e", "1", x(2)), item("new", "2", x(1))}, 1, "new", 0},
		{"the last of many items", []messages.BatchItem{item("f", "1", a), item("f", "2", a), item("f", "3", x(9))}, 2, "f", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			h.put("e", "e1")
			h.put("e", "e2")
			h.put("f", "f1")
			rs, err := h.e.AppendBatch(&messages.AppendBatch{Items: tc.items})
			if tc.item < 0 {
				require.NoError(t, err)
				require.NoError(t, h.e.Commit())
				for i, r := range rs {
					ev, err := h.e.Get(r.EventID)
					require.NoError(t, err)
					require.Equal(t, tc.items[i].Payload, ev.Payload)
					require.True(t, tc.items[i].Expected.Check(ev.Version-1), "item %d landed where its condition held", i)
				}
				require.Equal(t, 3+len(tc.items), h.e.Stats().Events)
				return
			}
			requireItemConflict(t, err, tc.item, tc.entity, tc.items[tc.item].Expected, tc.actual)
			require.Nil(t, rs)
			require.Zero(t, h.e.Staged(), "a refused batch stages nothing")
			require.NoError(t, h.e.Commit())
			h.crashReopen()
			require.Equal(t, 3, h.e.Stats().Events, "nothing of it is written")
			r := h.put("e", "after") // the writer goes on, chained to the committed tail
			require.Equal(t, uint64(3), r.Version)
		})
	}
}

// A conditional item that fails only because of events staged or written
// but not yet published is not decided (ErrUndecided, nothing staged), as
// for a single append: a crash could still cut those events. An item that
// chains onto them is staged. Once they are committed, the conflict is a
// fact, reported with the committed version.
func TestBatchExpectedSeesUnpublishedGroups(t *testing.T) {
	h := newHarness(t, Options{})
	h.put("other", "o")
	h.append(messages.Append{Coordinate: coord("e"), Payload: []byte("staged")})
	_, err := h.e.AppendBatch(&messages.AppendBatch{Items: []messages.BatchItem{item("other", "1", messages.Exactly(1)), item("e", "1", messages.NoStream())}})
	require.ErrorIs(t, err, ErrUndecided, "e exists only in the unpublished group")
	require.NotErrorIs(t, err, messages.ErrVersionConflict)
	require.Equal(t, 1, h.e.Staged(), "nothing of the batch is staged")
	_, err = h.e.AppendBatch(&messages.AppendBatch{Items: []messages.BatchItem{item("e", "1", messages.Any()), item("e", "2", messages.Exactly(1))}})
	require.ErrorIs(t, err, ErrUndecided, "counting the earlier item, the published log (0+1) would satisfy it")

	p, err := h.e.Write() // written, not yet published
	require.NoError(t, err)
	_, err = h.e.AppendBatch(&messages.AppendBatch{Items: []messages.BatchItem{item("e", "1", messages.NoStream())}})
	require.ErrorIs(t, err, ErrUndecided, "written is not published")
	rs, err := h.e.AppendBatch(&messages.AppendBatch{Items: []messages.BatchItem{item("e", "1", messages.Exactly(1)), item("e", "2", messages.Exactly(2))}})
	require.NoError(t, err, "chained onto the unpublished event")
	require.Equal(t, []uint64{2, 3}, []uint64{rs[0].Version, rs[1].Version})
	_, err = h.e.AppendBatch(&messages.AppendBatch{Items: []messages.BatchItem{item("e", "1", messages.Exactly(5))}})
	requireItemConflict(t, err, 0, "e", messages.Exactly(5), 0) // holds in no state: decided at once, committed version 0
	require.NoError(t, h.e.Publish(p))
	require.NoError(t, h.e.Commit())

	_, err = h.e.AppendBatch(&messages.AppendBatch{Items: []messages.BatchItem{item("e", "1", messages.Any()), item("e", "2", messages.Exactly(1))}})
	requireItemConflict(t, err, 1, "e", messages.Exactly(1), 4)
	evs, err := h.e.Stream(coord("e"), 1)
	require.NoError(t, err)
	require.Equal(t, []string{"staged", "1", "2"}, payloads(evs))
}

// Idempotency comes before the conditions: a batch whose keyed items were
// all written by it returns the original receipts although its conditions
// no longer hold; a partial replay keeps its own error; a batch whose keys
// are all new is checked like any other.
func TestBatchReplayIgnoresExpected(t *testing.T) {
	h := newHarness(t, Options{})
	its := []messages.BatchItem{item("e", "1", messages.NoStream()), item("e", "2", messages.Exactly(1)), item("f", "x", messages.NoStream())}
	for i := range its {
		its[i].IdempotencyKey = messages.NewID()
	}
	first := h.batch(its)
	again := h.batch(its)
	for i := range again {
		require.True(t, again[i].Replayed)
		again[i].Replayed = false
	}
	require.Equal(t, first, again, "replayed, whatever NoStream says now")

	partial := append([]messages.BatchItem{item("e", "3", messages.NoStream())}, its[0])
	partial[0].IdempotencyKey = messages.NewID()
	_, err := h.e.AppendBatch(&messages.AppendBatch{Items: partial})
	require.ErrorIs(t, err, messages.ErrPartialReplay)
	require.NotErrorIs(t, err, messages.ErrVersionConflict)

	fresh := []messages.BatchItem{item("e", "3", messages.Exactly(1))}
	fresh[0].IdempotencyKey = messages.NewID()
	_, err = h.e.AppendBatch(&messages.AppendBatch{Items: fresh})
	requireItemConflict(t, err, 0, "e", messages.Exactly(1), 2)
	fresh[0].Expected = messages.Exactly(2)
	rs := h.batch(fresh)
	require.Equal(t, uint64(3), rs[0].Version)
	require.False(t, rs[0].Replayed)
	require.Equal(t, 4, h.e.Stats().Events)
}
