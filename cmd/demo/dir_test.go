package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/batpak-go/batpak/storage"
	"github.com/stretchr/testify/require"
)

// The demo clears a store it finds (with its checkpoints directory), or
// nothing, and refuses a directory that holds anything else, leaving it
// untouched.
func TestClearStoreRefusesForeignDirectories(t *testing.T) {
	require.NoError(t, clearStore(filepath.Join(t.TempDir(), "missing")))

	store := t.TempDir()
	e, err := storage.Open(store, storage.Options{})
	require.NoError(t, err)
	require.NoError(t, e.Close())
	ckpt := filepath.Join(store, checkpointsDir)
	require.NoError(t, os.Mkdir(ckpt, 0o700))
	for _, name := range []string{"totals.ckpt", "reserve-stock.ckpt", ".totals.tmp-123"} {
		require.NoError(t, os.WriteFile(filepath.Join(ckpt, name), nil, 0o600))
	}
	require.NoError(t, clearStore(store))
	left, err := os.ReadDir(store)
	require.NoError(t, err)
	require.Empty(t, left, "the store and the demo's checkpoints are cleared")

	// Anything else in the checkpoints directory is refused too.
	require.NoError(t, os.Mkdir(ckpt, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(ckpt, "totals.ckpt"), nil, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(ckpt, "mine.txt"), nil, 0o600))
	require.ErrorContains(t, clearStore(store), "mine.txt")
	_, err = os.Stat(filepath.Join(ckpt, "totals.ckpt"))
	require.NoError(t, err, "nothing is removed when anything is refused")

	home := t.TempDir()
	notes := filepath.Join(home, "notes.txt")
	require.NoError(t, os.WriteFile(notes, []byte("keep me"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(home, "0000000001.seg"), nil, 0o600))
	err = clearStore(home)
	require.ErrorContains(t, err, "notes.txt")
	b, err := os.ReadFile(notes)
	require.NoError(t, err)
	require.Equal(t, "keep me", string(b))
	_, err = os.Stat(filepath.Join(home, "0000000001.seg"))
	require.NoError(t, err, "nothing is removed when anything is refused")
}
