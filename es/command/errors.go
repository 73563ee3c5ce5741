package command

import (
	"errors"
	"fmt"

	"github.com/batpak-go/batpak/messages"
)

// Sentinels; test with errors.Is.
var (
	// ErrTooManyConflicts: the entity kept moving under the command; every
	// attempt met a version conflict. The *ConflictError also matches
	// messages.ErrVersionConflict.
	ErrTooManyConflicts = errors.New("command: too many version conflicts")
	// ErrSnapshotIgnored: a snapshot did not match the log and was not
	// used (reported, never returned by a command).
	ErrSnapshotIgnored = errors.New("command: snapshot ignored")
	// ErrSnapshotSave: saving a snapshot failed (reported, never returned
	// by a command: the command's events are stored).
	ErrSnapshotSave = errors.New("command: snapshot not saved")
	// ErrRejected: the Decider's Decide returned an error (or panicked);
	// nothing was appended. The Decide error is wrapped too.
	ErrRejected = errors.New("command: rejected")
	// ErrEvolve: the Decider's Evolve panicked on an event; the state is
	// not usable.
	ErrEvolve = errors.New("command: evolve failed")
	// ErrInvalid: a bad Decider, option or request (an empty command id, a
	// nil function). It matches messages.ErrInvalidArgument too.
	ErrInvalid = fmt.Errorf("command: invalid argument: %w", messages.ErrInvalidArgument)
	// ErrCommandIDReused: the command id's events were stored on another
	// entity. It matches messages.ErrIdempotencyConflict too.
	ErrCommandIDReused = fmt.Errorf("command: command id used on another entity: %w", messages.ErrIdempotencyConflict)
)

// ConflictError is the error of a command that met a version conflict on
// each of its Attempts. errors.Is matches ErrTooManyConflicts and
// messages.ErrVersionConflict; errors.As finds the last conflict's
// *messages.VersionConflictError.
type ConflictError struct {
	// Coordinate is the entity.
	Coordinate messages.Coordinate
	// Attempts is how many times the command was decided and appended.
	Attempts int
	// Last is the last attempt's conflict.
	Last error
}

// Error implements error.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("command: %s: version conflict on each of %d attempts (last: %v)", e.Coordinate, e.Attempts, e.Last)
}

// Unwrap returns ErrTooManyConflicts and the last conflict.
func (e *ConflictError) Unwrap() []error { return []error{ErrTooManyConflicts, e.Last} }

// SnapshotError is what Options.OnSnapshotError receives: a snapshot that
// was ignored on load (ErrSnapshotIgnored) or could not be saved
// (ErrSnapshotSave), and why.
type SnapshotError struct {
	// Coordinate is the entity.
	Coordinate messages.Coordinate
	// Type is the snapshot's type.
	Type string
	// Version is the snapshot's version (0 when Latest itself failed).
	Version uint64
	// Reason says why.
	Reason string
	// Op is ErrSnapshotIgnored or ErrSnapshotSave.
	Op error
	// Err is the underlying error, if any.
	Err error
}

// Error implements error.
func (e *SnapshotError) Error() string {
	s := fmt.Sprintf("%v: %s type %q version %d: %s", e.Op, e.Coordinate, e.Type, e.Version, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns Op and Err.
func (e *SnapshotError) Unwrap() []error { return []error{e.Op, e.Err} }
