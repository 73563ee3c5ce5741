//go:build unix && !linux && !darwin

package fs

import "golang.org/x/sys/unix"

// datasyncOp and dirsyncOp name the calls of datasync and dirsync in errors.
const (
	datasyncOp = "fsync"
	dirsyncOp  = "fsync"
)

// datasync falls back to fsync(2) where neither fdatasync(2) nor
// F_FULLFSYNC is used.
func datasync(fd int) error { return unix.Fsync(fd) }

// dirsync is fsync(2) of a directory.
func dirsync(fd int) error { return unix.Fsync(fd) }
