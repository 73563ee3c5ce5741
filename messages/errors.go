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
	CodeShuttingDown                         // the store is shutting down and did not take the request
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

// Error is an error as it travels in a reply: a code and a message.
// errors.Is(err, sentinel) matches any *Error with the sentinel's code, so
// callers test replies and local errors the same way.
type Error struct {
	Code    ErrorCode `msgpack:"code"`
	Message string    `msgpack:"message"`
}

// Error implements error.
func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code.String()
	}
	return e.Message
}

// Is matches another *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t != nil && t.Code == e.Code
}

// Sentinels, one per code; test with errors.Is.
var (
	ErrInvalidCoordinate = &Error{Code: CodeInvalidCoordinate}
	ErrReservedKind      = &Error{Code: CodeReservedKind}
	ErrPayloadTooLarge   = &Error{Code: CodePayloadTooLarge}
	ErrVersionConflict   = &Error{Code: CodeVersionConflict}
	ErrInvalidBatch      = &Error{Code: CodeInvalidBatch}
	ErrPartialReplay     = &Error{Code: CodePartialReplay}
	ErrNotFound          = &Error{Code: CodeNotFound}
	ErrCorrupt           = &Error{Code: CodeCorrupt}
	ErrIO                = &Error{Code: CodeIO}
	ErrSyncFailed        = &Error{Code: CodeSyncFailed}
	ErrClosed            = &Error{Code: CodeClosed}
	ErrWriterCrashed     = &Error{Code: CodeWriterCrashed}
	ErrWriterStopped     = &Error{Code: CodeWriterStopped}
	ErrShuttingDown      = &Error{Code: CodeShuttingDown}
	ErrUnknownMessage    = &Error{Code: CodeUnknownMessage}
	ErrDenied            = &Error{Code: CodeDenied}
	ErrInvalidArgument   = &Error{Code: CodeInvalidArgument}
	// ErrIdempotencyConflict: the key names an event written for another
	// request (another coordinate, kind, payload, correlation or causation).
	ErrIdempotencyConflict = &Error{Code: CodeIdempotencyConflict}
	// ErrOverloaded: the writer's queue is at its bound; nothing was
	// written. Back off and retry.
	ErrOverloaded = &Error{Code: CodeOverloaded}
	// ErrOutcomeUnknown: the writer failed and could not make sure that
	// nothing of the request was written. Retry with an idempotency key.
	ErrOutcomeUnknown = &Error{Code: CodeOutcomeUnknown}
)

var sentinels = []*Error{
	ErrInvalidCoordinate, ErrReservedKind, ErrPayloadTooLarge, ErrVersionConflict,
	ErrInvalidBatch, ErrPartialReplay, ErrNotFound, ErrCorrupt, ErrSyncFailed, ErrIO,
	ErrClosed, ErrWriterCrashed, ErrWriterStopped, ErrShuttingDown, ErrUnknownMessage,
	ErrDenied, ErrInvalidArgument, ErrIdempotencyConflict, ErrOverloaded, ErrOutcomeUnknown,
}

// CodeOf returns the code of the first sentinel err matches, or CodeUnknown.
func CodeOf(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
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
// keeping its text and its code. It returns nil for nil.
func ToError(err error) *Error {
	if err == nil {
		return nil
	}
	return &Error{Code: CodeOf(err), Message: err.Error()}
}
