package storage

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/stretchr/testify/require"
)

// Stats.SegmentBytes is the size of the segment files in the directory,
// with preallocated zeros, as the log grows across rotations; Segments
// counts them.
func TestStatsSegmentBytes(t *testing.T) {
	for _, prealloc := range []int64{0, 16 << 10} {
		dir := t.TempDir()
		e, err := Open(dir, Options{SegmentSize: 4 << 10, Preallocate: prealloc})
		require.NoError(t, err)
		for i := range 20 {
			_, err := e.Append(&messages.Append{Coordinate: coord("s"), Kind: testKind, Payload: make([]byte, 1<<10)})
			require.NoError(t, err)
			require.NoError(t, e.Commit())
			st := e.Stats()
			files, size := segmentFiles(t, dir)
			require.Equal(t, files, st.Segments, "after %d commits", i+1)
			require.Equal(t, size, st.SegmentBytes, "after %d commits (preallocate %d)", i+1, prealloc)
		}
		require.Greater(t, e.Stats().Segments, 3)
		require.NoError(t, e.Close())
		require.Zero(t, e.Stats().SegmentBytes, "a closed engine holds no files")
	}
}

// segmentFiles returns the number and total size of dir's segment files.
func segmentFiles(t *testing.T, dir string) (int, int64) {
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	n, size := 0, int64(0)
	for _, en := range entries {
		if _, ok := format.ParseSegmentName(en.Name()); !ok {
			continue
		}
		fi, err := os.Stat(filepath.Join(dir, en.Name()))
		require.NoError(t, err)
		n++
		size += fi.Size()
	}
	return n, size
}
