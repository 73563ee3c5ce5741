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
type Coordinate struct {
	Entity string `msgpack:"entity"`
	Scope  string `msgpack:"scope"`
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
