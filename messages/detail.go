package messages

import "fmt"

// VersionConflictError reports an append whose expected version did not
// hold: the entity at Coordinate is at version Actual. Nothing was written.
// errors.Is(err, ErrVersionConflict) matches it. It travels in an *Error's
// VersionConflict field, so errors.As finds it in a reply too.
type VersionConflictError struct {
	// Coordinate is the entity of the refused append.
	Coordinate Coordinate `msgpack:"coordinate"`
	// Expected is the append's condition.
	Expected ExpectedVersion `msgpack:"expected"`
	// Actual is the entity's version when the append was refused (its
	// committed version: a conflict that only unpublished events cause is
	// never reported). For a batch item, the version the item was checked
	// against: the entity's version plus the earlier items of the same
	// batch on it.
	Actual uint64 `msgpack:"actual"`
}

// Error implements error. A nil *VersionConflictError reads "<nil>".
func (e *VersionConflictError) Error() string {
	if e == nil {
		return "<nil>"
	}
	return fmt.Sprintf("storage: version conflict on %s: expected %s, entity is at version %d",
		e.Coordinate, e.Expected, e.Actual)
}

// Unwrap returns ErrVersionConflict (nil for a nil receiver).
func (e *VersionConflictError) Unwrap() error {
	if e == nil {
		return nil
	}
	return ErrVersionConflict
}

// CorruptionError reports stored bytes that fail a check: which segment,
// at which offset, and why. errors.Is(err, ErrCorrupt) (and
// storage.ErrCorrupt) match it. It travels in an *Error's Corruption field.
type CorruptionError struct {
	// Segment is the id of the damaged segment.
	Segment uint64 `msgpack:"segment"`
	// Offset is where in the segment the damage starts.
	Offset int64 `msgpack:"offset"`
	// Reason says which check failed.
	Reason string `msgpack:"reason"`
}

// Error implements error. A nil *CorruptionError reads "<nil>".
func (e *CorruptionError) Error() string {
	if e == nil {
		return "<nil>"
	}
	return fmt.Sprintf("storage: corrupt segment %d at offset %d: %s", e.Segment, e.Offset, e.Reason)
}

// Unwrap returns ErrCorrupt (nil for a nil receiver).
func (e *CorruptionError) Unwrap() error {
	if e == nil {
		return nil
	}
	return ErrCorrupt
}
