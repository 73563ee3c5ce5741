package fs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// flockProbe opens name on its own (a new open file description, as another
// process would have) and tries flock LOCK_EX|LOCK_NB on it. It returns
// whether the lock was taken, and a release func.
func flockProbe(t *testing.T, name string) (bool, func()) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	require.NoError(t, err)
	err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		require.NoError(t, f.Close())
		return false, func() {}
	}
	require.NoError(t, err)
	return true, func() { require.NoError(t, f.Close()) }
}

// TestOSLockIsKernelFlock checks that OS().Lock takes a real flock(2) lock:
// another open file description (what another process has) cannot take it
// while it is held, a second Lock in this process fails with ErrLocked, and
// Close releases it for both; a flock taken outside the FS blocks Lock too.
func TestOSLockIsKernelFlock(t *testing.T) {
	name := filepath.Join(t.TempDir(), "LOCK")
	l, err := OS().Lock(name)
	require.NoError(t, err)

	got, _ := flockProbe(t, name)
	require.False(t, got, "the lock is visible to another open file description")
	_, err = OS().Lock(name)
	require.ErrorIs(t, err, ErrLocked, "a second Lock in the same process")
	var pe *os.PathError
	require.False(t, errors.As(err, &pe), "a held lock is ErrLocked, not an I/O error: %v", err)

	require.NoError(t, l.Close())
	got, release := flockProbe(t, name)
	require.True(t, got, "Close released the lock")

	_, err = OS().Lock(name)
	require.ErrorIs(t, err, ErrLocked, "a flock held outside the FS")
	release()
	l, err = OS().Lock(name)
	require.NoError(t, err, "the outside holder released it")
	require.NoError(t, l.Close())

	// A directory in the way is an error, not ErrLocked.
	_, err = OS().Lock(filepath.Dir(name))
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrLocked)
}

// TestOSSyncRealFile checks File.Sync, SyncFile and SyncDir on real files:
// nil on success (on a read-write, a write-only and a read-only file), and
// an error naming the call and wrapping the cause otherwise.
func TestOSSyncRealFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	f, err := OS().OpenFile(name, os.O_CREATE|os.O_RDWR, 0o600)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("durable"), 0)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, OS().SyncDir(dir))

	for _, flag := range []int{os.O_WRONLY, os.O_RDONLY} {
		g, err := os.OpenFile(name, flag, 0)
		require.NoError(t, err)
		require.NoError(t, SyncFile(g), "flag %#x", flag)
		require.NoError(t, g.Close())
	}

	require.NoError(t, f.Close())
	err = f.Sync()
	require.ErrorIs(t, err, os.ErrClosed)
	var pe *os.PathError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "fdatasync", pe.Op)
	require.Equal(t, name, pe.Path)

	require.ErrorIs(t, OS().SyncDir(filepath.Join(dir, "missing")), os.ErrNotExist)
}
