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
//     and a batch's items on that entity (no expected version; keyed or not);
//   - read: Store.Stream of the entity, the tags in version order.
//
// What an append may answer, in the state where it takes effect:
//
//   - every tag already there and the request keyed: a replay, with the
//     original versions (idempotency comes before the expected version);
//   - no tag there and the expected version holds: a fresh write at the
//     next versions;
//   - no tag there and the expected version fails: a version conflict;
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
// A batch is split into one operation per entity it touches; so the check
// is per entity and does not cover the atomicity across entities (the
// kill -9 torture does).

// Kinds of operation.
const (
	lzReadOp = "read"
	lzAppend = "append"
	lzBatch  = "batch"
)

// Outcomes of an operation.
const (
	lzOK         = "ok"          // a receipt (or the events read)
	lzConflict   = "conflict"    // messages.ErrVersionConflict
	lzNotWritten = "not-written" // messages.ErrWriterCrashed, ErrOverloaded
	lzUnknown    = "unknown"     // may or may not have been written
	lzError      = "error"       // an error no operation may give here
)

// lzInput is one operation as the model sees it: on one entity.
type lzInput struct {
	Kind   string
	Entity string
	Tags   []string // the events appended to this entity, in order
	Keyed  bool
	Expect messages.ExpectedVersion // single appends only
	Note   string                   // the client's description (retry, re-send...)
}

// lzOutput is what the operation answered, for this entity.
type lzOutput struct {
	Result   string
	Settled  bool     // unknown, but a write is there if it can be (see lzStep)
	Versions []uint64 // receipts' versions, per tag
	Replayed bool
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
	kind     string // "replay", "fresh", "conflict" or "impossible"
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
	case in.Kind == lzAppend && !in.Expect.Check(s.n):
		return effect{kind: "conflict", next: s}
	}
	vs := make([]uint64, len(in.Tags))
	for i := range vs {
		vs[i] = s.n + uint64(i) + 1
	}
	return effect{kind: "fresh", versions: vs, next: s.with(in.Tags)}
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
	case lzConflict:
		if eff.kind == "conflict" {
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
	fmt.Fprintf(&b, "%s %s [%s]", in.Kind, in.Entity, strings.Join(in.Tags, " "))
	if in.Kind == lzAppend {
		fmt.Fprintf(&b, " expect %s", in.Expect)
	}
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
	default:
		b.WriteString(" -> " + out.Result)
	}
	return b.String()
}
