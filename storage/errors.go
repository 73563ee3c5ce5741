package storage

import (
	"fmt"

	"github.com/batpak-go/batpak/messages"
)

// Errors of the engine. Each matches the messages sentinel with the same
// meaning, so errors.Is works with either.
var (
	// ErrLocked: another engine holds the data directory.
	ErrLocked = fmt.Errorf("storage: data directory is locked by another engine: %w", messages.ErrIO)
	// ErrClosed: the engine was closed.
	ErrClosed = fmt.Errorf("storage: %w", messages.ErrClosed)
	// ErrCorrupt matches every error with messages.CodeCorrupt: every
	// *CorruptionError, and a corruption reported in a reply, even one
	// that crossed a process boundary.
	ErrCorrupt error = &messages.Error{Code: messages.CodeCorrupt, Message: "storage: corrupt"}
	// ErrNotFound: no committed event has that id.
	ErrNotFound = fmt.Errorf("storage: event %w", messages.ErrNotFound)
)

// The engine's typed errors live in messages, so that they travel in
// replies (see messages.Error); these aliases keep their storage names.
type (
	// CorruptionError reports stored bytes that fail a check: which
	// segment, at which offset, and why. errors.Is(err, ErrCorrupt) and
	// errors.Is(err, messages.ErrCorrupt) match it.
	CorruptionError = messages.CorruptionError
	// VersionConflictError reports an append whose expected version did
	// not hold, with the entity's actual version. It matches
	// messages.ErrVersionConflict.
	VersionConflictError = messages.VersionConflictError
	// BatchError reports why an AppendBatch was refused, and which item
	// caused it (-1 for the batch as a whole). Its Cause is the specific
	// error (messages.ErrInvalidBatch, ErrPartialReplay,
	// ErrInvalidCoordinate, ...), which errors.Is and errors.As see.
	BatchError = messages.BatchError
)

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
