package snapshot

import (
	"fmt"

	"github.com/batpak-go/batpak/messages"
)

// CorruptError describes a snapshot file that failed a check on load: a bad
// magic or format version, a wrong size (truncated or extended), a checksum
// mismatch, or a coordinate, type or version that does not match its
// name. Latest skips such a file (it is never returned), renames it to
// Name+".corrupt" and counts it in Stats; errors.Is(err,
// messages.ErrCorrupt) matches it.
type CorruptError struct {
	// File is the file's name in the store's directory (before it was set
	// aside).
	File string
	// Reason says which check failed.
	Reason string
}

// Error implements error.
func (e *CorruptError) Error() string {
	if e == nil {
		return "<nil>"
	}
	return fmt.Sprintf("snapshot: %s is corrupt: %s", e.File, e.Reason)
}

// Unwrap lets errors.Is(err, messages.ErrCorrupt) match.
func (e *CorruptError) Unwrap() error {
	if e == nil {
		return nil
	}
	return messages.ErrCorrupt
}
