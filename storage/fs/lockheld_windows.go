package fs

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// LockHeld implements LockProber: it opens name read-only and asks for a
// shared LockFileEx on its first byte with LOCKFILE_FAIL_IMMEDIATELY,
// released at once; that fails while a Lock (exclusive) is held. During
// the attempt, a few microseconds, a Lock call on name would fail with
// ErrLocked.
func (osFS) LockHeld(name string) (bool, error) {
	f, err := os.Open(name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	defer f.Close()
	err = withHandle(f, func(h windows.Handle) error {
		return windows.LockFileEx(h, windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, new(windows.Overlapped))
	})
	switch {
	case err == nil:
		_ = withHandle(f, func(h windows.Handle) error {
			return windows.UnlockFileEx(h, 0, 1, 0, new(windows.Overlapped))
		})
		return false, nil
	case errors.Is(err, windows.ERROR_LOCK_VIOLATION):
		return true, nil
	}
	return false, &os.PathError{Op: "LockFileEx", Path: name, Err: err}
}
