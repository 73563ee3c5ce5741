// Package fs is the file-system seam of the storage engine.
//
// The engine touches the disk only through FS and File, so tests can swap the
// real operating system (OS) for an in-memory file system that simulates
// crashes (Mem) or for a wrapper that fails a chosen operation (Faulty).
package fs

import (
	"errors"
	"io"
	"os"
)

// ErrLocked is returned by FS.Lock when another holder has the lock.
var ErrLocked = errors.New("fs: lock is held by another holder")

// FS is the set of file-system operations the engine uses.
type FS interface {
	// MkdirAll creates dir and its parents with perm, like os.MkdirAll.
	MkdirAll(dir string, perm os.FileMode) error
	// OpenFile opens name with the os.O_* flags and perm, like os.OpenFile.
	OpenFile(name string, flag int, perm os.FileMode) (File, error)
	// Remove deletes the named file.
	Remove(name string) error
	// Rename renames (moves) a file, replacing newname if it exists. Like
	// creation and removal, it is durable only after SyncDir.
	Rename(oldname, newname string) error
	// ReadDir returns the names (not paths) of the entries of dir, sorted.
	ReadDir(dir string) ([]string, error)
	// SyncDir makes the creation and removal of entries in dir durable.
	SyncDir(dir string) error
	// Lock takes an exclusive, non-blocking lock on the file name (creating
	// it if needed). It fails with an error wrapping ErrLocked when the lock
	// is held, also by the same process. Closing the result releases it.
	Lock(name string) (io.Closer, error)
}

// File is an open file. Writes go to explicit offsets; the engine tracks its
// own write position.
type File interface {
	io.ReaderAt
	io.WriterAt
	io.Closer
	// Sync makes the file's data durable (OS documents what it is on
	// each operating system).
	Sync() error
	// Truncate changes the size of the file.
	Truncate(size int64) error
	// Size returns the current size of the file.
	Size() (int64, error)
}
