package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/storage"
)

// demoData makes a data directory as both demos leave it: a store, the
// demo's checkpoints, and the cluster demo's partitions (partition.json
// and a store each).
func demoData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, store := range []string{dir, filepath.Join(dir, clusterDir, "node-b", "p-4", "store")} {
		e, err := storage.Open(store, storage.Options{})
		require.NoError(t, err)
		require.NoError(t, e.Close())
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, clusterDir, "node-b", "p-4", "partition.json"), []byte("{}\n"), 0o600))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, clusterDir, "node-a", "p-0"), 0o700))
	require.NoError(t, os.Mkdir(filepath.Join(dir, checkpointsDir), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, checkpointsDir, "totals.ckpt"), nil, 0o600))
	return dir
}

// names lists what dir holds.
func names(t *testing.T, dir string) []string {
	t.Helper()
	var got []string
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range es {
		got = append(got, e.Name())
	}
	return got
}

// Each demo clears its own data and keeps the other's: -cluster removes
// the cluster subdirectory only, the single-store demo everything but it.
func TestEachDemoClearsItsOwnData(t *testing.T) {
	require.NoError(t, clearCluster(filepath.Join(t.TempDir(), "missing")))

	dir := demoData(t)
	require.NoError(t, clearCluster(dir))
	require.NotContains(t, names(t, dir), clusterDir)
	require.Contains(t, names(t, dir), checkpointsDir)
	_, err := storage.Open(dir, storage.Options{})
	require.NoError(t, err, "the single store is left alone")

	dir = demoData(t)
	require.NoError(t, clearStore(dir))
	require.Equal(t, []string{clusterDir}, names(t, dir))
	require.NoError(t, clearCluster(dir))
	require.Empty(t, names(t, dir))
}

// Anything in the cluster subdirectory that is not the cluster demo's is
// refused by both demos, and nothing is removed.
func TestClusterDataRefusesForeignFiles(t *testing.T) {
	for _, tc := range []struct{ name, path string }{
		{"a file beside the members", "notes.txt"},
		{"an unknown member", "node-z/"},
		{"a file in a member", "node-a/notes.txt"},
		{"a partition out of range", "node-a/p-6/"},
		{"a partition with a leading zero", "node-a/p-03/"},
		{"a file beside a partition's store", "node-b/p-4/notes.txt"},
		{"a file in a partition's store", "node-b/p-4/store/notes.txt"},
		{"a directory in a partition's store", "node-b/p-4/store/sub/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := demoData(t)
			before := names(t, dir)
			p := filepath.Join(dir, clusterDir, filepath.FromSlash(tc.path))
			if tc.path[len(tc.path)-1] == '/' {
				require.NoError(t, os.MkdirAll(p, 0o700))
			} else {
				require.NoError(t, os.WriteFile(p, []byte("keep me"), 0o600))
			}
			rel := filepath.Join(clusterDir, filepath.FromSlash(tc.path)) // cleaned: no trailing separator
			require.ErrorContains(t, clearCluster(dir), rel)
			require.ErrorContains(t, clearStore(dir), rel)
			_, err := os.Stat(p)
			require.NoError(t, err, "nothing is removed when anything is refused")
			require.Equal(t, before, names(t, dir))
		})
	}
}
