package actors_test

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/anishathalye/porcupine"
	"github.com/batpak-go/batpak/messages"
)

// The sequential specification the linearizability tests check the store
// against, one partition per entity. An entity's state is the list of its
// events, each named by a tag (its payload; an idempotent retry carries the
// same tag as the request it retries, so a tag names one logical event).
//
// Operations on one entity:
//
//   - append (one event, an expected version, maybe an idempotency key)
//     and a batch's items on that entity, as one operation (keyed or not,
//     each item with its own expected version, checked against the
//     entity's version just before the item: the earlier items of the
//     batch on the entity counted);
//   - read: Store.Stream of the entity, the tags in version order.
//
// What an append may answer, in the state where it takes effect:
//
//   - every tag already there and the request keyed: a replay, with the
//     original versions (idempotency comes before the expected versions);
//   - no tag there and every expected version holds: a fresh write at the
//     next versions;
//   - no tag there and the expected version of the item the refusal names
//     fails: a version conflict, whose reported version must be the one
//     the item was checked against (the entity's plus the earlier items of
//     the batch on it). Only that item is checked: the engine decides the
//     earlier items' conditions on events not yet durable, which a crash
//     may still cut;
//   - "refused" (a batch refused for another entity's condition): a no-op
//     here, possible only where none of its tags is there (a batch whose
//     keyed items were all written replays; one with some of them written
//     is refused otherwise);
//   - "not written" (messages.ErrWriterCrashed, ErrOverloaded): a no-op, in
//     any state;
//   - "unknown" (ErrOutcomeUnknown, a timeout, a process killed before the
//     reply...): either the fresh write or nothing; the operation's return
//     time is the end of the process's life, since until then a request
//     still queued may take effect. When that is the end of the history,
//     the write is taken where it held (nothing is "nothing" then but being
//     linearized last); when a read after that return time shows its
//     events, the same (something with its tags wrote them: it, or a retry
//     of it from the same process, whose window is within its own); when a
//     read after it does not show them, it wrote nothing. That keeps the
//     checker's sets of states small and its search short.
//
// A batch is split into one operation per entity it touches, with the
// items on that entity, their conditions, and the batch's answer as it
// concerns the entity: the receipts of its items; a conflict if the
// refusal names one of its items; "refused" if it names an item on
// another entity. So the check is per entity, each partition a necessary
// condition: it does not cover the atomicity across entities (the kill -9
// torture does) nor that the entity the refusal names is the only one
// whose condition failed.

// Kinds of operation.
const (
	lzReadOp = "read"
	lzAppend = "append"
	lzBatch  = "batch"
)

// Outcomes of an operation.
const (
	lzOK         = "ok"          // a receipt (or the events read)
	lzConflict   = "conflict"    // messages.ErrVersionConflict, naming an item on this entity
	lzRefused    = "refused"     // a batch's version conflict on another entity: a no-op here
	lzNotWritten = "not-written" // messages.ErrWriterCrashed, ErrOverloaded
	lzUnknown    = "unknown"     // may or may not have been written
	lzError      = "error"       // an error no operation may give here
)

// lzInput is one operation as the model sees it: on one entity.
type lzInput struct {
	Kind    string
	Entity  string
	Tags    []string                   // the events appended to this entity, in order
	Expects []messages.ExpectedVersion // each tag's condition
	Keyed   bool
	Note    string // the client's description (retry, re-send...)
}

// lzOutput is what the operation answered, for this entity.
type lzOutput struct {
	Result   string
	Settled  bool     // unknown, but a write is there if it can be (see lzStep)
	Versions []uint64 // receipts' versions, per tag
	Replayed bool
	Blamed   int      // conflict: the index in Tags of the item whose condition failed
	Actual   uint64   // conflict: the version it was checked against, as reported
	Tags     []string // read: the entity's tags in version order
}

// lzState is one entity's events: their tags in version order, joined
// with spaces, and how many there are. It is comparable with ==.
type lzState struct {
	tags string
	n    uint64
}

func (s lzState) with(tags []string) lzState {
	all := s.tags
	for _, t := range tags {
		if all != "" {
			all += " "
		}
		all += t
	}
	return lzState{tags: all, n: s.n + uint64(len(tags))}
}

// positions returns the version of each tag in s, or 0 for a tag not there.
func (s lzState) positions(tags []string) []uint64 {
	have := strings.Fields(s.tags)
	pos := make([]uint64, len(tags))
	for i, t := range tags {
		if j := slices.Index(have, t); j >= 0 {
			pos[i] = uint64(j) + 1
		}
	}
	return pos
}

// effect says what an append does in state s.
type effect struct {
	kind     string // "replay", "fresh", "conflict" (some condition fails) or "impossible"
	versions []uint64
	next     lzState
}

func (s lzState) effect(in lzInput) effect {
	pos := s.positions(in.Tags)
	present := 0
	for _, p := range pos {
		if p > 0 {
			present++
		}
	}
	switch {
	case present == len(pos) && in.Keyed:
		return effect{kind: "replay", versions: pos, next: s}
	case present > 0:
		// Some of a batch's events and not the others, or an unkeyed event
		// written twice: no request may do that.
		return effect{kind: "impossible", next: s}
	}
	for i := range in.Expects {
		if s.fails(in, i) {
			return effect{kind: "conflict", next: s}
		}
	}
	vs := make([]uint64, len(in.Tags))
	for i := range vs {
		vs[i] = s.n + uint64(i) + 1
	}
	return effect{kind: "fresh", versions: vs, next: s.with(in.Tags)}
}

// fails reports whether the condition of the i-th item fails in state s:
// checked against the version after the i-1 items before it.
func (s lzState) fails(in lzInput, i int) bool {
	return !in.Expects[i].Check(s.n + uint64(i))
}

// lzStep is the model's step: the states the entity may be in after the
// operation, none if the operation cannot have answered what it did.
func lzStep(state, input, output any) []any {
	s, in, out := state.(lzState), input.(lzInput), output.(lzOutput)
	if in.Kind == lzReadOp {
		if strings.Join(out.Tags, " ") == s.tags {
			return []any{s}
		}
		return nil
	}
	eff := s.effect(in)
	switch out.Result {
	case lzNotWritten:
		return []any{s}
	case lzUnknown, lzError:
		switch {
		case eff.kind != "fresh":
			return []any{s}
		case out.Settled:
			// Either nothing after it constrains it (it took effect where
			// it held, or it is linearized last), or a later read shows its
			// events (it, or a retry of it, wrote them).
			return []any{eff.next}
		}
		return []any{s, eff.next}
	case lzRefused:
		if eff.kind == "fresh" || eff.kind == "conflict" {
			return []any{s}
		}
	case lzConflict:
		b := out.Blamed
		if (eff.kind == "fresh" || eff.kind == "conflict") && b < len(in.Tags) && s.fails(in, b) && out.Actual == s.n+uint64(b) {
			return []any{s}
		}
	case lzOK:
		if eff.kind == "replay" && out.Replayed && slices.Equal(eff.versions, out.Versions) {
			return []any{s}
		}
		if eff.kind == "fresh" && !out.Replayed && slices.Equal(eff.versions, out.Versions) {
			return []any{eff.next}
		}
	}
	return nil
}

// lzModel is the model, partitioned by entity.
func lzModel() porcupine.Model {
	nm := porcupine.NondeterministicModel{
		Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
			by := map[string][]porcupine.Operation{}
			var order []string
			for _, op := range h {
				e := op.Input.(lzInput).Entity
				if _, ok := by[e]; !ok {
					order = append(order, e)
				}
				by[e] = append(by[e], op)
			}
			out := make([][]porcupine.Operation, 0, len(order))
			for _, e := range order {
				out = append(out, by[e])
			}
			return out
		},
		Init:  func() []any { return []any{lzState{}} },
		Step:  lzStep,
		Equal: func(a, b any) bool { return a.(lzState) == b.(lzState) },
		Hash: func(s any) uint64 {
			h := fnv.New64a()
			h.Write([]byte(s.(lzState).tags))
			return h.Sum64()
		},
		DescribeOperation: lzDescribe,
		DescribeState: func(s any) string {
			if st := s.(lzState); st.n > 0 {
				return "[" + st.tags + "]"
			}
			return "[]"
		},
	}
	return nm.ToModel()
}

// lzDescribe renders an operation for the visualization and the logs.
func lzDescribe(input, output any) string {
	in, out := input.(lzInput), output.(lzOutput)
	if in.Kind == lzReadOp {
		return fmt.Sprintf("read %s -> [%s]", in.Entity, strings.Join(out.Tags, " "))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s [", in.Kind, in.Entity)
	for i, t := range in.Tags {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(t)
		if i < len(in.Expects) && !in.Expects[i].IsAny() {
			fmt.Fprintf(&b, " expect %s", in.Expects[i])
		}
	}
	b.WriteString("]")
	if in.Keyed {
		b.WriteString(" keyed")
	}
	if in.Note != "" {
		fmt.Fprintf(&b, " (%s)", in.Note)
	}
	switch out.Result {
	case lzOK:
		fmt.Fprintf(&b, " -> v%v", out.Versions)
		if out.Replayed {
			b.WriteString(" replayed")
		}
	case lzConflict:
		fmt.Fprintf(&b, " -> conflict on %s at version %d", in.Tags[min(out.Blamed, len(in.Tags)-1)], out.Actual)
	case lzRefused:
		b.WriteString(" -> refused (another entity's condition)")
	default:
		b.WriteString(" -> " + out.Result)
	}
	return b.String()
}
