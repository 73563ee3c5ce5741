package main

import (
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The dry run's copy-on-write file must read back as a disk file would
// after the same writes and cuts, and never change the file under it.
func TestCowFileBehavesAsTheDiskFileWithoutChangingIt(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	dir := t.TempDir()
	orig := make([]byte, 10_000)
	for i := range orig {
		orig[i] = byte(rng.IntN(256))
	}
	base, model := filepath.Join(dir, "base"), filepath.Join(dir, "model")
	require.NoError(t, os.WriteFile(base, orig, 0o600))
	require.NoError(t, os.WriteFile(model, orig, 0o600))

	tr := &tracker{dry: true, files: map[string]*origin{base: {name: "base", orig: int64(len(orig))}}}
	r := newRepairFS(tr, filepath.Join(dir, "LOCK"))
	defer r.close()
	cow, err := r.OpenFile(base, os.O_RDWR, 0)
	require.NoError(t, err)
	disk, err := os.OpenFile(model, os.O_RDWR, 0)
	require.NoError(t, err)
	defer disk.Close()

	for step := range 300 {
		switch rng.IntN(3) {
		case 0:
			p := make([]byte, rng.IntN(3000))
			for i := range p {
				p[i] = byte(rng.IntN(256))
			}
			off := int64(rng.IntN(12_000))
			_, err1 := cow.WriteAt(p, off)
			_, err2 := disk.WriteAt(p, off)
			require.NoError(t, err1)
			require.NoError(t, err2)
		case 1:
			n := int64(rng.IntN(12_000))
			require.NoError(t, cow.Truncate(n))
			require.NoError(t, disk.Truncate(n))
		case 2:
			off, n := int64(rng.IntN(12_000)), rng.IntN(4000)
			a, b := make([]byte, n), make([]byte, n)
			na, erra := cow.ReadAt(a, off)
			nb, errb := disk.ReadAt(b, off)
			require.Equal(t, nb, na, "step %d: read %d at %d", step, n, off)
			require.Equal(t, errb == io.EOF, erra == io.EOF, "step %d", step)
			require.Equal(t, b[:nb], a[:na], "step %d", step)
		}
		cs, err := cow.Size()
		require.NoError(t, err)
		ds, err := disk.Stat()
		require.NoError(t, err)
		require.Equal(t, ds.Size(), cs, "step %d", step)
	}
	still, err := os.ReadFile(base)
	require.NoError(t, err)
	require.Equal(t, orig, still, "the disk file is unchanged")
}

func TestDryRunViewOfTheDirectory(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a", "b", "c"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte(n), 0o600))
	}
	tr := &tracker{dry: true, files: map[string]*origin{}}
	r := newRepairFS(tr, filepath.Join(dir, "LOCK"))
	defer r.close()
	require.NoError(t, r.Remove(filepath.Join(dir, "a")))
	require.NoError(t, r.Rename(filepath.Join(dir, "b"), filepath.Join(dir, "d")))
	f, err := r.OpenFile(filepath.Join(dir, "e"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("new"), 0)
	require.NoError(t, err)
	_, err = r.OpenFile(filepath.Join(dir, "c"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	require.Error(t, err, "exclusive create of an existing file")
	_, err = r.OpenFile(filepath.Join(dir, "a"), os.O_RDONLY, 0)
	require.ErrorIs(t, err, os.ErrNotExist)
	names, err := r.ReadDir(dir)
	require.NoError(t, err)
	require.Equal(t, []string{"c", "d", "e"}, names)
	d, err := r.OpenFile(filepath.Join(dir, "d"), os.O_RDONLY, 0)
	require.NoError(t, err)
	b := make([]byte, 1)
	_, err = d.ReadAt(b, 0)
	require.NoError(t, err)
	require.Equal(t, "b", string(b), "a renamed file keeps its bytes")
	disk, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, disk, 3, "the disk is unchanged")
}
