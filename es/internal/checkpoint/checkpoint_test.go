package checkpoint

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ckpt")
	d := New(nil, dir)
	_, found, err := d.Load("p")
	require.NoError(t, err)
	require.False(t, found)
	r := Record{Type: "t/1", Next: 42, Last: messages.NewID(), LastSeq: 40, State: []byte("state"), WallMS: 7}
	require.NoError(t, d.Save("p", r))
	got, found, err := d.Load("p")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, r, got)
	r.Next = 50
	require.NoError(t, d.Save("p", r))
	got, _, err = d.Load("p")
	require.NoError(t, err)
	require.Equal(t, uint64(50), got.Next)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left")
	st, err := os.Stat(dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), st.Mode().Perm())
}

// Every single-bit flip and every truncation of a checkpoint file is
// reported as corrupt, never returned as a record.
func TestEveryFlipAndCutIsCorrupt(t *testing.T) {
	b, err := Encode(Record{Type: "t/1", Next: 9, Last: messages.NewID(), LastSeq: 8, State: []byte("some state bytes")})
	require.NoError(t, err)
	for i := range b {
		for bit := 0; bit < 8; bit++ {
			c := append([]byte(nil), b...)
			c[i] ^= 1 << bit
			_, err := Decode(c)
			require.ErrorIs(t, err, messages.ErrCorrupt, "flip byte %d bit %d", i, bit)
		}
	}
	for n := 0; n < len(b); n++ {
		_, err := Decode(b[:n])
		require.ErrorIs(t, err, messages.ErrCorrupt, "cut at %d", n)
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(Path(dir, "x"), b[:len(b)-1], 0o600))
	_, found, err := New(nil, dir).Load("x")
	require.False(t, found)
	require.ErrorIs(t, err, messages.ErrCorrupt)
}

func TestBadNames(t *testing.T) {
	for _, n := range []string{"", ".hidden", "a/b", "../x", string(make([]byte, 129))} {
		require.ErrorIs(t, New(nil, t.TempDir()).Save(n, Record{}), messages.ErrInvalidArgument, "%q", n)
		_, _, err := New(nil, t.TempDir()).Load(n)
		require.ErrorIs(t, err, messages.ErrInvalidArgument)
	}
}

// Save creates missing directories (parents included) and removes the
// temporary files an interrupted Save left behind, never the checkpoint.
func TestSaveCreatesDirectoriesAndRemovesStaleTemps(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	require.NoError(t, New(nil, dir).Save("p", Record{Type: "t", Next: 1}))
	stale := filepath.Join(dir, ".p.tmp-123")
	require.NoError(t, os.WriteFile(stale, []byte("half a checkpoint"), 0o600))
	other := filepath.Join(dir, ".q.tmp-123")
	require.NoError(t, os.WriteFile(other, []byte("another's"), 0o600))
	require.NoError(t, New(nil, dir).Save("p", Record{Type: "t", Next: 2}))
	_, err := os.Stat(stale)
	require.True(t, os.IsNotExist(err), "the stale temp file is gone")
	_, err = os.Stat(other)
	require.NoError(t, err, "another checkpoint's temp file is not this Save's to remove")
	r, found, err := New(nil, dir).Load("p")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, uint64(2), r.Next)
}
