package fs

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// syncFile is SyncFile on Windows: os.File.Sync, which is FlushFileBuffers.
// It writes the file's data and metadata and flushes the device's cache.
func syncFile(f *os.File) error { return f.Sync() }

// SyncDir implements FS on Windows by flushing a handle to the directory
// itself.
//
// os.Open cannot be used: Go opens a directory for reading only, and
// FlushFileBuffers needs write access, so the flush fails with "Access is
// denied" (https://go.dev/issue/75541). SyncDir opens dir with CreateFile,
// FILE_FLAG_BACKUP_SEMANTICS (needed for any directory handle) and
// GENERIC_READ|GENERIC_WRITE, and calls FlushFileBuffers on that handle, as
// etcd does (badger found the same works on local disks). Microsoft's
// documentation of NtFlushBuffersFileEx, the call under FlushFileBuffers,
// treats directory handles as flushable with the default flags (it rules
// them out only for FLUSH_FLAGS_FILE_DATA_SYNC_ONLY), and the default flush
// writes data and metadata and flushes the device's cache. RocksDB and
// pebble make directory sync a no-op on Windows instead, relying on NTFS
// journaling the change and on a later file flush forcing that journal out;
// the explicit flush does not wait for a later file flush, which the engine
// does not always do (removing a segment is followed by SyncDir alone).
//
// A file system that cannot flush a directory (SMB shares answer
// ERROR_INVALID_FUNCTION, others ERROR_NOT_SUPPORTED) gets nothing more:
// SyncDir returns nil there, and its entries are as durable as that file
// system makes them, as with F_FULLFSYNC's fallback on macOS.
func (osFS) SyncDir(dir string) error {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_EXISTING, windows.FILE_FLAG_BACKUP_SEMANTICS, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	err = windows.FlushFileBuffers(h)
	cerr := windows.CloseHandle(h)
	if err != nil && !errors.Is(err, windows.ERROR_INVALID_FUNCTION) && !errors.Is(err, windows.ERROR_NOT_SUPPORTED) {
		return &os.PathError{Op: "FlushFileBuffers", Path: dir, Err: err}
	}
	if cerr != nil {
		return &os.PathError{Op: "close", Path: dir, Err: cerr}
	}
	return nil
}
