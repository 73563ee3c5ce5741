//go:build unix

package fs

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// LockHeld implements LockProber. On Linux it first looks for a flock on
// name's inode in /proc/locks, which takes no lock at all; when that finds
// none (or elsewhere), it opens name read-only and tries a shared
// flock(2) with LOCK_SH|LOCK_NB, released at once: it fails while a Lock
// (exclusive) is held. During that attempt, a few microseconds, a Lock
// call on name would fail with ErrLocked as if the directory were in use;
// /proc/locks spares a held lock even that.
func (osFS) LockHeld(name string) (bool, error) {
	if held, ok := procLocksHeld(name); ok && held {
		return true, nil
	}
	f, err := os.Open(name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	defer f.Close()
	err = withFd(f, func(fd int) error {
		return retryEINTR(func() error { return unix.Flock(fd, unix.LOCK_SH|unix.LOCK_NB) })
	})
	switch {
	case err == nil:
		_ = withFd(f, func(fd int) error { return unix.Flock(fd, unix.LOCK_UN) })
		return false, nil
	case errors.Is(err, unix.EWOULDBLOCK):
		return true, nil
	}
	return false, &os.PathError{Op: "flock", Path: name, Err: err}
}
