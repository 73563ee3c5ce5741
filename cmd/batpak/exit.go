package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"syscall"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// The exit statuses (see the package doc).
const (
	// ExitOK: success; for verify, the store is clean.
	ExitOK = 0
	// ExitError: bad input (not a store, a missing directory, a bad flag
	// value) or any error not covered below.
	ExitError = 1
	// ExitUsage: an unknown command or flag, or a wrong number of
	// arguments.
	ExitUsage = 2
	// ExitCorrupt: the store is corrupt (a frame, footer, checkpoint or
	// hash chain fails its check).
	ExitCorrupt = 3
	// ExitIO: reading or writing a file failed.
	ExitIO = 4
)

// usageError marks an error in how the command was called.
type usageError struct{ err error }

func (u *usageError) Error() string { return u.err.Error() }
func (u *usageError) Unwrap() error { return u.err }

// statusError carries an exit status chosen by a command (e.g. verify's
// corruption status after it printed its own report).
type statusError struct {
	code int
	err  error
}

func (s *statusError) Error() string { return s.err.Error() }
func (s *statusError) Unwrap() error { return s.err }

// exitCode maps an error to its exit status.
func exitCode(err error) int {
	var ue *usageError
	var se *statusError
	var ce *storage.CorruptionError
	var pe *fs.PathError
	var errno syscall.Errno
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &se):
		return se.code
	case errors.As(err, &ue):
		return ExitUsage
	case errors.As(err, &ce), errors.Is(err, messages.ErrCorrupt):
		return ExitCorrupt
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission),
		errors.Is(err, syscall.ENOTDIR), errors.Is(err, messages.ErrInvalidArgument):
		return ExitError // bad input: a missing or unreadable path, a file for a directory, not a store
	case errors.As(err, &pe), errors.As(err, &errno), errors.Is(err, io.ErrUnexpectedEOF):
		return ExitIO
	}
	return ExitError
}

// report prints err as one line on stderr and returns its exit status. A
// statusError whose message is empty prints nothing (the command already
// reported).
func report(stderr io.Writer, err error) int {
	if msg := oneLine(err.Error()); msg != "" {
		fmt.Fprintf(stderr, "batpak: %s\n", msg)
	}
	return exitCode(err)
}

// oneLine joins the lines of msg with "; ", and escapes any other control
// character (a name in a storage error may hold one).
func oneLine(msg string) string {
	return esc(strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", " ; ")), " "))
}

// internalError turns a recovered panic into an error (a bug in batpak, not
// bad input: say so, without a stack trace).
func internalError(p any) error {
	return fmt.Errorf("internal error (please report it): %v", p)
}
