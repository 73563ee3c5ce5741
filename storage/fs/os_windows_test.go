package fs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/windows"
)

// lockProbe opens name with its own handle (as another process would) and
// tries LockFileEx on the byte Lock uses. It returns whether the lock was
// taken; the probe's handle is closed (and its lock released) at return.
func lockProbe(t *testing.T, name string) bool {
	t.Helper()
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	err = windows.LockFileEx(windows.Handle(f.Fd()),
		windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, new(windows.Overlapped))
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return false
	}
	require.NoError(t, err)
	require.NoError(t, windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, new(windows.Overlapped)))
	return true
}

// TestOSLockIsLockFileEx checks that OS().Lock takes a real LockFileEx lock
// that another handle cannot take, that a second Lock fails with
// ErrLocked, and that Close releases it.
func TestOSLockIsLockFileEx(t *testing.T) {
	name := filepath.Join(t.TempDir(), "LOCK")
	l, err := OS().Lock(name)
	require.NoError(t, err)
	require.False(t, lockProbe(t, name), "the lock is visible to another handle")
	_, err = OS().Lock(name)
	require.ErrorIs(t, err, ErrLocked)
	require.NoError(t, l.Close())
	require.True(t, lockProbe(t, name), "Close released the lock")
}

// TestOSSyncDirFlushes checks that SyncDir opens the directory with write
// access and flushes it without the "Access is denied" that os.Open plus
// Sync gives, and that a missing directory is os.ErrNotExist.
func TestOSSyncDirFlushes(t *testing.T) {
	dir := t.TempDir()
	f, err := OS().OpenFile(filepath.Join(dir, "f"), os.O_CREATE|os.O_RDWR, 0o600)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
	require.NoError(t, OS().SyncDir(dir))
	require.ErrorIs(t, OS().SyncDir(filepath.Join(dir, "missing")), os.ErrNotExist)
}
