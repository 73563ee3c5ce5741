package fs

// StartWriteback asks the operating system to start writing the n bytes of
// f at off to the disk now, without waiting for it and without making them
// durable (only Sync does that). The engine calls it for bytes that a later
// Sync will need on the disk, so that the disk writes them beside the work
// in between rather than inside that Sync. It is a hint: it does nothing
// for files other than OS files, nor where the system has no such call
// (Linux has sync_file_range(2)), and its errors are ignored (Sync reports
// what matters).
func StartWriteback(f File, off, n int64) {
	if w, ok := f.(writebackStarter); ok && n > 0 {
		w.startWriteback(off, n)
	}
}

// writebackStarter is a File that can start writeback (see StartWriteback).
type writebackStarter interface{ startWriteback(off, n int64) }
