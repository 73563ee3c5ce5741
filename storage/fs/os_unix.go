//go:build unix

package fs

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// syncFile is SyncFile on Unix: datasync (fdatasync on Linux, F_FULLFSYNC
// on macOS, fsync elsewhere; see the datasync_*.go files), retried on EINTR.
func syncFile(f *os.File) error {
	err := withFd(f, func(fd int) error { return retryEINTR(func() error { return datasync(fd) }) })
	if err != nil {
		return &os.PathError{Op: datasyncOp, Path: f.Name(), Err: err}
	}
	return nil
}

// SyncDir implements FS by opening dir and syncing it with dirsync: fsync(2)
// (F_FULLFSYNC on macOS, where fsync leaves the new entries in the drive's
// cache).
func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = withFd(d, func(fd int) error { return retryEINTR(func() error { return dirsync(fd) }) })
	cerr := d.Close()
	if err != nil {
		return &os.PathError{Op: dirsyncOp, Path: dir, Err: err}
	}
	return cerr
}

// withFd runs op on the raw descriptor of f, keeping f alive meanwhile. A
// closed f gives os.ErrClosed, as os.File's own methods (and Mem) report it.
func withFd(f *os.File, op func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var opErr error
	if err := rc.Control(func(fd uintptr) { opErr = op(int(fd)) }); err != nil {
		// Control fails only once f is closed, with internal/poll's "use
		// of closed file", which os.File translates to os.ErrClosed.
		return os.ErrClosed
	}
	return opErr
}

// retryEINTR calls op until it returns something other than EINTR.
func retryEINTR(op func() error) error {
	for {
		if err := op(); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
