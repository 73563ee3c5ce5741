//go:build unix

package fs

import (
	"errors"

	"golang.org/x/sys/unix"
)

// fullFsync calls full (F_FULLFSYNC on macOS) and falls back to plain
// (fsync) only when the file system says it does not implement full:
// ENOTSUP (SMB mounts; Go's os.File.Sync falls back on it since
// https://go.dev/issue/64215) or EINVAL (file systems without the command;
// SQLite falls back on any failure). Any other error, EIO above all, is
// returned as it is: after a failed sync the file's state is unknown, and a
// weaker sync that happens to succeed would not make it known.
//
// It is used on macOS only; it is built on every Unix so that its fallback
// rule is tested on Linux as well.
func fullFsync(fd int, full, plain func(int) error) error {
	err := full(fd)
	if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EINVAL) {
		return plain(fd)
	}
	return err
}
