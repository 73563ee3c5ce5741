package fs

import "golang.org/x/sys/unix"

// datasyncOp and dirsyncOp name the calls of datasync and dirsync in errors.
const (
	datasyncOp = "fcntl F_FULLFSYNC"
	dirsyncOp  = "fcntl F_FULLFSYNC"
)

// datasync is fcntl(F_FULLFSYNC). On macOS fsync(2) only moves the data to
// the drive, which may hold it in its volatile cache and even reorder it;
// F_FULLFSYNC also makes the drive flush that cache, so the data survives a
// power loss (fsync(2) and fcntl(2) man pages; Go's os.File.Sync does the
// same, and so does SQLite with PRAGMA fullfsync). A file system that does
// not implement F_FULLFSYNC gets fsync(2), the best it offers (see
// fullFsync).
func datasync(fd int) error { return fullFsync(fd, fcntlFullFsync, unix.Fsync) }

// dirsync syncs a directory the same way, so new, removed and renamed
// entries leave the drive's cache too.
func dirsync(fd int) error { return datasync(fd) }

// fcntlFullFsync is fcntl(fd, F_FULLFSYNC).
func fcntlFullFsync(fd int) error {
	_, err := unix.FcntlInt(uintptr(fd), unix.F_FULLFSYNC, 0)
	return err
}
