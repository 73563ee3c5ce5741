package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/batpak-go/batpak/storage/fs"
)

// repairFS is the file system repair opens the store through
// (storage.Options.FS): it lets the engine's own recovery and repair
// decide what to cut, and tells the tracker about every change to a file
// the store held when repair started before the change is made, so that
// the tracker saves the bytes first.
//
// In a dry run nothing on the disk changes: files are read from the disk
// and every change (a cut, a write, a new file, a removal, a rename) is
// kept in memory (see cowNode), so the engine sees the store as the repair
// would leave it and the tracker records what would be cut.
//
// Both modes take the store's lock once, for the whole repair (the
// engine's own Lock calls get a no-op), so no writer can open the store
// between repair's rounds.
type repairFS struct {
	real fs.FS
	t    *tracker
	lock string // the LOCK path repair holds itself

	mu    sync.Mutex
	nodes map[string]*cowNode // dry: the files opened or created, by path
	gone  map[string]bool     // dry: files of the disk removed or renamed away
}

func newRepairFS(t *tracker, lock string) *repairFS {
	return &repairFS{real: fs.OS(), t: t, lock: lock, nodes: map[string]*cowNode{}, gone: map[string]bool{}}
}

// MkdirAll implements fs.FS (the store directory exists: repair checks).
func (r *repairFS) MkdirAll(dir string, perm os.FileMode) error {
	if r.t.dry {
		return nil
	}
	return r.real.MkdirAll(dir, perm)
}

// OpenFile implements fs.FS.
func (r *repairFS) OpenFile(name string, flag int, perm os.FileMode) (fs.File, error) {
	name = filepath.Clean(name)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.t.dry {
		return r.openDry(name, flag)
	}
	o := r.t.files[name]
	if flag&os.O_TRUNC != 0 && o != nil {
		if err := r.withReader(name, func(rd io.ReaderAt) error { return r.t.cut(o, rd, 0) }); err != nil {
			return nil, err
		}
	}
	f, err := r.real.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &trackedFile{File: f, r: r, o: o}, nil
}

// withReader calls fn with a reader of the file at path as it is now.
func (r *repairFS) withReader(path string, fn func(io.ReaderAt) error) error {
	if n := r.nodes[path]; r.t.dry && n != nil {
		return fn(n)
	}
	f, err := r.real.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return fn(f)
}

// Remove implements fs.FS.
func (r *repairFS) Remove(name string) error {
	name = filepath.Clean(name)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.t.files[name] != nil {
		if err := r.withReader(name, func(rd io.ReaderAt) error { return r.t.removed(name, rd) }); err != nil {
			return err
		}
	}
	if !r.t.dry {
		return r.real.Remove(name)
	}
	if !r.existsDry(name) {
		return &os.PathError{Op: "remove", Path: name, Err: os.ErrNotExist}
	}
	delete(r.nodes, name)
	r.gone[name] = true
	return nil
}

// Rename implements fs.FS.
func (r *repairFS) Rename(oldname, newname string) error {
	oldname, newname = filepath.Clean(oldname), filepath.Clean(newname)
	r.mu.Lock()
	defer r.mu.Unlock()
	var err error
	if r.t.files[newname] != nil {
		err = r.withReader(newname, func(rd io.ReaderAt) error { return r.t.renamed(oldname, newname, rd) })
	} else {
		err = r.t.renamed(oldname, newname, nil)
	}
	if err != nil {
		return err
	}
	if !r.t.dry {
		return r.real.Rename(oldname, newname)
	}
	n, err := r.nodeDry(oldname)
	if err != nil {
		return err
	}
	delete(r.nodes, oldname)
	r.gone[oldname] = true
	r.nodes[newname] = n
	return nil
}

// ReadDir implements fs.FS.
func (r *repairFS) ReadDir(dir string) ([]string, error) {
	names, err := r.real.ReadDir(dir)
	if err != nil || !r.t.dry {
		return names, err
	}
	dir = filepath.Clean(dir)
	r.mu.Lock()
	defer r.mu.Unlock()
	names = slices.DeleteFunc(names, func(n string) bool { return r.gone[filepath.Join(dir, n)] })
	for path := range r.nodes {
		if filepath.Dir(path) == dir && !slices.Contains(names, filepath.Base(path)) {
			names = append(names, filepath.Base(path))
		}
	}
	slices.Sort(names)
	return names, nil
}

// SyncDir implements fs.FS.
func (r *repairFS) SyncDir(dir string) error {
	if r.t.dry {
		return nil
	}
	return r.real.SyncDir(dir)
}

// Lock implements fs.FS: repair holds the store's lock itself.
func (r *repairFS) Lock(name string) (io.Closer, error) {
	if filepath.Clean(name) == r.lock {
		return nopCloser{}, nil
	}
	return r.real.Lock(name)
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

// close closes the disk files the dry run read.
func (r *repairFS) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.nodes {
		if n.base != nil {
			n.base.Close()
		}
	}
}

// trackedFile is a file of the disk whose cuts and writes the tracker
// sees first.
type trackedFile struct {
	fs.File
	r *repairFS
	o *origin // nil: a file the store did not hold when repair started
}

// WriteAt implements fs.File.
func (f *trackedFile) WriteAt(p []byte, off int64) (int, error) {
	f.r.mu.Lock()
	f.r.t.wrote(f.o, off)
	f.r.mu.Unlock()
	return f.File.WriteAt(p, off)
}

// Truncate implements fs.File: the bytes cut are saved first.
func (f *trackedFile) Truncate(size int64) error {
	f.r.mu.Lock()
	err := f.r.t.cut(f.o, f.File, size)
	f.r.mu.Unlock()
	if err != nil {
		return err
	}
	return f.File.Truncate(size)
}

// errDryExists is what a dry run's exclusive create of an existing file
// gets.
var errDryExists = errors.New("file exists")
