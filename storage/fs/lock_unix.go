//go:build unix

package fs

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Lock implements FS with flock(2) LOCK_EX|LOCK_NB on name, opened (and
// created) with 0600. The lock belongs to the open file description this
// call creates, so a second Lock on the same name fails even in the same
// process; the kernel releases it when the descriptor is closed or the
// process dies.
func (osFS) Lock(name string) (io.Closer, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	err = withFd(f, func(fd int) error {
		return retryEINTR(func() error { return unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) })
	})
	if err != nil {
		_ = f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("fs: lock %s: %w", name, ErrLocked)
		}
		return nil, &os.PathError{Op: "flock", Path: name, Err: err}
	}
	// Closing the only descriptor of the open file description releases
	// the flock.
	return f, nil
}
