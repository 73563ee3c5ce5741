package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/batpak-go/batpak/storage"
	"github.com/stretchr/testify/require"
)

// The demo clears a store it finds (or nothing), and refuses a directory
// that holds anything else, leaving it untouched.
func TestClearStoreRefusesForeignDirectories(t *testing.T) {
	require.NoError(t, clearStore(filepath.Join(t.TempDir(), "missing")))

	store := t.TempDir()
	e, err := storage.Open(store, storage.Options{})
	require.NoError(t, err)
	require.NoError(t, e.Close())
	require.NoError(t, clearStore(store))
	left, err := os.ReadDir(store)
	require.NoError(t, err)
	require.Empty(t, left)

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
