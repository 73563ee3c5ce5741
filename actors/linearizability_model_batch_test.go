package actors_test

import (
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// Hand-made histories of conditional batches over entities x and y.

// lzIt is an unkeyed batch item on entity e with condition x.
func lzIt(e, tag string, x messages.ExpectedVersion) lzItem {
	return lzItem{Entity: e, Tag: tag, Expect: x}
}

// lzKeyed is it keyed with key.
func lzKeyed(it lzItem, key byte) lzItem {
	it.Key = lzID{key}
	return it
}

// lzIDOf is the id of it's event: its key's, or one made of its tag.
func lzIDOf(it lzItem) lzID {
	if it.Key != (lzID{}) {
		return lzID(messages.IDFromKey(messages.ID(it.Key)))
	}
	var id lzID
	copy(id[:], "tag:"+it.Tag)
	return id
}

func lzBatchOf(items ...lzItem) *lzCall { return &lzCall{Kind: lzBatch, Items: items} }

// lzWrote is c written (or replayed) at versions vs.
func lzWrote(c *lzCall, replayed bool, vs ...uint64) *lzReturn {
	r := &lzReturn{Result: lzOK}
	for i, v := range vs {
		r.Receipts = append(r.Receipts, lzReceipt{Version: v, ID: lzIDOf(c.Items[i]), Replayed: replayed})
	}
	return r
}

// lzRefusedAt is c refused for item's condition, checked against version
// actual.
func lzRefusedAt(c *lzCall, item int, actual uint64) *lzReturn {
	it := c.Items[item]
	return &lzReturn{Result: lzConflict, Conflict: &lzRefusal{Item: item, Entity: it.Entity, Expected: it.Expect, Actual: actual}}
}

// lzReadOf reads entity e.
func lzReadOf(e string) *lzCall { return &lzCall{Kind: lzReadOp, Entity: e} }

// lzSawItems is a read that shows items, in version order.
func lzSawItems(items ...lzItem) *lzReturn {
	r := &lzReturn{Result: lzOK}
	for i, it := range items {
		r.Events = append(r.Events, lzRead{Tag: it.Tag, ID: lzIDOf(it), Version: uint64(i) + 1})
	}
	return r
}

// The checker on conditional batches: a batch's items on an entity are
// one operation whose conditions (each checked after the earlier items on
// the entity) and answer must fit that entity's history; a refusal is a
// no-op on every entity, justified by the state of the entity whose item
// it names, with the version it reports.
func TestLinearizabilityModelConditionalBatches(t *testing.T) {
	NS, X, Any := messages.NoStream(), messages.Exactly, messages.Any()
	a, b := lzIt("x", "a", NS), lzIt("y", "b", NS)
	seed := lzBatchOf(a, b) // x: [a], y: [b]
	seeded := func() *lzH { return new(lzH).call(0, 0, seed).ret(0, lzWrote(seed, false, 1, 1)) }

	c, d, e := lzIt("x", "c", X(1)), lzIt("x", "d", Any), lzIt("y", "e", X(1))
	both := lzBatchOf(c, d, e)
	staleY := lzBatchOf(lzIt("x", "c", X(1)), lzIt("y", "e", NS))
	staleX := lzBatchOf(lzIt("x", "c", NS), lzIt("y", "e", X(1)))
	counted := lzBatchOf(lzIt("x", "c", X(1)), lzIt("x", "d", X(2)))
	uncounted := lzBatchOf(lzIt("x", "c", X(1)), lzIt("x", "d", X(1)))
	ka, kb := lzKeyed(a, 1), lzKeyed(b, 2)
	keyed := lzBatchOf(ka, kb)
	for _, tc := range []struct {
		name string
		h    *lzH
		ok   bool
	}{
		{"written where every condition holds, over two entities", seeded().
			call(1, 0, both).ret(1, lzWrote(both, false, 2, 3, 2)).
			call(2, 0, lzReadOf("x")).ret(2, lzSawItems(a, c, d)), true},
		{"written although a condition failed", seeded().
			call(1, 0, staleX).ret(1, lzWrote(staleX, false, 2, 2)), false},
		{"refused for y's stale condition: nothing on x", seeded().
			call(1, 0, staleY).ret(1, lzRefusedAt(staleY, 1, 1)).
			call(2, 0, lzReadOf("x")).ret(2, lzSawItems(a)), true},
		{"refused for y's stale condition, yet its item on x is there", seeded().
			call(1, 0, staleY).ret(1, lzRefusedAt(staleY, 1, 1)).
			call(2, 0, lzReadOf("x")).ret(2, lzSawItems(a, staleY.Items[0])), false},
		{"refused naming x, whose condition is the stale one", seeded().
			call(1, 0, staleX).ret(1, lzRefusedAt(staleX, 0, 1)), true},
		{"refused naming y, whose condition held (x's was the stale one)", seeded().
			call(1, 0, staleX).ret(1, lzRefusedAt(staleX, 1, 1)), false},
		{"refused reporting another version than the entity's", seeded().
			call(1, 0, staleX).ret(1, lzRefusedAt(staleX, 0, 2)), false},
		{"a later item's condition counts the earlier items on its entity", seeded().
			call(1, 0, counted).ret(1, lzWrote(counted, false, 2, 3)), true},
		{"refused although the later item's condition held counting the earlier ones", seeded().
			call(1, 0, counted).ret(1, lzRefusedAt(counted, 1, 2)), false},
		{"written although the later item's condition failed counting the earlier ones", seeded().
			call(1, 0, uncounted).ret(1, lzWrote(uncounted, false, 2, 3)), false},
		{"refused for the later item, reporting the version with the earlier ones", seeded().
			call(1, 0, uncounted).ret(1, lzRefusedAt(uncounted, 1, 2)), true},
		{"refused for the later item, reporting the version without the earlier ones", seeded().
			call(1, 0, uncounted).ret(1, lzRefusedAt(uncounted, 1, 1)), false},
		{"a re-sent batch replays whatever its conditions say", new(lzH).
			call(0, 0, keyed).ret(0, lzWrote(keyed, false, 1, 1)).
			call(1, 0, lzBatchOf(lzIt("x", "c", Any))).ret(1, lzOk(2, false, lzIDOf(lzIt("x", "c", Any)))).
			call(2, 0, keyed).ret(2, lzWrote(keyed, true, 1, 1)), true},
		{"a re-sent batch refused where it was due to replay", new(lzH).
			call(0, 0, keyed).ret(0, lzWrote(keyed, false, 1, 1)).
			call(1, 0, keyed).ret(1, lzRefusedAt(keyed, 1, 1)), false},
		{"a refusal decided from a batch not yet committed, then a read that does not see it", new(lzH).
			call(0, 0, seed).
			call(1, 1, staleX).ret(1, lzRefusedAt(staleX, 0, 1)).
			call(2, 1, lzReadOf("x")).ret(2, lzSawItems()).
			ret(0, lzWrote(seed, false, 1, 1)), false},
		{"the same, the read sees the batch", new(lzH).
			call(0, 0, seed).
			call(1, 1, staleX).ret(1, lzRefusedAt(staleX, 0, 1)).
			call(2, 1, lzReadOf("x")).ret(2, lzSawItems(a)).
			ret(0, lzWrote(seed, false, 1, 1)), true},
		{"a refusal caused by a batch that crashed", new(lzH).
			call(0, 0, seed).ret(0, lzResult(lzNotWritten)).
			call(1, 0, staleX).ret(1, lzRefusedAt(staleX, 0, 1)), false},
		{"a batch answered crashed comes back", new(lzH).
			call(0, 0, seed).ret(0, lzResult(lzNotWritten)).
			call(1, 0, lzReadOf("y")).ret(1, lzSawItems(b)), false},
		{"a batch of unknown outcome refused for y: on x neither", seeded().
			call(1, 0, staleY).ret(1, lzResult(lzUnknown)).
			call(2, 0, lzReadOf("x")).ret(2, lzSawItems(a)), true},
		{"a batch of unknown outcome whose condition failed is there", seeded().
			call(1, 0, staleX).ret(1, lzResult(lzUnknown)).
			call(2, 0, lzReadOf("x")).ret(2, lzSawItems(a, staleX.Items[0])), false},
		{"a batch of unknown outcome whose conditions held is there", seeded().
			call(1, 0, both).ret(1, lzResult(lzUnknown)).
			call(2, 0, lzReadOf("y")).ret(2, lzSawItems(b, e)), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ops, problems := lzOperations(tc.h.events)
			require.Empty(t, problems)
			require.Equal(t, tc.ok, porcupine.CheckOperations(lzModel(), ops), "linearizable")
		})
	}
}

// A version conflict must name an item that has a condition, with that
// item's entity and condition.
func TestLinearizabilityConflictDetails(t *testing.T) {
	c := lzBatchOf(lzIt("x", "a", messages.Any()), lzIt("y", "b", messages.NoStream()))
	for _, tc := range []struct {
		name string
		r    *lzRefusal
		ok   bool
	}{
		{"right", &lzRefusal{Item: 1, Entity: "y", Expected: messages.NoStream(), Actual: 1}, true},
		{"no details", nil, false},
		{"no item", &lzRefusal{Item: -1, Entity: "y", Expected: messages.NoStream(), Actual: 1}, false},
		{"an item without a condition", &lzRefusal{Item: 0, Entity: "x", Expected: messages.Any(), Actual: 1}, false},
		{"another entity", &lzRefusal{Item: 1, Entity: "x", Expected: messages.NoStream(), Actual: 1}, false},
		{"another condition", &lzRefusal{Item: 1, Entity: "y", Expected: messages.Exactly(0), Actual: 1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, problems := lzOperations(new(lzH).call(0, 0, c).ret(0, &lzReturn{Result: lzConflict, Conflict: tc.r}).events)
			require.Equal(t, tc.ok, len(problems) == 0, "%v", problems)
		})
	}
}
