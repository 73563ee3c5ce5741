package fs

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/windows"
)

// Lock implements FS with LockFileEx(LOCKFILE_EXCLUSIVE_LOCK|
// LOCKFILE_FAIL_IMMEDIATELY) on the first byte of name, opened (and
// created) by this call. Byte-range locks belong to the handle, so a second
// Lock on the same name fails with ERROR_LOCK_VIOLATION (reported as
// ErrLocked) even in the same process. Windows releases the locks of a
// process that dies; Close unlocks explicitly before closing the handle,
// because Windows may release the lock of a closed handle only later
// (LockFileEx documentation).
func (osFS) Lock(name string) (io.Closer, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	err = withHandle(f, func(h windows.Handle) error {
		return windows.LockFileEx(h, windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY,
			0, 1, 0, new(windows.Overlapped))
	})
	if err != nil {
		_ = f.Close()
		if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
			return nil, fmt.Errorf("fs: lock %s: %w", name, ErrLocked)
		}
		return nil, &os.PathError{Op: "LockFileEx", Path: name, Err: err}
	}
	return winLock{f}, nil
}

// winLock is a held LockFileEx lock; Close releases it.
type winLock struct{ f *os.File }

// Close unlocks the byte and closes the handle.
func (l winLock) Close() error {
	err := withHandle(l.f, func(h windows.Handle) error {
		return windows.UnlockFileEx(h, 0, 1, 0, new(windows.Overlapped))
	})
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// withHandle runs op on the handle of f, keeping f alive meanwhile. A
// closed f gives os.ErrClosed (Control fails only then; see withFd).
func withHandle(f *os.File, op func(h windows.Handle) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var opErr error
	if err := rc.Control(func(h uintptr) { opErr = op(windows.Handle(h)) }); err != nil {
		return os.ErrClosed
	}
	return opErr
}
