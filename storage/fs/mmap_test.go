package fs

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMapShowsTheFile maps a file of each FS: OS files on Linux and macOS
// and Mem files map to their bytes; Faulty's files, and OS files on other
// systems, do not map (errors.ErrUnsupported), so readers use ReadAt.
func TestMapShowsTheFile(t *testing.T) {
	want := []byte("0123456789abcdef")
	for _, u := range allFS(t) {
		t.Run(u.name, func(t *testing.T) {
			f, err := u.fs.OpenFile(filepath.Join(u.root, "f"), os.O_RDWR|os.O_CREATE, 0o600)
			require.NoError(t, err)
			defer f.Close()
			_, err = f.WriteAt(want, 0)
			require.NoError(t, err)
			data, unmap, err := Map(f, int64(len(want)))
			mappable := u.name == "mem" || u.name == "os" && (runtime.GOOS == "linux" || runtime.GOOS == "darwin")
			if !mappable {
				require.ErrorIs(t, err, errors.ErrUnsupported)
				return
			}
			require.NoError(t, err)
			require.Equal(t, want, data)
			require.NoError(t, unmap())
		})
	}
}

// A Mem mapping is a copy: later writes and truncations do not change it,
// it holds at most what the file holds, and a closed file does not map.
func TestMapMemIsACopy(t *testing.T) {
	m := NewMem()
	f, err := m.OpenFile("/f", os.O_RDWR|os.O_CREATE, 0o600)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("abcd"), 0)
	require.NoError(t, err)
	data, unmap, err := Map(f, 100)
	require.NoError(t, err)
	require.Equal(t, "abcd", string(data), "no longer than the file")
	_, err = f.WriteAt([]byte("X"), 0)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(1))
	require.Equal(t, "abcd", string(data))
	require.NoError(t, unmap())
	require.NoError(t, f.Close())
	_, _, err = Map(f, 1)
	require.ErrorIs(t, err, os.ErrClosed)
}

// An OS mapping of no bytes, or of more than an int holds, is refused.
func TestMapOSRefusesBadSizes(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("OS files map on Linux and macOS only")
	}
	f, err := OS().OpenFile(filepath.Join(t.TempDir(), "f"), os.O_RDWR|os.O_CREATE, 0o600)
	require.NoError(t, err)
	defer f.Close()
	for _, size := range []int64{0, -1} {
		_, _, err := Map(f, size)
		require.Error(t, err, "size %d", size)
	}
}
