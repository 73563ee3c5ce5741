package fs

import "golang.org/x/sys/unix"

// datasyncOp and dirsyncOp name the calls of datasync and dirsync in errors.
const (
	datasyncOp = "fdatasync"
	dirsyncOp  = "fsync"
)

// datasync is fdatasync(2): it writes the data of fd and the metadata needed
// to read it back (the size) to stable storage, flushing the device's write
// cache, and skips metadata that reading does not need (timestamps).
func datasync(fd int) error { return unix.Fdatasync(fd) }

// dirsync is fsync(2) of a directory: it makes the creation, removal and
// renaming of its entries durable.
func dirsync(fd int) error { return unix.Fsync(fd) }
