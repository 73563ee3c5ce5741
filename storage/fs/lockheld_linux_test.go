package fs

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// On Linux a held Lock is found in /proc/locks, without any probe.
func TestProcLocksHeld(t *testing.T) {
	name := filepath.Join(t.TempDir(), "LOCK")
	l, err := OS().Lock(name)
	require.NoError(t, err)
	held, ok := procLocksHeld(name)
	require.True(t, ok, "/proc/locks unreadable")
	require.True(t, held)
	require.NoError(t, l.Close())
	held, ok = procLocksHeld(name)
	require.True(t, ok)
	require.False(t, held)
}
