package actors_test

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// lzCheckTimeout bounds the checker on one history; histories here are a
// few hundred operations over a few entities and check in milliseconds.
const lzCheckTimeout = time.Minute

// lzWitnessBudget bounds the time spent shrinking the history of one
// entity that is not linearizable; lzWitnesses bounds how many are shrunk.
const (
	lzWitnessBudget = 10 * time.Second
	lzWitnesses     = 2
)

// lzMaxUnknownShare: at most one answer in this many may be of unknown
// outcome (requests without an answer when the process was killed do not
// count).
const lzMaxUnknownShare = 4

// lzCheck checks a history: event ids first, then linearizability per
// entity. On a violation it writes porcupine's visualization to an HTML
// file (kept after the test; its path is logged), logs a small witness of
// each entity whose history is not linearizable, and fails the test.
func lzCheck(t *testing.T, name string, h []lzEvent) {
	t.Helper()
	ops, problems := lzOperations(h)
	for i, p := range problems {
		if i == 10 {
			t.Errorf("%s: and %d more problems", name, len(problems)-i)
			break
		}
		t.Errorf("%s: %s", name, p)
	}
	// A store that answers most requests with an unknown outcome (a
	// stopped writer, say) would pass the check vacuously.
	unknown, answers := 0, 0
	for _, ev := range h {
		if ev.T == "return" {
			answers++
			if ev.Return.Result == lzUnknown || ev.Return.Result == lzError {
				unknown++
			}
		}
	}
	if unknown*lzMaxUnknownShare > answers {
		t.Fatalf("%s: %d of %d answers of unknown outcome (or errors): not checked", name, unknown, answers)
	}
	model := lzModel()
	res, info := porcupine.CheckOperationsVerbose(model, ops, lzCheckTimeout)
	switch res {
	case porcupine.Ok:
		return
	case porcupine.Unknown:
		t.Fatalf("%s: the checker did not finish within %v on %d operations", name, lzCheckTimeout, len(ops))
	}
	path := lzVisualize(t, name, model, info)
	t.Errorf("%s: the history of %d operations is not linearizable; visualization: %s", name, len(ops), path)
	shown := 0
	for _, part := range model.Partition(ops) {
		if shown == lzWitnesses || porcupine.CheckOperationsTimeout(model, part, lzCheckTimeout) != porcupine.Illegal {
			continue
		}
		shown++
		t.Logf("%s: entity %s is not linearizable; a witness (the history cut at its first violation, reads and conflicts it does not need removed):\n%s",
			name, part[0].Input.(lzInput).Entity, lzWitness(model, part))
	}
	t.FailNow()
}

// lzVisualize writes the visualization where it outlives the test:
// BATPAK_LINZ_OUT if set, else the system's temporary directory.
func lzVisualize(t *testing.T, name string, model porcupine.Model, info porcupine.LinearizationInfo) string {
	dir := os.Getenv("BATPAK_LINZ_OUT")
	if dir == "" {
		dir = os.TempDir()
	}
	f, err := os.CreateTemp(dir, "batpak-linz-"+strings.NewReplacer("/", "-", " ", "-").Replace(name)+"-*.html")
	if err != nil {
		return "(not written: " + err.Error() + ")"
	}
	defer f.Close()
	if err := porcupine.Visualize(model, info, f); err != nil {
		return "(not written: " + err.Error() + ")"
	}
	return filepath.Clean(f.Name())
}

// lzTruncate is the history of an entity as it stood at time t: the
// operations called by then, those not answered by then with their answer
// forgotten (an append "unknown" until the end, a read dropped). Any
// linearization of the whole history gives one of this one (what is
// called after t comes after everything answered by t), so a truncation
// that is not linearizable proves the whole history is not.
func lzTruncate(part []porcupine.Operation, t int64) []porcupine.Operation {
	var out []porcupine.Operation
	for _, op := range part {
		switch {
		case op.Call > t:
		case op.Return <= t, op.Output.(lzOutput).Result == lzNotWritten: // a no-op whenever
			out = append(out, op)
		case op.Input.(lzInput).Kind != lzReadOp:
			in := op.Input.(lzInput)
			in.Note = strings.TrimPrefix(in.Note+"; answered after the witness", "; ")
			op.Input, op.Output, op.Return = in, lzOutput{Result: lzUnknown, Settled: true}, math.MaxInt64
			out = append(out, op)
		}
	}
	return out
}

// lzRemovable reports whether dropping op from a history only removes
// constraints (a read, a conflict, a refusal: they change nothing), so
// that a history that stays illegal without it is still a witness. Appends
// that were not written are kept, to show what a conflict was decided
// from.
func lzRemovable(op porcupine.Operation) bool {
	r := op.Output.(lzOutput).Result
	return op.Input.(lzInput).Kind == lzReadOp || r == lzConflict || r == lzRefused
}

// lzWitness shrinks one entity's illegal history soundly: to its earliest
// illegal truncation, then without the reads and conflicts it does not
// need; and renders it. Checks of histories with many appends of unknown
// outcome can take long, so shrinking stops at its budget (each check that
// does not finish in time keeps what it would have removed).
func lzWitness(model porcupine.Model, part []porcupine.Operation) string {
	deadline := time.Now().Add(lzWitnessBudget)
	illegal := func(ops []porcupine.Operation) bool {
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		return porcupine.CheckOperationsTimeout(model, ops, min(left, time.Second)) == porcupine.Illegal
	}
	var times []int64
	for _, op := range part {
		times = append(times, op.Return)
	}
	slices.Sort(times)
	ops := part
	for _, t := range slices.Compact(times) {
		if tr := lzTruncate(part, t); illegal(tr) {
			ops = tr
			break
		}
	}
	ops = slices.Clone(ops)
	for i := len(ops) - 1; i >= 0; i-- {
		if !lzRemovable(ops[i]) {
			continue
		}
		if without := slices.Delete(slices.Clone(ops), i, i+1); illegal(without) {
			ops = without
		}
	}
	slices.SortStableFunc(ops, func(a, b porcupine.Operation) int { return cmp.Compare(a.Call, b.Call) })
	var b strings.Builder
	for _, op := range ops {
		ret := fmt.Sprint(op.Return)
		if op.Return == math.MaxInt64 {
			ret = "-"
		}
		fmt.Fprintf(&b, "  [%5d, %5s] client %2d: %s\n", op.Call, ret, op.ClientId, lzDescribe(op.Input, op.Output))
	}
	return b.String()
}
