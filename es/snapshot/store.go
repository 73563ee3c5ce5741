package snapshot

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/batpak-go/batpak/messages"
)

// Store is a durable snapshot store in one directory. It is safe for
// concurrent use by goroutines: Save, Latest, Delete and Stats may run at
// once, from any number of goroutines. One Store holds its directory
// (a lock file): a second Open of the same directory fails until the first
// is closed.
type Store struct {
	dir  string
	opts Options
	lock io.Closer

	mu      sync.Mutex
	closed  bool
	index   map[string][]uint64 // key -> versions on disk, ascending
	tmpSeq  uint64              // numbers temp files
	corrupt uint64
	last    *CorruptError
	foreign uint64
	temps   uint64
}

// Stats describes a Store.
type Stats struct {
	// Files is the number of snapshot files the store knows of.
	Files int
	// Corrupt counts the files found corrupt since Open: each was skipped
	// by Latest and renamed to <name>.corrupt.
	Corrupt uint64
	// LastCorrupt is the latest of them (nil if none).
	LastCorrupt *CorruptError
	// Foreign counts the entries of the directory, at Open, that are not
	// the store's (neither snapshot, temporary, set-aside nor lock files):
	// they are left alone.
	Foreign uint64
	// TempRemoved counts the temporary files left by an interrupted Save
	// that Open removed (they were never complete snapshots).
	TempRemoved uint64
}

// Open opens (creating it if needed) the snapshot store in dir, typically
// filepath.Join(storeDir, "snapshots"): the event store's engine ignores
// that subdirectory. It removes the temporary files an interrupted Save
// left behind, and lists the snapshot files; it reads none of them (a
// corrupt file is found, and skipped, by Latest).
func Open(dir string, opts Options) (*Store, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	dir = filepath.Clean(dir)
	if err := o.FS.MkdirAll(dir, 0o700); err != nil {
		return nil, ioErr("create "+dir, err)
	}
	if err := o.FS.SyncDir(filepath.Dir(dir)); err != nil {
		return nil, ioErr("sync parent of "+dir, err)
	}
	lock, err := o.FS.Lock(filepath.Join(dir, lockName))
	if err != nil {
		return nil, ioErr("lock "+dir, err)
	}
	s := &Store{dir: dir, opts: o, lock: lock, index: map[string][]uint64{}}
	if err := s.load(); err != nil {
		lock.Close()
		return nil, err
	}
	return s, nil
}

// load lists dir into the index and removes leftover temporary files.
func (s *Store) load() error {
	names, err := s.opts.FS.ReadDir(s.dir)
	if err != nil {
		return ioErr("list "+s.dir, err)
	}
	for _, n := range names {
		if key, v, ok := parseName(n); ok {
			s.index[key] = append(s.index[key], v) // names sort by version
			continue
		}
		switch {
		case isTemp(n):
			if err := s.opts.FS.Remove(filepath.Join(s.dir, n)); err != nil {
				return ioErr("remove "+n, err)
			}
			s.temps++
		case n == lockName, filepath.Ext(n) == corruptExt:
		default:
			s.foreign++
		}
	}
	return nil
}

// Stats returns the store's counters.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, vs := range s.index {
		n += len(vs)
	}
	return Stats{Files: n, Corrupt: s.corrupt, LastCorrupt: s.last, Foreign: s.foreign, TempRemoved: s.temps}
}

// Close releases the directory. Later calls fail with messages.ErrClosed; a
// Save still writing when Close is called fails with it too and leaves no
// file. Closing twice returns nil.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.lock.Close()
}

// checkOpen returns messages.ErrClosed once Close was called. s.mu is held.
func (s *Store) checkOpen() error {
	if s.closed {
		return fmt.Errorf("%w: snapshot store %s", messages.ErrClosed, s.dir)
	}
	return nil
}

// path returns the path of a file of the store.
func (s *Store) path(name string) string { return filepath.Join(s.dir, name) }

// versions returns a copy of key's versions, newest first.
func (s *Store) versions(key string) ([]uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	vs := slices.Clone(s.index[key])
	slices.Reverse(vs)
	return vs, nil
}

// insert adds version v of key to the index. s.mu is held.
func (s *Store) insert(key string, v uint64) {
	vs := s.index[key]
	i, found := slices.BinarySearch(vs, v)
	if !found {
		s.index[key] = slices.Insert(vs, i, v)
	}
}

// drop removes version v of key from the index. s.mu is held.
func (s *Store) drop(key string, v uint64) {
	vs := s.index[key]
	if i, found := slices.BinarySearch(vs, v); found {
		vs = slices.Delete(vs, i, i+1)
	}
	if len(vs) == 0 {
		delete(s.index, key)
		return
	}
	s.index[key] = vs
}

// ioErr wraps a file-system error with messages.ErrIO and what was done.
func ioErr(what string, err error) error {
	return fmt.Errorf("%w: snapshot: %s: %w", messages.ErrIO, what, err)
}

// isNotExist reports whether err says a file does not exist.
func isNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }
