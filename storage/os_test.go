package storage

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/stretchr/testify/require"
)

// The OS path end to end: real files, real sync, the real OS lock, and
// (where the OS has Unix permission bits) permissions.
func TestRealFilesPermissionsAndLock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	e, err := Open(dir, Options{SegmentSize: 4096})
	require.NoError(t, err)
	_, err = Open(dir, Options{})
	require.ErrorIs(t, err, ErrLocked, "a second engine on the same directory")
	require.ErrorIs(t, err, messages.ErrIO)

	var rs []messages.Receipt
	for i := 0; i < 40; i++ {
		r, err := e.Append(&messages.Append{Coordinate: coord("e"), Kind: testKind, Payload: make([]byte, 300)})
		require.NoError(t, err)
		rs = append(rs, r)
	}
	require.NoError(t, e.Commit())
	require.NoError(t, e.Close())

	// Windows has no permission bits: Go reports 0777 for directories and
	// 0666 for writable files there.
	unixPerms := runtime.GOOS != "windows"
	st, err := os.Stat(dir)
	require.NoError(t, err)
	if unixPerms {
		require.Equal(t, os.FileMode(0o700), st.Mode().Perm())
	}
	names, err := os.ReadDir(dir)
	require.NoError(t, err)
	segs := 0
	for _, n := range names {
		info, err := n.Info()
		require.NoError(t, err)
		if unixPerms {
			require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), n.Name())
		}
		if _, ok := format.ParseSegmentName(n.Name()); ok {
			segs++
		}
	}
	require.Greater(t, segs, 2, "40 events of 300 bytes rotate 4 KiB segments")

	e, err = Open(dir, Options{SegmentSize: 4096})
	require.NoError(t, err, "the lock is released by Close")
	defer e.Close()
	require.Equal(t, segs, e.Stats().Recovery.FooterSegments)
	for _, r := range rs {
		ev, err := e.Get(r.EventID)
		require.NoError(t, err)
		require.Equal(t, r, ev.Receipt())
	}
}
