package fs

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// fsUnderTest names an FS and the existing directory tests may use in it.
type fsUnderTest struct {
	name string
	fs   FS
	root string
}

// allFS returns every FS implementation, each with a fresh root directory.
func allFS(t *testing.T) []fsUnderTest {
	mem := func() FS {
		m := NewMem()
		require.NoError(t, m.MkdirAll("/root", 0o755))
		return m
	}
	return []fsUnderTest{
		{"os", OS(), t.TempDir()},
		{"mem", mem(), "/root"},
		{"faulty-os", NewFaulty(OS()), t.TempDir()},
		{"faulty-mem", NewFaulty(mem()), "/root"},
	}
}

// TestFSConformance checks the behaviour every FS must share with package os.
func TestFSConformance(t *testing.T) {
	for _, u := range allFS(t) {
		t.Run(u.name, func(t *testing.T) {
			t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, u.fs, u.root) })
			t.Run("OpenFlags", func(t *testing.T) { testOpenFlags(t, u.fs, u.root) })
			t.Run("Dirs", func(t *testing.T) { testDirs(t, u.fs, u.root) })
			t.Run("Lock", func(t *testing.T) { testLock(t, u.fs, u.root) })
		})
	}
}

func testRoundTrip(t *testing.T, fsys FS, root string) {
	dir := filepath.Join(root, "a", "b")
	require.NoError(t, fsys.MkdirAll(dir, 0o755))
	name := filepath.Join(dir, "f")
	f, err := fsys.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
	require.NoError(t, err)

	n, err := f.WriteAt([]byte("hello"), 0)
	require.NoError(t, err)
	require.Equal(t, 5, n)
	_, err = f.WriteAt([]byte("world"), 10) // leaves a zero-filled gap
	require.NoError(t, err)
	size, err := f.Size()
	require.NoError(t, err)
	require.EqualValues(t, 15, size)

	want := []byte("hello\x00\x00\x00\x00\x00world")
	buf := make([]byte, 15)
	n, err = f.ReadAt(buf, 0)
	require.NoError(t, err)
	require.Equal(t, 15, n)
	require.Equal(t, want, buf)

	// A read reaching past the end is short and returns io.EOF.
	buf = make([]byte, 20)
	n, err = f.ReadAt(buf, 0)
	require.ErrorIs(t, err, io.EOF)
	require.Equal(t, 15, n)
	require.Equal(t, want, buf[:n])
	for _, off := range []int64{15, 100} {
		n, err = f.ReadAt(make([]byte, 4), off)
		require.ErrorIs(t, err, io.EOF)
		require.Zero(t, n)
	}
	_, err = f.ReadAt(buf, -1)
	require.Error(t, err)
	_, err = f.WriteAt(buf, -1)
	require.Error(t, err)

	require.NoError(t, f.Sync())
	require.NoError(t, f.Truncate(3))
	require.NoError(t, f.Truncate(6)) // grows with zeros, not old bytes
	buf = make([]byte, 6)
	_, err = f.ReadAt(buf, 0)
	require.NoError(t, err)
	require.Equal(t, []byte("hel\x00\x00\x00"), buf)
	require.NoError(t, f.Sync())

	// A second handle sees the same data.
	g, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("X"), 0)
	require.NoError(t, err)
	one := make([]byte, 1)
	_, err = g.ReadAt(one, 0)
	require.NoError(t, err)
	require.Equal(t, "X", string(one))

	// A read-only handle cannot write or truncate.
	_, err = g.WriteAt([]byte("y"), 0)
	require.Error(t, err)
	require.Error(t, g.Truncate(0))
	require.NoError(t, g.Close())

	require.NoError(t, f.Close())
	require.Error(t, f.Close())
	_, err = f.WriteAt([]byte("z"), 0)
	require.Error(t, err)
	require.NoError(t, fsys.SyncDir(dir))
}

func testOpenFlags(t *testing.T, fsys FS, root string) {
	name := filepath.Join(root, "flags")
	_, err := fsys.OpenFile(name, os.O_RDWR, 0)
	require.ErrorIs(t, err, os.ErrNotExist)

	f, err := fsys.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("data"), 0)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	_, err = fsys.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	require.ErrorIs(t, err, os.ErrExist)

	f, err = fsys.OpenFile(name, os.O_CREATE|os.O_WRONLY, 0o644) // no O_TRUNC
	require.NoError(t, err)
	size, err := f.Size()
	require.NoError(t, err)
	require.EqualValues(t, 4, size)
	require.NoError(t, f.Close())

	f, err = fsys.OpenFile(name, os.O_WRONLY|os.O_TRUNC, 0)
	require.NoError(t, err)
	size, err = f.Size()
	require.NoError(t, err)
	require.Zero(t, size)
	require.NoError(t, f.Close())

	// The directory must exist.
	_, err = fsys.OpenFile(filepath.Join(root, "nodir", "f"), os.O_CREATE|os.O_RDWR, 0o644)
	require.ErrorIs(t, err, os.ErrNotExist)
	// A directory cannot be opened for writing.
	_, err = fsys.OpenFile(root, os.O_RDWR, 0)
	require.Error(t, err)
}

func testDirs(t *testing.T, fsys FS, root string) {
	dir := filepath.Join(root, "d")
	require.NoError(t, fsys.MkdirAll(dir, 0o755))
	require.NoError(t, fsys.MkdirAll(dir, 0o755)) // idempotent
	for _, n := range []string{"c", "a", "b"} {
		f, err := fsys.OpenFile(filepath.Join(dir, n), os.O_CREATE|os.O_RDWR, 0o644)
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
	require.NoError(t, fsys.MkdirAll(filepath.Join(dir, "sub", "deeper"), 0o755))
	names, err := fsys.ReadDir(dir)
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b", "c", "sub"}, names)
	require.NoError(t, fsys.SyncDir(dir))

	require.NoError(t, fsys.Remove(filepath.Join(dir, "b")))
	require.ErrorIs(t, fsys.Remove(filepath.Join(dir, "b")), os.ErrNotExist)
	require.Error(t, fsys.Remove(filepath.Join(dir, "sub")), "not empty")
	require.NoError(t, fsys.Remove(filepath.Join(dir, "sub", "deeper")))
	require.NoError(t, fsys.Remove(filepath.Join(dir, "sub")))
	names, err = fsys.ReadDir(dir)
	require.NoError(t, err)
	require.Equal(t, []string{"a", "c"}, names)
	require.NoError(t, fsys.SyncDir(dir))

	_, err = fsys.ReadDir(filepath.Join(root, "missing"))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorIs(t, fsys.SyncDir(filepath.Join(root, "missing")), os.ErrNotExist)
	// A file in the way of MkdirAll.
	require.Error(t, fsys.MkdirAll(filepath.Join(dir, "a", "x"), 0o755))
}

func testLock(t *testing.T, fsys FS, root string) {
	name := filepath.Join(root, "LOCK")
	l1, err := fsys.Lock(name)
	require.NoError(t, err)

	// Held, also within this process (flock uses a separate open(2)).
	_, err = fsys.Lock(name)
	require.ErrorIs(t, err, ErrLocked)

	// Other names are independent.
	other, err := fsys.Lock(filepath.Join(root, "LOCK2"))
	require.NoError(t, err)
	require.NoError(t, other.Close())

	require.NoError(t, l1.Close())
	l2, err := fsys.Lock(name)
	require.NoError(t, err)
	require.NoError(t, l2.Close())

	_, err = fsys.Lock(filepath.Join(root, "nodir", "LOCK"))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.False(t, errors.Is(err, ErrLocked))
}

// TestOSFileOnDisk checks that OS writes reach the real file system.
func TestOSFileOnDisk(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	f, err := OS().OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("payload"), 0)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Truncate(3))
	require.NoError(t, f.Close())
	require.NoError(t, OS().SyncDir(dir))

	got, err := os.ReadFile(name)
	require.NoError(t, err)
	require.True(t, bytes.Equal([]byte("pay"), got))

	l, err := OS().Lock(filepath.Join(dir, "LOCK"))
	require.NoError(t, err)
	fi, err := os.Stat(filepath.Join(dir, "LOCK"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	require.NoError(t, l.Close())
}
