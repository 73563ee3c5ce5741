package fs

import "os"

// OS returns an FS over the real operating system.
//
// What File.Sync does depends on the operating system (see SyncFile):
//   - Linux: fdatasync(2), which writes the data and the metadata needed to
//     read it back (the size), and flushes the device's write cache.
//   - macOS (and iOS): fcntl(F_FULLFSYNC). Plain fsync(2) there only hands
//     the data to the drive, which may keep it in its volatile cache, so
//     only F_FULLFSYNC survives a power loss. A file system that does not
//     implement it (it answers ENOTSUP, as SMB mounts do, or EINVAL) gets
//     fsync(2) instead: the best it offers.
//   - Windows: FlushFileBuffers (os.File.Sync), which writes data and
//     metadata and flushes the device's cache.
//   - Other Unix systems: fsync(2).
//
// SyncDir syncs the directory itself: fsync(2) on Linux and other Unix
// systems, F_FULLFSYNC (with the same fallback) on macOS. On Windows it
// opens the directory with FILE_FLAG_BACKUP_SEMANTICS and write access and
// calls FlushFileBuffers on it; a file system that cannot flush a directory
// (an SMB share) makes that a no-op (see SyncDir in os_windows.go).
//
// Lock is an exclusive, non-blocking lock that is released when the
// returned Closer is closed or the process dies: flock(2) with
// LOCK_EX|LOCK_NB on Unix, LockFileEx with LOCKFILE_EXCLUSIVE_LOCK|
// LOCKFILE_FAIL_IMMEDIATELY on Windows. Each Lock call opens the file
// itself, and both kinds of lock belong to that open file (not to the
// process), so two Lock calls on the same name conflict even inside one
// process.
func OS() FS { return osFS{} }

// SyncFile makes the data of f durable the way OS files are synced (see OS
// for what that is on each operating system), retrying on EINTR where that
// can happen. Benchmarks use it so that a baseline without the store pays
// the same sync as the store.
func SyncFile(f *os.File) error { return syncFile(f) }

// osFS is the FS returned by OS.
type osFS struct{}

// MkdirAll implements FS.
func (osFS) MkdirAll(dir string, perm os.FileMode) error { return os.MkdirAll(dir, perm) }

// OpenFile implements FS.
func (osFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

// Remove implements FS.
func (osFS) Remove(name string) error { return os.Remove(name) }

// Rename implements FS.
func (osFS) Rename(oldname, newname string) error { return os.Rename(oldname, newname) }

// ReadDir implements FS. os.ReadDir already sorts by name.
func (osFS) ReadDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, nil
}

// osFile is the File returned by osFS.OpenFile.
type osFile struct{ *os.File }

// Sync implements File with SyncFile.
func (f osFile) Sync() error { return syncFile(f.File) }

// Size implements File via Stat.
func (f osFile) Size() (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
