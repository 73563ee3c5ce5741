package protopersist

import (
	"errors"
	"fmt"
)

// ErrForeignEvent says an actor's stream holds an event the Provider did
// not write (another kind, or a payload that is not a proto Any): the
// stream is not the actor's alone, and replaying it would be wrong.
var ErrForeignEvent = errors.New("protopersist: foreign event in an actor's stream")

// ErrUnknownType says a stored event's or snapshot's proto type is not
// known to Options.Resolver (its Go package is not linked in).
var ErrUnknownType = errors.New("protopersist: unknown proto message type")

// PersistError is the panic value of a Provider call that cannot do its
// work: a failed append (PersistEvent) or a failed read of the events
// (GetEvents). protoactor's interface has no error results, so the
// Provider panics inside the actor; protoactor's supervision restarts the
// actor, which recovers its state from the store again. Err is the cause,
// matched with errors.Is / errors.As through Unwrap (for example
// messages.ErrVersionConflict, messages.ErrWriterCrashed,
// messages.ErrClosed, ErrUnknownType).
type PersistError struct {
	// Op is the Provider method: "PersistEvent" or "GetEvents".
	Op string
	// Actor is the actor's name.
	Actor string
	// Index is protoactor's event index the call was at (the event being
	// persisted, or the first one being read).
	Index int
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *PersistError) Error() string {
	if e == nil {
		return "<nil>"
	}
	return fmt.Sprintf("protopersist: %s %q at index %d: %v", e.Op, e.Actor, e.Index, e.Err)
}

// Unwrap returns the cause.
func (e *PersistError) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Err
}
