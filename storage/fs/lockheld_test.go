package fs

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// LockHeld tells a held Lock from a free one, on the OS and in memory, and
// never creates the file it is asked about.
func TestLockHeld(t *testing.T) {
	for _, tc := range []struct {
		name string
		fsys FS
		dir  string
	}{
		{"os", OS(), t.TempDir()},
		{"mem", NewMem(), "/d"},
		{"faulty", NewFaulty(NewMem()), "/d"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, tc.fsys.MkdirAll(tc.dir, 0o700))
			name := filepath.Join(tc.dir, "LOCK")

			held, known, err := LockHeld(tc.fsys, name)
			require.NoError(t, err)
			require.True(t, known)
			require.False(t, held, "a missing file is not locked")
			names, err := tc.fsys.ReadDir(tc.dir)
			require.NoError(t, err)
			require.Empty(t, names, "LockHeld created the file")

			l, err := tc.fsys.Lock(name)
			require.NoError(t, err)
			held, _, err = LockHeld(tc.fsys, name)
			require.NoError(t, err)
			require.True(t, held)
			// The probe did not take the lock away from its holder, nor keep it.
			_, err = tc.fsys.Lock(name)
			require.ErrorIs(t, err, ErrLocked)

			require.NoError(t, l.Close())
			held, _, err = LockHeld(tc.fsys, name)
			require.NoError(t, err)
			require.False(t, held)
			l, err = tc.fsys.Lock(name) // the probe left the file lockable
			require.NoError(t, err)
			require.NoError(t, l.Close())
		})
	}
}

// A file system that cannot tell says so instead of guessing.
func TestLockHeldUnknown(t *testing.T) {
	held, known, err := LockHeld(noProbeFS{FS: NewMem()}, "/LOCK")
	require.NoError(t, err)
	require.False(t, known)
	require.False(t, held)
	held, known, err = LockHeld(NewFaulty(noProbeFS{FS: NewMem()}), "/LOCK")
	require.NoError(t, err)
	require.False(t, known)
	require.False(t, held)
}

// noProbeFS hides Mem's LockHeld: only FS's methods are promoted.
type noProbeFS struct{ FS }
