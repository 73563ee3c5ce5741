package fs

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
)

// Crash returns the Mem a restart would find after a crash now, choosing
// at random how much of the unsynced data reached the disk.
//
// The result holds every file whose existence is durable (see Mem), with
// its durable data plus, when the current data extends the durable data,
// a random-length prefix of the bytes beyond it. When the current data does
// not extend the durable data (it was overwritten or truncated below it),
// the file holds just its durable data. Files not durably created are
// dropped, and no locks are held. The receiver is not changed. rng must
// not be nil.
func (m *Mem) Crash(rng *rand.Rand) *Mem {
	return m.crash(func(n *memNode) []byte {
		if !bytes.HasPrefix(n.data, n.synced) {
			return n.synced
		}
		extra := len(n.data) - len(n.synced)
		return n.data[:len(n.synced)+rng.IntN(extra+1)]
	})
}

// CrashClean is Crash where none of the unsynced data reached the disk:
// every durably existing file holds exactly its durable data.
func (m *Mem) CrashClean() *Mem {
	return m.crash(func(n *memNode) []byte { return n.synced })
}

// crash builds the post-crash Mem, with contents(n) as the data of each
// durably existing file n.
func (m *Mem) crash(contents func(n *memNode) []byte) *Mem {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.cloneDirs()
	for p, n := range m.durable {
		c.addDurable(p, contents(n))
	}
	return c
}

// Clone returns an exact copy of the current state of m, as if every write
// had reached the disk and every directory had been synced: all data of
// every current file is durable. No locks are held in the copy.
func (m *Mem) Clone() *Mem {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.cloneDirs()
	for p, n := range m.files {
		c.addDurable(p, n.data)
	}
	return c
}

// cloneDirs returns a new Mem with the directories of m, all durable.
// m.mu must be held.
func (m *Mem) cloneDirs() *Mem {
	c := NewMem()
	for d := range m.dirs {
		c.dirs[d] = struct{}{}
		c.durableDirs[d] = struct{}{}
	}
	return c
}

// addDurable adds the file p holding a copy of data, durable in both
// content and existence, with its parent directories. c must not be shared
// yet.
func (c *Mem) addDurable(p string, data []byte) {
	for d := filepath.Dir(p); ; d = filepath.Dir(d) {
		if _, ok := c.dirs[d]; ok {
			break
		}
		// The directory was removed but the removal of p was not synced.
		c.dirs[d] = struct{}{}
		c.durableDirs[d] = struct{}{}
	}
	n := newMemNode()
	n.data = bytes.Clone(data)
	n.synced = bytes.Clone(data)
	c.files[p] = n
	c.durable[p] = n
}

// ReadFile returns a copy of the current contents of the file name.
func (m *Mem) ReadFile(name string) ([]byte, error) {
	name = filepath.Clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.files[name]
	if !ok {
		return nil, pathErr("open", name, os.ErrNotExist)
	}
	return bytes.Clone(n.data), nil
}

// WriteFile sets the contents of the file name to a copy of data, creating
// it if needed, and makes both the contents and the file's existence durable
// at once. It is meant for tests that plant files (for example corrupt
// ones). Open handles on an existing file see the new contents. The
// directory must exist.
func (m *Mem) WriteFile(name string, data []byte) error {
	name = filepath.Clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.dirs[name]; ok {
		return pathErr("open", name, syscall.EISDIR)
	}
	n, err := m.openNode(name, os.O_CREATE)
	if err != nil {
		return err
	}
	n.data = bytes.Clone(data)
	n.synced = bytes.Clone(data)
	n.dirtyFrom = -1
	m.durable[name] = n
	return nil
}

// SyncedSize returns the durable size of the file name (its size as of its
// last File.Sync), or -1 if there is no such file.
func (m *Mem) SyncedSize(name string) int64 {
	name = filepath.Clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.files[name]
	if !ok {
		return -1
	}
	return int64(len(n.synced))
}
