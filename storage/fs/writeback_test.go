package fs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// StartWriteback changes no byte and no size, on OS files, on Mem files and
// on files it cannot start writeback for, open or closed.
func TestStartWritebackIsOnlyAHint(t *testing.T) {
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
			f, err := tc.fsys.OpenFile(filepath.Join(tc.dir, "f"), os.O_RDWR|os.O_CREATE, 0o600)
			require.NoError(t, err)
			_, err = f.WriteAt([]byte("hello, disk"), 100)
			require.NoError(t, err)
			StartWriteback(f, 0, 111)
			StartWriteback(f, 4096, 1<<20) // past the end
			StartWriteback(f, 0, 0)
			size, err := f.Size()
			require.NoError(t, err)
			require.Equal(t, int64(111), size)
			got := make([]byte, 11)
			_, err = f.ReadAt(got, 100)
			require.NoError(t, err)
			require.Equal(t, "hello, disk", string(got))
			require.NoError(t, f.Sync())
			require.NoError(t, f.Close())
			StartWriteback(f, 0, 111) // closed: ignored
		})
	}
}
