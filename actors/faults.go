package actors

import (
	"fmt"

	"github.com/batpak-go/batpak/internal/faults"
)

// Test-only fault injection (see actors/actorstest). The faults' messages
// are matched after every message the store knows, and a crash storm costs
// the append path one nil check while none is armed.

// fault handles a fault injected into the writer, or returns false.
func (w *writer) fault(m any) bool {
	switch m := m.(type) {
	case *faults.Panic:
		panic(m.Reason)
	case *faults.Block:
		<-m.Release
	case *faults.PanicEvery:
		w.sh.storm = faults.NewStorm(*m)
	default:
		return false
	}
	return true
}

// stormStep panics on every N-th append of an armed crash storm.
func (w *writer) stormStep() {
	now, seen, over := w.sh.storm.Step()
	if over {
		w.sh.storm = nil
	}
	if now {
		panic(fmt.Sprintf("crash storm: append %d", seen))
	}
}

// fault handles a fault injected into the fanout, or returns false.
func (f *fanout) fault(m any) bool {
	switch m := m.(type) {
	case *faults.Panic:
		panic(m.Reason)
	case *faults.PanicEvery:
		f.st.storm = faults.NewStorm(*m)
	default:
		return false
	}
	return true
}

// storming reports whether an armed crash storm makes this group panic
// (halfway through its subscribers).
func (f *fanout) storming() bool {
	now, _, over := f.st.storm.Step()
	if over {
		f.st.storm = nil
	}
	return now
}
