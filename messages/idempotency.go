package messages

import "fmt"

// IdempotencyConflictError reports an append whose idempotency key was
// already used for a different request: the stored event (EventID, at
// Existing, of ExistingKind) differs from the request (at Requested, of
// RequestedKind) in its coordinate, kind, payload, correlation or
// causation. Nothing was written. errors.Is(err, ErrIdempotencyConflict)
// matches it. It travels in an *Error's IdempotencyConflict field.
type IdempotencyConflictError struct {
	// Key is the idempotency key that was reused.
	Key ID `msgpack:"key"`
	// EventID is the id of the event stored under Key.
	EventID ID `msgpack:"event"`
	// Existing is the stored event's coordinate.
	Existing Coordinate `msgpack:"existing"`
	// ExistingKind is the stored event's kind.
	ExistingKind EventKind `msgpack:"existing_kind"`
	// Requested is the coordinate of the refused request.
	Requested Coordinate `msgpack:"requested"`
	// RequestedKind is the kind of the refused request.
	RequestedKind EventKind `msgpack:"requested_kind"`
	// Field names the first field that differs ("coordinate", "kind",
	// "payload", "correlation", "causation", "metadata", "batch").
	Field string `msgpack:"field"`
}

// Error implements error.
func (e *IdempotencyConflictError) Error() string {
	if e == nil {
		return "<nil>"
	}
	return fmt.Sprintf("idempotency key %s was used for event %s on %s (kind %s); this request on %s (kind %s) differs in its %s",
		e.Key, e.EventID, e.Existing, e.ExistingKind, e.Requested, e.RequestedKind, e.Field)
}

// Unwrap lets errors.Is(err, ErrIdempotencyConflict) match (nil for a nil
// receiver).
func (e *IdempotencyConflictError) Unwrap() error {
	if e == nil {
		return nil
	}
	return ErrIdempotencyConflict
}
