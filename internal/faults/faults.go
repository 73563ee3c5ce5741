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
