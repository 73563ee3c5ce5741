//go:build !linux

package fs

import "golang.org/x/sys/unix"

// datasync falls back to fsync(2) where fdatasync(2) is not available.
func datasync(fd int) error { return unix.Fsync(fd) }
