package fs

import (
	"errors"
	"path/filepath"
)

// LockProber is implemented by file systems that can tell whether a Lock
// on a file is held without taking it for long: OS and Mem (and Faulty,
// when its inner file system is one). Read-only tools use it to report
// whether a writer holds a data directory.
type LockProber interface {
	// LockHeld reports whether a Lock on name is held right now (by this
	// process or another). It never creates name (a missing file is not
	// locked) and never blocks. OS documents how each system finds out.
	LockHeld(name string) (bool, error)
}

// LockHeld reports whether a Lock on name is held, if fsys can tell
// (known is false when it cannot: it does not implement LockProber).
func LockHeld(fsys FS, name string) (held, known bool, err error) {
	p, ok := fsys.(LockProber)
	if !ok {
		return false, false, nil
	}
	held, err = p.LockHeld(name)
	if errors.Is(err, errors.ErrUnsupported) {
		return false, false, nil
	}
	return held, err == nil, err
}

// LockHeld implements LockProber: a Lock of name is open.
func (m *Mem) LockHeld(name string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, held := m.locks[filepath.Clean(name)]
	return held, nil
}

// LockHeld implements LockProber when the inner file system does (else
// it fails with errors.ErrUnsupported); it does not count as an operation.
func (f *Faulty) LockHeld(name string) (bool, error) {
	held, known, err := LockHeld(f.inner, name)
	if err == nil && !known {
		return false, errors.ErrUnsupported
	}
	return held, err
}
