package projection

import (
	"context"
	"fmt"
	"iter"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// Log is what the on-demand folds read: *actors.Store and *storage.Engine
// both are one.
type Log interface {
	// Read yields the committed events that match a filter, in global order.
	Read(f storage.Filter) iter.Seq2[messages.Event, error]
	// ReadStream yields one entity's events in the versions a range selects.
	ReadStream(c messages.Coordinate, r storage.StreamRange) iter.Seq2[messages.Event, error]
}

// Apply folds one event into a state and returns the new state. It must
// not keep ev.Payload after it returns (a view of a read buffer; copy what
// it keeps), and when it returns an error it must leave s as it was (the
// projection keeps s and offers ev again). It must be deterministic: a
// replay of the same events gives the same state.
type Apply[S any] func(s S, ev messages.Event) (S, error)

// ApplyError is an Apply that failed: the event and the error it returned
// (Unwrap).
type ApplyError struct {
	// Sequence is the event's global sequence.
	Sequence uint64
	// ID is the event's id.
	ID messages.ID
	// Err is what Apply returned.
	Err error
}

// Error implements error.
func (e *ApplyError) Error() string {
	return fmt.Sprintf("batpak projection: apply event %d (%s): %v", e.Sequence, e.ID, e.Err)
}

// Unwrap returns what Apply returned.
func (e *ApplyError) Unwrap() error { return e.Err }

// Fold reads the events that match filter (entity prefix, scope, kinds,
// FromSeq, BeforeSeq, Limit; Backward is ignored: a fold goes forward)
// from log and folds them into initial with apply, in global order. It
// returns the state and next, one past the sequence of the last event
// folded (filter.FromSeq when none was): a live projection started at next
// with that state goes on from exactly there. It stops at the first error:
// a read error as the log gave it, an *ApplyError, or ctx's error (looked
// at every 1,024 events).
func Fold[S any](ctx context.Context, log Log, filter storage.Filter, initial S, apply Apply[S]) (S, uint64, error) {
	filter.Backward = false
	next := filter.FromSeq
	s, err := fold(ctx, log.Read(filter), initial, apply, func(seq, _ uint64) { next = seq + 1 })
	return s, next, err
}

// FoldStream folds one entity's events, from version 1, into initial with
// apply. It returns the state and the entity's version it reflects (0 for
// an entity without events): what an append that expects the entity
// unchanged puts in messages.Exactly. Errors as Fold's.
func FoldStream[S any](ctx context.Context, log Log, c messages.Coordinate, initial S, apply Apply[S]) (S, uint64, error) {
	var version uint64
	s, err := fold(ctx, log.ReadStream(c, storage.StreamRange{}), initial, apply, func(_, v uint64) { version = v })
	return s, version, err
}

func fold[S any](ctx context.Context, events iter.Seq2[messages.Event, error], s S, apply Apply[S], done func(seq, version uint64)) (S, error) {
	n := 0
	for ev, err := range events {
		if err != nil {
			return s, err
		}
		if n++; n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return s, err
			}
		}
		next, err := apply(s, ev)
		if err != nil {
			return s, &ApplyError{Sequence: ev.Sequence, ID: ev.ID, Err: err}
		}
		s = next
		done(ev.Sequence, ev.Version)
	}
	return s, ctx.Err()
}
