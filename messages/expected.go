package messages

import "fmt"

// ExpectMode says what an append expects of its entity's current version.
type ExpectMode uint8

// Expectation modes.
const (
	// ExpectAny accepts the append whatever the entity's version.
	ExpectAny ExpectMode = iota
	// ExpectNoStream accepts the append only if the entity has no events.
	ExpectNoStream
	// ExpectExact accepts the append only if the entity's last event has
	// exactly the given version.
	ExpectExact
)

// ExpectedVersion is an append's optimistic-concurrency condition. Entity
// versions count from 1 (the first event of an entity has version 1), so an
// empty entity (version 0) is never confused with a one-event entity.
// The zero value is ExpectAny.
type ExpectedVersion struct {
	// Mode is the kind of condition: ExpectAny (the zero value),
	// ExpectNoStream or ExpectExact. An append with any other mode is
	// refused with ErrInvalidArgument.
	Mode ExpectMode `msgpack:"mode"`
	// Version is the entity's version the append expects, with
	// ExpectExact only (ignored otherwise): the version of the entity's
	// last event, 1 after its first append; 0 means the entity has no
	// events (Exactly(0) is NoStream()). Any uint64.
	Version uint64 `msgpack:"version,omitempty"`
}

// Any returns the condition that always holds.
func Any() ExpectedVersion { return ExpectedVersion{Mode: ExpectAny} }

// NoStream returns the condition "the entity has no events yet".
func NoStream() ExpectedVersion { return ExpectedVersion{Mode: ExpectNoStream} }

// Exactly returns the condition "the entity's current version is v".
// Exactly(0) is the same as NoStream().
func Exactly(v uint64) ExpectedVersion { return ExpectedVersion{Mode: ExpectExact, Version: v} }

// Check reports whether the condition holds for an entity whose current
// version is current. An unknown mode never holds.
func (e ExpectedVersion) Check(current uint64) bool {
	switch e.Mode {
	case ExpectNoStream:
		return current == 0
	case ExpectExact:
		return current == e.Version
	case ExpectAny:
		return true
	}
	return false
}

// IsAny reports whether the condition always holds.
func (e ExpectedVersion) IsAny() bool { return e.Mode == ExpectAny }

// String describes the condition.
func (e ExpectedVersion) String() string {
	switch e.Mode {
	case ExpectNoStream:
		return "no stream"
	case ExpectExact:
		return fmt.Sprintf("version %d", e.Version)
	default:
		return "any"
	}
}
