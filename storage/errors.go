package storage

import (
	"fmt"

	"github.com/batpak-go/batpak/messages"
)

// Errors of the engine. Each wraps the messages sentinel with the same
// meaning, so errors.Is works with either.
var (
	// ErrLocked: another engine holds the data directory.
	ErrLocked = fmt.Errorf("storage: data directory is locked by another engine: %w", messages.ErrIO)
	// ErrClosed: the engine was closed.
	ErrClosed = fmt.Errorf("storage: %w", messages.ErrClosed)
	// ErrCorrupt is wrapped by every *CorruptionError.
	ErrCorrupt = fmt.Errorf("storage: %w", messages.ErrCorrupt)
	// ErrNotFound: no committed event has that id.
	ErrNotFound = fmt.Errorf("storage: event %w", messages.ErrNotFound)
)

// CorruptionError reports stored bytes that fail a check: which segment,
// at which offset, and why. errors.Is(err, ErrCorrupt) and
// errors.Is(err, messages.ErrCorrupt) match it.
type CorruptionError struct {
	Segment uint64
	Offset  int64
	Reason  string
}

// Error implements error.
func (e *CorruptionError) Error() string {
	return fmt.Sprintf("storage: corrupt segment %d at offset %d: %s", e.Segment, e.Offset, e.Reason)
}

// Unwrap returns ErrCorrupt.
func (e *CorruptionError) Unwrap() error { return ErrCorrupt }

// VersionConflictError reports an append whose expected version did not
// hold. It matches messages.ErrVersionConflict.
type VersionConflictError struct {
	Coordinate messages.Coordinate
	Expected   messages.ExpectedVersion
	Actual     uint64
}

// Error implements error.
func (e *VersionConflictError) Error() string {
	return fmt.Sprintf("storage: version conflict on %s: expected %s, entity is at version %d",
		e.Coordinate, e.Expected, e.Actual)
}

// Unwrap returns messages.ErrVersionConflict.
func (e *VersionConflictError) Unwrap() error { return messages.ErrVersionConflict }

// BatchError reports why an AppendBatch was refused, and which item caused
// it (-1 for the batch as a whole). It wraps the specific cause
// (messages.ErrInvalidBatch, ErrPartialReplay, ErrInvalidCoordinate, ...).
type BatchError struct {
	Item int
	Err  error
}

// Error implements error.
func (e *BatchError) Error() string {
	if e.Item < 0 {
		return fmt.Sprintf("storage: batch refused: %v", e.Err)
	}
	return fmt.Sprintf("storage: batch refused at item %d: %v", e.Item, e.Err)
}

// Unwrap returns the cause.
func (e *BatchError) Unwrap() error { return e.Err }

// failedError wraps the sticky error of an engine whose commit failed.
func failedError(cause error) error {
	return fmt.Errorf("storage: engine refuses writes after an earlier failure (reopen to recover): %w", cause)
}

// ioError classifies an I/O failure during a commit.
func ioError(op string, err error, sync bool) error {
	code := messages.ErrIO
	if sync {
		code = messages.ErrSyncFailed
	}
	return fmt.Errorf("storage: %s: %w: %w", op, code, err)
}
