package messages

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxCoordinateBytes is the longest entity or scope, in bytes.
const MaxCoordinateBytes = 1024

// Coordinate names the stream an event belongs to: an entity (the
// aggregate, e.g. "order/42") within a scope (e.g. a tenant or context).
// Two coordinates name the same stream when both strings are equal byte
// for byte. The zero Coordinate is invalid: an append needs both parts.
type Coordinate struct {
	// Entity names the entity (the aggregate): non-empty, at most
	// MaxCoordinateBytes (1024) bytes, valid UTF-8, no NUL byte. Filters
	// match it by prefix (Filter.EntityPrefix), so a hierarchical name
	// such as "order/42" lets "order/" select every order.
	Entity string `msgpack:"entity"`
	// Scope names the context the entity lives in (a tenant, a bounded
	// context): non-empty, at most MaxCoordinateBytes bytes, valid UTF-8,
	// no NUL byte. Filters match it exactly.
	Scope string `msgpack:"scope"`
}

// CoordinateError says which part of a coordinate is invalid and why.
// It travels in an *Error's Coordinate field.
type CoordinateError struct {
	// Field is "entity" or "scope".
	Field string `msgpack:"field"`
	// Reason says what is wrong with it.
	Reason string `msgpack:"reason"`
}

// Error implements error. A nil *CoordinateError reads "<nil>".
func (e *CoordinateError) Error() string {
	if e == nil {
		return "<nil>"
	}
	return fmt.Sprintf("invalid coordinate: %s %s", e.Field, e.Reason)
}

// Unwrap lets errors.Is(err, ErrInvalidCoordinate) match (nil for a nil
// receiver).
func (e *CoordinateError) Unwrap() error {
	if e == nil {
		return nil
	}
	return ErrInvalidCoordinate
}

// Validate checks that entity and scope are non-empty, at most
// MaxCoordinateBytes long, valid UTF-8 and free of NUL bytes.
func (c Coordinate) Validate() error {
	if err := validatePart("entity", c.Entity); err != nil {
		return err
	}
	return validatePart("scope", c.Scope)
}

func validatePart(field, s string) error {
	switch {
	case s == "":
		return &CoordinateError{Field: field, Reason: "is empty"}
	case len(s) > MaxCoordinateBytes:
		return &CoordinateError{Field: field, Reason: fmt.Sprintf("is %d bytes, over %d", len(s), MaxCoordinateBytes)}
	case !utf8.ValidString(s):
		return &CoordinateError{Field: field, Reason: "is not valid UTF-8"}
	case strings.IndexByte(s, 0) >= 0:
		return &CoordinateError{Field: field, Reason: "contains a NUL byte"}
	}
	return nil
}

// String returns "scope/entity".
func (c Coordinate) String() string { return c.Scope + "/" + c.Entity }
