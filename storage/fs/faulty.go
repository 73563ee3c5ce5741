package fs

import (
	"errors"
	"io"
	"os"
	"sync"
)

// ErrInjected is the error a Faulty returns when no other error was given.
var ErrInjected = errors.New("fs: injected fault")

// Faulty wraps an FS and fails chosen operations, in the manner of pebble's
// vfs/errorfs. It is safe for concurrent use.
//
// Every mutating or syncing operation counts as one operation: MkdirAll,
// OpenFile (any flags), Remove, SyncDir, Lock, File.WriteAt, File.Sync and
// File.Truncate. ReadDir, File.ReadAt, File.Size and Close do not count and
// never fail by injection.
//
// A failed operation is not passed to the inner FS, except a failed WriteAt
// which, with partial writes on (the default), first writes the first half
// (rounded down) of its data, modelling a torn write.
type Faulty struct {
	inner FS

	mu      sync.Mutex
	ops     int64 // counted operations since NewFaulty
	failAt  int64 // number of the operation to fail; 0 means none
	sticky  bool  // fail every operation from failAt on
	err     error // the error to inject
	partial bool
	last    string // description of the last failed operation
}

// NewFaulty returns a Faulty over inner that injects no fault until told to.
func NewFaulty(inner FS) *Faulty {
	return &Faulty{inner: inner, partial: true}
}

var _ FS = (*Faulty)(nil)

// FailAt makes the n-th counted operation after this call fail with err
// (ErrInjected if err is nil): FailAt(1, err) fails the very next one. Only
// that operation fails; later ones succeed. It replaces any pending fault.
// n must be at least 1.
func (f *Faulty) FailAt(n int64, err error) { f.arm(n, err, false) }

// FailFrom is FailAt, but the n-th counted operation after this call and
// every later one fail, like a dead or full disk, until Reset.
func (f *Faulty) FailFrom(n int64, err error) { f.arm(n, err, true) }

func (f *Faulty) arm(n int64, err error, sticky bool) {
	if n < 1 {
		panic("fs: Faulty fault position must be at least 1")
	}
	if err == nil {
		err = ErrInjected
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failAt, f.err, f.sticky = f.ops+n, err, sticky
}

// Reset clears any pending or sticky fault. Ops and LastFault are kept.
func (f *Faulty) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failAt, f.err, f.sticky = 0, nil, false
}

// SetPartialWrites sets whether a failing WriteAt first writes half its
// data (the default) or nothing.
func (f *Faulty) SetPartialWrites(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.partial = on
}

// Ops returns the number of counted operations since NewFaulty, failed
// ones included.
func (f *Faulty) Ops() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ops
}

// LastFault describes the last operation that was failed by injection, for
// example "write /dir/0000000001.seg", or "" if none was.
func (f *Faulty) LastFault() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// count counts one operation described by op and name, and returns
// whether a failing write is partial and the error to inject (nil for none).
func (f *Faulty) count(op, name string) (partial bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ops++
	if f.failAt == 0 || f.ops < f.failAt || (f.ops > f.failAt && !f.sticky) {
		return false, nil
	}
	err = f.err
	if !f.sticky {
		f.failAt, f.err = 0, nil
	}
	f.last = op + " " + name
	return f.partial, err
}

// MkdirAll implements FS; it counts as an operation.
func (f *Faulty) MkdirAll(dir string, perm os.FileMode) error {
	if _, err := f.count("mkdirall", dir); err != nil {
		return err
	}
	return f.inner.MkdirAll(dir, perm)
}

// OpenFile implements FS; it counts as an operation.
func (f *Faulty) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	if _, err := f.count("open", name); err != nil {
		return nil, err
	}
	file, err := f.inner.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultyFile{fs: f, inner: file, name: name}, nil
}

// Rename implements FS; it counts as an operation.
func (f *Faulty) Rename(oldname, newname string) error {
	if _, err := f.count("rename", oldname); err != nil {
		return err
	}
	return f.inner.Rename(oldname, newname)
}

// Remove implements FS; it counts as an operation.
func (f *Faulty) Remove(name string) error {
	if _, err := f.count("remove", name); err != nil {
		return err
	}
	return f.inner.Remove(name)
}

// ReadDir implements FS; it is not counted.
func (f *Faulty) ReadDir(dir string) ([]string, error) { return f.inner.ReadDir(dir) }

// SyncDir implements FS; it counts as an operation.
func (f *Faulty) SyncDir(dir string) error {
	if _, err := f.count("syncdir", dir); err != nil {
		return err
	}
	return f.inner.SyncDir(dir)
}

// Lock implements FS; it counts as an operation (releasing does not).
func (f *Faulty) Lock(name string) (io.Closer, error) {
	if _, err := f.count("lock", name); err != nil {
		return nil, err
	}
	return f.inner.Lock(name)
}
