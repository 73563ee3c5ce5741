package fs

import "golang.org/x/sys/unix"

// startWriteback is sync_file_range(SYNC_FILE_RANGE_WRITE): start the
// writeback of the dirty pages in the range, wait for none.
func (f osFile) startWriteback(off, n int64) {
	_ = withFd(f.File, func(fd int) error { return unix.SyncFileRange(fd, off, n, unix.SYNC_FILE_RANGE_WRITE) })
}
