package fs

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// Mem is an in-memory FS that can simulate crashes, in the manner of
// pebble's vfs.NewCrashableMem. It is safe for concurrent use.
//
// Durability model:
//   - Each file has its current data and its durable data, the data as of
//     its last File.Sync. Writes and truncations are not durable until then.
//   - The existence of a file (its creation or its removal) becomes durable
//     only when SyncDir is called on its directory. Until then a crash
//     forgets a created file and brings a removed one back (with its durable
//     data).
//   - For Crash and CrashClean, directories are durable as soon as MkdirAll
//     creates them (a simplification). PowerLoss is stricter: a directory's
//     existence (its creation or its removal) is durable only once SyncDir
//     is called on its parent, as on a real file system.
//
// Crash, CrashClean, PowerLoss and Clone return a new, independent Mem
// holding the state a restart would find. The receiver keeps working.
//
// Paths are cleaned with filepath.Clean; "/" and "." always exist. Permission
// bits are ignored. O_TRUNC applies only to handles opened for writing.
// O_APPEND is accepted but, as with os.File, WriteAt on such a handle fails.
type Mem struct {
	mu      sync.Mutex
	dirs    map[string]struct{}
	files   map[string]*memNode // the current namespace
	durable map[string]*memNode // the namespace as of the last SyncDir calls
	// durableDirs are the directories as of the last SyncDir of each one's
	// parent (used by PowerLoss only).
	durableDirs map[string]struct{}
	locks       map[string]struct{} // names held by Lock
}

// NewMem returns an empty in-memory FS holding only the directories "/" and ".".
func NewMem() *Mem {
	return &Mem{
		dirs:    map[string]struct{}{"/": {}, ".": {}},
		files:   map[string]*memNode{},
		durable: map[string]*memNode{},
		// "/" and "." are roots: nothing can make them vanish.
		durableDirs: map[string]struct{}{"/": {}, ".": {}},
		locks:       map[string]struct{}{},
	}
}

var _ FS = (*Mem)(nil)

// pathErr wraps err the way package os does.
func pathErr(op, name string, err error) error {
	return &os.PathError{Op: op, Path: name, Err: err}
}

// MkdirAll implements FS. perm is ignored.
func (m *Mem) MkdirAll(dir string, _ os.FileMode) error {
	dir = filepath.Clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, ok := m.files[d]; ok {
			return pathErr("mkdir", d, syscall.ENOTDIR)
		}
		if _, ok := m.dirs[d]; ok {
			break
		}
		missing = append(missing, d)
	}
	for _, d := range missing {
		m.dirs[d] = struct{}{}
	}
	return nil
}

// OpenFile implements FS. perm is ignored.
func (m *Mem) OpenFile(name string, flag int, _ os.FileMode) (File, error) {
	name = filepath.Clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	acc := flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
	canWrite := acc == os.O_WRONLY || acc == os.O_RDWR
	if _, ok := m.dirs[name]; ok {
		return nil, pathErr("open", name, syscall.EISDIR)
	}
	n, err := m.openNode(name, flag)
	if err != nil {
		return nil, err
	}
	if flag&os.O_TRUNC != 0 && canWrite {
		n.truncate(0)
	}
	return &memFile{
		m:        m,
		node:     n,
		name:     name,
		canRead:  acc == os.O_RDONLY || acc == os.O_RDWR,
		canWrite: canWrite,
		append:   flag&os.O_APPEND != 0,
	}, nil
}

// openNode finds or creates (per O_CREATE and O_EXCL) the file name.
// m.mu must be held.
func (m *Mem) openNode(name string, flag int) (*memNode, error) {
	if n, ok := m.files[name]; ok {
		if flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0 {
			return nil, pathErr("open", name, os.ErrExist)
		}
		return n, nil
	}
	if flag&os.O_CREATE == 0 {
		return nil, pathErr("open", name, os.ErrNotExist)
	}
	if err := m.checkParent("open", name); err != nil {
		return nil, err
	}
	n := newMemNode()
	m.files[name] = n
	return n, nil
}

// checkParent fails unless the directory of name exists. m.mu must be held.
func (m *Mem) checkParent(op, name string) error {
	dir := filepath.Dir(name)
	if _, ok := m.dirs[dir]; ok {
		return nil
	}
	if _, ok := m.files[dir]; ok {
		return pathErr(op, name, syscall.ENOTDIR)
	}
	return pathErr(op, name, os.ErrNotExist)
}

// Remove implements FS. It removes a file, or an empty directory.
func (m *Mem) Remove(name string) error {
	name = filepath.Clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.files[name]; ok {
		delete(m.files, name)
		return nil
	}
	if _, ok := m.dirs[name]; !ok {
		return pathErr("remove", name, os.ErrNotExist)
	}
	if len(m.children(name)) > 0 {
		return pathErr("remove", name, syscall.ENOTEMPTY)
	}
	delete(m.dirs, name)
	return nil
}

// children returns the sorted names of the current entries of dir.
// m.mu must be held.
func (m *Mem) children(dir string) []string {
	var names []string
	add := func(p string) {
		if p != dir && filepath.Dir(p) == dir {
			names = append(names, filepath.Base(p))
		}
	}
	for p := range m.dirs {
		add(p)
	}
	for p := range m.files {
		add(p)
	}
	slices.Sort(names)
	return names
}

// ReadDir implements FS.
func (m *Mem) ReadDir(dir string) ([]string, error) {
	dir = filepath.Clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.dirs[dir]; !ok {
		if _, ok := m.files[dir]; ok {
			return nil, pathErr("readdir", dir, syscall.ENOTDIR)
		}
		return nil, pathErr("open", dir, os.ErrNotExist)
	}
	return m.children(dir), nil
}

// Rename implements FS: the file's node moves to newname (replacing any
// file there); the change is durable only after SyncDir.
func (m *Mem) Rename(oldname, newname string) error {
	oldname, newname = filepath.Clean(oldname), filepath.Clean(newname)
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.files[oldname]
	if !ok {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: os.ErrNotExist}
	}
	if _, ok := m.dirs[filepath.Dir(newname)]; !ok {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: os.ErrNotExist}
	}
	delete(m.files, oldname)
	m.files[newname] = n
	return nil
}

// SyncDir implements FS: the current set of files and subdirectories in
// dir becomes durable.
func (m *Mem) SyncDir(dir string) error {
	dir = filepath.Clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.dirs[dir]; !ok {
		return pathErr("open", dir, os.ErrNotExist)
	}
	for p := range m.durable {
		if filepath.Dir(p) == dir {
			delete(m.durable, p)
		}
	}
	for p, n := range m.files {
		if filepath.Dir(p) == dir {
			m.durable[p] = n
		}
	}
	for d := range m.durableDirs {
		if d != dir && filepath.Dir(d) == dir {
			delete(m.durableDirs, d)
		}
	}
	for d := range m.dirs {
		if d != dir && filepath.Dir(d) == dir {
			m.durableDirs[d] = struct{}{}
		}
	}
	return nil
}

// Lock implements FS. It creates name like OpenFile with O_CREATE (the
// directory must exist) and fails with an error wrapping ErrLocked while
// another Lock of name is open.
func (m *Mem) Lock(name string) (io.Closer, error) {
	name = filepath.Clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.dirs[name]; ok {
		return nil, pathErr("open", name, syscall.EISDIR)
	}
	if _, err := m.openNode(name, os.O_CREATE); err != nil {
		return nil, err
	}
	if _, held := m.locks[name]; held {
		return nil, fmt.Errorf("fs: lock %s: %w", name, ErrLocked)
	}
	m.locks[name] = struct{}{}
	return &memLock{m: m, name: name}, nil
}

// memLock is a lock held on a Mem; Close releases it.
type memLock struct {
	m      *Mem
	name   string
	closed bool
}

// Close releases the lock. A second Close returns os.ErrClosed.
func (l *memLock) Close() error {
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	if l.closed {
		return pathErr("close", l.name, os.ErrClosed)
	}
	l.closed = true
	delete(l.m.locks, l.name)
	return nil
}

// String describes m for debugging: its directories (marked when their
// creation is not durable) and files with their current and durable sizes.
func (m *Mem) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	for _, d := range slices.Sorted(maps.Keys(m.dirs)) {
		if _, ok := m.durableDirs[d]; ok {
			fmt.Fprintf(&b, "%s/\n", d)
		} else {
			fmt.Fprintf(&b, "%s/ (creation not synced)\n", d)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(m.files)) {
		n := m.files[p]
		_, durable := m.durable[p]
		fmt.Fprintf(&b, "%s size=%d synced=%d durable=%t\n", p, len(n.data), len(n.synced), durable)
	}
	return b.String()
}
