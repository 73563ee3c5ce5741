package messages

import (
	"errors"
	"fmt"
)

// ErrorCode classifies an error so that it can travel in a reply and be
// matched on the other side.
type ErrorCode uint16

// Error codes. Their numbers are part of the wire format: append only.
const (
	CodeUnknown             ErrorCode = iota // an error with no better code
	CodeInvalidCoordinate                    // entity or scope fails validation
	CodeReservedKind                         // a user append used a system kind
	CodePayloadTooLarge                      // payload over the configured limit
	CodeVersionConflict                      // the expected version did not hold
	CodeInvalidBatch                         // a batch failed validation
	CodePartialReplay                        // some, not all, keys of a batch exist
	CodeNotFound                             // no such event
	CodeCorrupt                              // stored bytes failed a check
	CodeIO                                   // the file system failed
	CodeSyncFailed                           // an fsync failed; the store refuses writes until reopened
	CodeClosed                               // the store is closed
	CodeWriterCrashed                        // the writer crashed while handling the request
	CodeWriterStopped                        // the writer's restart budget is spent
	CodeShuttingDown                         // Deprecated: never sent; a store that is closing answers CodeClosed
	CodeUnknownMessage                       // the receiver does not handle this message type
	CodeDenied                               // a policy gate denied the append
	CodeInvalidArgument                      // a request's field is out of range
	CodeIdempotencyConflict                  // an idempotency key was reused for a different request
	CodeOverloaded                           // the writer's admission bound is reached; back off and retry
	CodeOutcomeUnknown                       // the request may or may not have been written
)

var codeNames = [...]string{
	"unknown", "invalid coordinate", "reserved kind", "payload too large",
	"version conflict", "invalid batch", "partial batch replay", "not found",
	"corrupt", "i/o error", "sync failed", "closed", "writer crashed",
	"writer stopped", "shutting down", "unknown message", "denied", "invalid argument",
	"idempotency conflict", "overloaded", "outcome unknown",
}

// String names the code.
func (c ErrorCode) String() string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("code %d", uint16(c))
}

// Error is an error as it travels in a reply: a code, a message and, when
// the error had one, its structured detail (at most one detail field is
// set; the others are nil). errors.Is(err, sentinel) matches any *Error with
// the sentinel's code, so callers test replies and local errors the same
// way; errors.As finds the detail, so
//
//	var vc *messages.VersionConflictError
//	if errors.As(err, &vc) { ... vc.Actual ... }
//
// works on the engine's error, on the *Error a reply carries, and on one
// that crossed a process boundary. Every method is safe on a nil *Error.
type Error struct {
	// Code classifies the error; it is what errors.Is compares.
	Code ErrorCode `msgpack:"code"`
	// Message is the error's text as the sender saw it.
	Message string `msgpack:"message"`
	// VersionConflict is the detail of a CodeVersionConflict.
	VersionConflict *VersionConflictError `msgpack:"version_conflict,omitempty"`
	// Corruption is the detail of a CodeCorrupt.
	Corruption *CorruptionError `msgpack:"corruption,omitempty"`
	// Coordinate is the detail of a CodeInvalidCoordinate.
	Coordinate *CoordinateError `msgpack:"coordinate,omitempty"`
	// IdempotencyConflict is the detail of a CodeIdempotencyConflict.
	IdempotencyConflict *IdempotencyConflictError `msgpack:"idempotency_conflict,omitempty"`
	// Batch is the detail of a refused batch: the item and its cause (which
	// carries the cause's own detail).
	Batch *BatchError `msgpack:"batch,omitempty"`
	// Denial is the detail of a CodeDenied: the gates' denials.
	Denial *DenialError `msgpack:"denial,omitempty"`
}

// Error implements error. A nil *Error reads "<nil>".
func (e *Error) Error() string {
	if e == nil {
		return "<nil>"
	}
	if e.Message == "" {
		return e.Code.String()
	}
	return e.Message
}

// Is matches another non-nil *Error with the same code. A nil *Error
// matches nothing.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && e != nil && t != nil && t.Code == e.Code
}

// Unwrap returns the detail fields that are set, so that errors.As finds
// them (and through them their sentinels). It returns nil for a nil
// *Error.
func (e *Error) Unwrap() []error {
	if e == nil {
		return nil
	}
	var out []error
	if e.VersionConflict != nil {
		out = append(out, e.VersionConflict)
	}
	if e.Corruption != nil {
		out = append(out, e.Corruption)
	}
	if e.Coordinate != nil {
		out = append(out, e.Coordinate)
	}
	if e.IdempotencyConflict != nil {
		out = append(out, e.IdempotencyConflict)
	}
	if e.Batch != nil {
		out = append(out, e.Batch)
	}
	if e.Denial != nil {
		out = append(out, e.Denial)
	}
	return out
}

// Sentinels, one per code; test with errors.Is.
var (
	ErrInvalidCoordinate = &Error{Code: CodeInvalidCoordinate} // entity or scope fails Validate; detail: *CoordinateError
	ErrReservedKind      = &Error{Code: CodeReservedKind}      // the kind's category is the store's (0x0 or 0xD)
	ErrPayloadTooLarge   = &Error{Code: CodePayloadTooLarge}   // a payload over the engine's MaxPayloadBytes
	ErrVersionConflict   = &Error{Code: CodeVersionConflict}   // the expected version did not hold; detail: *VersionConflictError
	ErrInvalidBatch      = &Error{Code: CodeInvalidBatch}      // a batch broke a batch rule (size, expected-version mode, causation, repeated key)
	ErrPartialReplay     = &Error{Code: CodePartialReplay}     // some, not all, of a batch's keyed items were written before
	ErrNotFound          = &Error{Code: CodeNotFound}          // no committed event has that id
	ErrCorrupt           = &Error{Code: CodeCorrupt}           // stored bytes failed a check; detail: *CorruptionError
	ErrIO                = &Error{Code: CodeIO}                // the file system failed (also: the directory is locked by another engine)
	ErrSyncFailed        = &Error{Code: CodeSyncFailed}        // an fsync failed; the engine refuses writes until reopened
	ErrClosed            = &Error{Code: CodeClosed}            // the store or engine is closed or closing
	ErrWriterCrashed     = &Error{Code: CodeWriterCrashed}     // the writer crashed; nothing of the request was written
	ErrWriterStopped     = &Error{Code: CodeWriterStopped}     // the writer's restart budget is spent; it takes no more requests
	ErrUnknownMessage    = &Error{Code: CodeUnknownMessage}    // the receiving actor does not handle this message type
	ErrDenied            = &Error{Code: CodeDenied}            // a policy gate denied the append or batch; detail: *DenialError
	ErrInvalidArgument   = &Error{Code: CodeInvalidArgument}   // a request, option or field out of range (a nil request, a read Limit...)
	// ErrIdempotencyConflict: the key names an event written for another
	// request (another coordinate, kind, payload, correlation or causation).
	ErrIdempotencyConflict = &Error{Code: CodeIdempotencyConflict}
	// ErrOverloaded: the writer's queue is at its bound; nothing was
	// written. Back off and retry.
	ErrOverloaded = &Error{Code: CodeOverloaded}
	// ErrOutcomeUnknown: the writer failed and could not make sure that
	// nothing of the request was written. Retry with an idempotency key.
	ErrOutcomeUnknown = &Error{Code: CodeOutcomeUnknown}
	// ErrShuttingDown is ErrClosed: a request to a store that is closing or
	// closed gets that one answer, through an actor or the Go API.
	//
	// Deprecated: use ErrClosed.
	ErrShuttingDown = ErrClosed
)

var sentinels = []*Error{
	ErrInvalidCoordinate, ErrReservedKind, ErrPayloadTooLarge, ErrVersionConflict,
	ErrInvalidBatch, ErrPartialReplay, ErrNotFound, ErrCorrupt, ErrSyncFailed, ErrIO,
	ErrClosed, ErrWriterCrashed, ErrWriterStopped, ErrUnknownMessage,
	ErrDenied, ErrInvalidArgument, ErrIdempotencyConflict, ErrOverloaded, ErrOutcomeUnknown,
}

// CodeOf returns the code of the first *Error or sentinel err matches, or
// CodeUnknown.
func CodeOf(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) && e != nil {
		return e.Code
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return s.Code
		}
	}
	return CodeUnknown
}

// ToError turns any error into a fresh *Error that can travel in a reply,
// keeping its text, its code and its detail: each detail field is filled
// with a copy of what errors.As finds in err. An error holding a
// *BatchError gets only the Batch detail (its cause carries the rest). It
// returns nil for nil and for a nil *Error.
func ToError(err error) *Error {
	if err == nil {
		return nil
	}
	if e, ok := err.(*Error); ok && e == nil {
		return nil
	}
	out := &Error{Code: CodeOf(err), Message: err.Error()}
	if b := find[*BatchError](err); b != nil {
		out.Batch = b.clone()
		return out
	}
	out.VersionConflict = clone(find[*VersionConflictError](err))
	out.Corruption = clone(find[*CorruptionError](err))
	out.Coordinate = clone(find[*CoordinateError](err))
	out.IdempotencyConflict = clone(find[*IdempotencyConflictError](err))
	out.Denial = find[*DenialError](err).clone()
	return out
}

// clone returns a copy of *e, or nil for nil.
func (e *Error) clone() *Error {
	if e == nil {
		return nil
	}
	c := *e
	c.VersionConflict = clone(e.VersionConflict)
	c.Corruption = clone(e.Corruption)
	c.Coordinate = clone(e.Coordinate)
	c.IdempotencyConflict = clone(e.IdempotencyConflict)
	c.Batch = e.Batch.clone()
	c.Denial = e.Denial.clone()
	return &c
}

// find returns the first T in err's chain, or T's zero value.
func find[T error](err error) T {
	var t T
	errors.As(err, &t)
	return t
}

// clone returns a shallow copy of *p, or nil for nil.
func clone[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}
