// Package faults holds test-only fault injection for the actors. It is
// internal: only this module (tests, the demo) can import it, so a user of
// the store cannot reach it by accident.
package faults

// Panic, sent to the writer actor (or the fanout), makes it panic with
// Reason while it handles the message, as if a bug had struck in the middle
// of a group.
type Panic struct{ Reason string }

// Block, sent to the writer actor, makes it wait until Release is closed,
// so a test can queue messages behind it deterministically.
type Block struct{ Release <-chan struct{} }

// PanicEvery, sent to the writer actor, makes it panic on every N-th append
// it handles from then on, Times times in all (across restarts): a crash
// storm under load. Sent to the fanout, it panics on every N-th group,
// halfway through its subscribers.
type PanicEvery struct{ N, Times int }

// Storm is an armed PanicEvery: it counts the appends (or groups) it is
// told of. Its holder keeps a nil *Storm while no storm is on, so that the
// production path pays one nil check.
type Storm struct {
	every PanicEvery
	seen  int
}

// NewStorm arms p, or returns nil when p asks for no panic.
func NewStorm(p PanicEvery) *Storm {
	if p.N <= 0 || p.Times <= 0 {
		return nil
	}
	return &Storm{every: p}
}

// Step counts one append (or group) and reports whether it must panic,
// and how many were counted; over reports that the storm has spent its
// panics (its holder should then drop it).
func (s *Storm) Step() (panicNow bool, seen int, over bool) {
	s.seen++
	if s.seen%s.every.N != 0 {
		return false, s.seen, false
	}
	s.every.Times--
	return true, s.seen, s.every.Times <= 0
}
