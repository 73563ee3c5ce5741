package actors_test

import (
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// lzH builds a history by hand: each step is a call, a return or an end.
type lzH struct{ events []lzEvent }

func (h *lzH) call(id, client int, c *lzCall) *lzH {
	h.events = append(h.events, lzEvent{T: "call", ID: id, Client: client, Call: c})
	return h
}

func (h *lzH) ret(id int, r *lzReturn) *lzH {
	h.events = append(h.events, lzEvent{T: "return", ID: id, Return: r})
	return h
}

func (h *lzH) end() *lzH {
	h.events = append(h.events, lzEvent{T: "end"})
	return h
}

func lzAppendCall(tag string, key byte, expect messages.ExpectedVersion) *lzCall {
	it := lzItem{Entity: "x", Tag: tag}
	if key != 0 {
		it.Key = lzID{key}
	}
	return &lzCall{Kind: lzAppend, Items: []lzItem{it}, Expect: expect}
}

func lzReadCall() *lzCall { return &lzCall{Kind: lzReadOp, Entity: "x"} }

func lzOk(v uint64, replayed bool, id lzID) *lzReturn {
	return &lzReturn{Result: lzOK, Receipts: []lzReceipt{{Version: v, ID: id, Replayed: replayed}}}
}

func lzSaw(tags ...string) *lzReturn {
	r := &lzReturn{Result: lzOK}
	for i, t := range tags {
		r.Events = append(r.Events, lzRead{Tag: t, ID: lzID{byte(100 + i)}, Version: uint64(i) + 1})
	}
	return r
}

func lzResult(res string) *lzReturn { return &lzReturn{Result: res} }

// lzConflictAt is an append's version conflict on entity x at version
// actual.
func lzConflictAt(expected messages.ExpectedVersion, actual uint64) *lzReturn {
	return &lzReturn{Result: lzConflict, Conflict: &lzRefusal{Entity: "x", Expected: expected, Actual: actual}}
}

// The checker itself, on histories written by hand: it refuses what the
// issue describes and what a crashed or killed append that comes back
// looks like, and accepts what a linearizable store may answer.
func TestLinearizabilityModel(t *testing.T) {
	A, B := lzID{100}, lzID{101}
	for _, tc := range []struct {
		name string
		h    *lzH
		ok   bool
	}{
		{"a conflict decided from an append not yet committed, then a read that does not see it", new(lzH).
			call(0, 0, lzAppendCall("a", 0, messages.Any())).
			call(1, 1, lzAppendCall("b", 0, messages.NoStream())).ret(1, lzConflictAt(messages.NoStream(), 1)).
			call(2, 1, lzReadCall()).ret(2, lzSaw()).
			ret(0, lzOk(1, false, A)), false},
		{"the same, the read sees the append", new(lzH).
			call(0, 0, lzAppendCall("a", 0, messages.Any())).
			call(1, 1, lzAppendCall("b", 0, messages.NoStream())).ret(1, lzConflictAt(messages.NoStream(), 1)).
			call(2, 1, lzReadCall()).ret(2, lzSaw("a")).
			ret(0, lzOk(1, false, A)), true},
		{"a conflict caused by an append that crashed", new(lzH).
			call(0, 0, lzAppendCall("a", 0, messages.Any())).
			call(1, 1, lzAppendCall("b", 0, messages.NoStream())).ret(1, lzConflictAt(messages.NoStream(), 1)).
			ret(0, lzResult(lzNotWritten)), false},
		{"an append answered crashed comes back", new(lzH).
			call(0, 0, lzAppendCall("a", 1, messages.Any())).ret(0, lzResult(lzNotWritten)).
			call(1, 0, lzReadCall()).ret(1, lzSaw("a")), false},
		{"an append of unknown outcome is there", new(lzH).
			call(0, 0, lzAppendCall("a", 1, messages.Any())).ret(0, lzResult(lzUnknown)).
			call(1, 0, lzReadCall()).ret(1, lzSaw("a")), true},
		{"an append of unknown outcome is not there", new(lzH).
			call(0, 0, lzAppendCall("a", 1, messages.Any())).ret(0, lzResult(lzUnknown)).
			call(1, 0, lzReadCall()).ret(1, lzSaw()), true},
		{"an append of unknown outcome lands late", new(lzH).
			call(0, 0, lzAppendCall("a", 1, messages.Any())).ret(0, lzResult(lzUnknown)).
			call(1, 0, lzReadCall()).ret(1, lzSaw()).
			call(2, 0, lzReadCall()).ret(2, lzSaw("a")), true},
		{"an append without an answer at a kill is there after it", new(lzH).
			call(0, 0, lzAppendCall("a", 0, messages.Any())).end().
			call(1, 9, lzReadCall()).ret(1, lzSaw("a")), true},
		{"an append without an answer at a kill is gone after it", new(lzH).
			call(0, 0, lzAppendCall("a", 0, messages.Any())).end().
			call(1, 9, lzReadCall()).ret(1, lzSaw()), true},
		{"an append without an answer at a kill comes back after a later reopen", new(lzH).
			call(0, 0, lzAppendCall("a", 0, messages.Any())).end().
			call(1, 9, lzReadCall()).ret(1, lzSaw()).
			call(2, 9, lzReadCall()).ret(2, lzSaw("a")), false},
		{"a retry after a crash writes the event once", new(lzH).
			call(0, 0, lzAppendCall("a", 1, messages.NoStream())).ret(0, lzResult(lzNotWritten)).
			call(1, 0, lzAppendCall("a", 1, messages.NoStream())).ret(1, lzOk(1, false, lzID(messages.IDFromKey(messages.ID{1})))).
			call(2, 0, lzReadCall()).ret(2, lzSaw("a")), true},
		{"a replay with a stale expected version returns the original", new(lzH).
			call(0, 0, lzAppendCall("a", 1, messages.NoStream())).ret(0, lzOk(1, false, A)).
			call(1, 0, lzAppendCall("b", 0, messages.Any())).ret(1, lzOk(2, false, B)).
			call(2, 0, lzAppendCall("a", 1, messages.NoStream())).ret(2, lzOk(1, true, A)), true},
		{"a replay with another version", new(lzH).
			call(0, 0, lzAppendCall("a", 1, messages.NoStream())).ret(0, lzOk(1, false, A)).
			call(1, 0, lzAppendCall("b", 0, messages.Any())).ret(1, lzOk(2, false, B)).
			call(2, 0, lzAppendCall("a", 1, messages.NoStream())).ret(2, lzOk(2, true, A)), false},
		{"a keyed event written twice", new(lzH).
			call(0, 0, lzAppendCall("a", 1, messages.Any())).ret(0, lzOk(1, false, A)).
			call(1, 0, lzAppendCall("a", 1, messages.Any())).ret(1, lzOk(2, false, A)), false},
		{"an exact expected version that holds", new(lzH).
			call(0, 0, lzAppendCall("a", 0, messages.Any())).ret(0, lzOk(1, false, A)).
			call(1, 0, lzAppendCall("b", 0, messages.Exactly(1))).ret(1, lzOk(2, false, B)), true},
		{"a conflict reporting another version than the entity's", new(lzH).
			call(0, 0, lzAppendCall("a", 0, messages.Any())).ret(0, lzOk(1, false, A)).
			call(1, 0, lzAppendCall("b", 0, messages.Exactly(2))).ret(1, lzConflictAt(messages.Exactly(2), 2)), false},
		{"an exact expected version refused although it held", new(lzH).
			call(0, 0, lzAppendCall("a", 0, messages.Any())).ret(0, lzOk(1, false, A)).
			call(1, 0, lzAppendCall("b", 0, messages.Exactly(1))).ret(1, lzConflictAt(messages.Exactly(1), 1)), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ops, _ := lzOperations(tc.h.events)
			res := porcupine.CheckOperations(lzModel(), ops)
			require.Equal(t, tc.ok, res, "linearizable")
		})
	}
}

// Event ids: one per tag, and a keyed event's id is derived from its key.
func TestLinearizabilityEventIDs(t *testing.T) {
	keyed := lzID(messages.IDFromKey(messages.ID{1}))
	_, problems := lzOperations(new(lzH).
		call(0, 0, lzAppendCall("a", 1, messages.Any())).ret(0, lzOk(1, false, keyed)).
		call(1, 0, lzReadCall()).ret(1, &lzReturn{Result: lzOK, Events: []lzRead{{Tag: "a", ID: keyed, Version: 1}}}).events)
	require.Empty(t, problems)
	_, problems = lzOperations(new(lzH).
		call(0, 0, lzAppendCall("a", 1, messages.Any())).ret(0, lzOk(1, false, lzID{7})).events)
	require.Len(t, problems, 1, "a keyed event's id is not its key's")
	_, problems = lzOperations(new(lzH).
		call(0, 0, lzAppendCall("a", 0, messages.Any())).ret(0, lzOk(1, false, lzID{7})).
		call(1, 0, lzReadCall()).ret(1, &lzReturn{Result: lzOK, Events: []lzRead{{Tag: "a", ID: lzID{8}, Version: 1}}}).events)
	require.Len(t, problems, 1, "an event read with another id than its receipt's")
}
