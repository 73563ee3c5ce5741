package storage

import (
	"strings"

	"github.com/batpak-go/batpak/messages"
)

// Filter selects events for Read and Query. Zero fields select everything.
type Filter struct {
	// EntityPrefix keeps entities that start with it (byte-wise, case
	// sensitive); "" keeps every entity.
	EntityPrefix string
	// Scope keeps only this scope (exact match) when non-empty.
	Scope string
	// Kinds keeps only these kinds when non-empty; nil or empty keeps
	// every kind.
	Kinds []messages.EventKind
	// FromSeq is the lowest global sequence kept (inclusive). Sequences
	// start at 0, so 0 (the default) starts at the first event.
	FromSeq uint64
	// BeforeSeq, when non-zero, keeps only sequences below it (exclusive),
	// so that a backward page can start before the last event seen, down
	// to sequence 0.
	BeforeSeq uint64
	// Limit caps the number of events returned; 0 (or a negative value)
	// means no cap.
	Limit int
	// Backward returns the newest events first (the limit then keeps the
	// newest ones).
	Backward bool
}

// Match reports whether ev passes the filter's entity prefix, scope and
// kinds (the sequence bounds, the limit and the direction are not looked
// at): what the fanout applies to live events.
func (f *Filter) Match(ev *messages.Event) bool {
	return f.matchStream(ev.Coordinate) && f.matchKind(ev.Kind)
}

func (f *Filter) matchStream(c messages.Coordinate) bool {
	return strings.HasPrefix(c.Entity, f.EntityPrefix) && (f.Scope == "" || f.Scope == c.Scope)
}

func (f *Filter) matchKind(k messages.EventKind) bool {
	if len(f.Kinds) == 0 {
		return true
	}
	for _, want := range f.Kinds {
		if k == want {
			return true
		}
	}
	return false
}

// selectsAll reports whether the filter keeps every event in its range.
func (f *Filter) selectsAll() bool { return f.EntityPrefix == "" && f.Scope == "" && len(f.Kinds) == 0 }

// StreamRange selects part of one entity's stream for ReadStream.
type StreamRange struct {
	// From is, forward, the first version read (0 or 1: the first; versions
	// start at 1) and, backward, the highest version read (0, or above the
	// latest: the latest).
	From uint64
	// Backward reads the newest versions first.
	Backward bool
	// Limit caps the number of events; 0 (or a negative value) means no
	// cap.
	Limit int
}
