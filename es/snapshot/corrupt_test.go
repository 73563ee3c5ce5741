package snapshot_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/es/snapshot"
	"github.com/batpak-go/batpak/messages"
)

// TestCorruptFilesAreSkippedNeverReturned damages the newest snapshot file
// in each way a disk or a person could, and requires Latest to return the
// older valid one, count the bad one, set it aside, and not count it again
// after a reopen.
func TestCorruptFilesAreSkippedNeverReturned(t *testing.T) {
	other := messages.Coordinate{Entity: "order/43", Scope: "shop"}
	tests := []struct {
		name   string
		damage func(t *testing.T, dir, newest string, b []byte) []byte
	}{
		{name: "flipped data byte", damage: func(_ *testing.T, _, _ string, b []byte) []byte { b[len(b)-6] ^= 0x01; return b }},
		{name: "flipped header byte", damage: func(_ *testing.T, _, _ string, b []byte) []byte { b[20] ^= 0x80; return b }},
		{name: "flipped checksum", damage: func(_ *testing.T, _, _ string, b []byte) []byte { b[len(b)-1] ^= 0xff; return b }},
		{name: "truncated", damage: func(_ *testing.T, _, _ string, b []byte) []byte { return b[:len(b)-3] }},
		{name: "truncated to the header", damage: func(_ *testing.T, _, _ string, b []byte) []byte { return b[:40] }},
		{name: "empty", damage: func(_ *testing.T, _, _ string, b []byte) []byte { return nil }},
		{name: "junk appended", damage: func(_ *testing.T, _, _ string, b []byte) []byte { return append(b, 0, 0, 0, 0) }},
		{name: "zeroed", damage: func(_ *testing.T, _, _ string, b []byte) []byte { return make([]byte, len(b)) }},
		{name: "foreign bytes", damage: func(_ *testing.T, _, _ string, b []byte) []byte {
			return []byte("this is not a snapshot at all, just a file")
		}},
		{name: "future format version", damage: func(_ *testing.T, _, _ string, b []byte) []byte { b[8] = 9; return b }},
		{name: "another entity's valid snapshot under this name", damage: func(t *testing.T, dir, _ string, _ []byte) []byte {
			odir := t.TempDir()
			s := open(t, odir, snapshot.Options{})
			sn := snap(2)
			sn.Coordinate = other
			require.NoError(t, s.Save(sn))
			b, err := os.ReadFile(snapFiles(t, odir)[0])
			require.NoError(t, err)
			return b
		}},
		{name: "another version's valid snapshot under this name", damage: func(t *testing.T, dir, newest string, _ []byte) []byte {
			files := snapFiles(t, dir)
			b, err := os.ReadFile(files[0]) // version 1's bytes under version 2's name
			require.NoError(t, err)
			return b
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, dir, snapshot.Options{Keep: 5})
			require.NoError(t, s.Save(snap(1)))
			require.NoError(t, s.Save(snap(2)))
			files := snapFiles(t, dir)
			newest := files[1]
			b, err := os.ReadFile(newest)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(newest, tc.damage(t, dir, newest, b), 0o600))

			got, ok := latest(t, s, order, orderType)
			require.True(t, ok)
			require.Equal(t, snap(1), got, "the older valid snapshot is returned")
			st := s.Stats()
			require.Equal(t, uint64(1), st.Corrupt)
			require.ErrorIs(t, st.LastCorrupt, messages.ErrCorrupt)
			require.Equal(t, filepath.Base(newest), st.LastCorrupt.File)
			require.NotEmpty(t, st.LastCorrupt.Reason)
			_, err = os.Stat(newest + ".corrupt")
			require.NoError(t, err, "the bad file is set aside for inspection")

			got, _ = latest(t, s, order, orderType)
			require.Equal(t, uint64(1), got.Version)
			require.Equal(t, uint64(1), s.Stats().Corrupt, "a file set aside is not read again")
			require.NoError(t, s.Close())
			s2 := open(t, dir, snapshot.Options{})
			got, _ = latest(t, s2, order, orderType)
			require.Equal(t, snap(1), got)
			require.Zero(t, s2.Stats().Corrupt)
			require.Zero(t, s2.Stats().Foreign, "set-aside files are the store's own")
		})
	}
}

func TestAllCorruptMeansNoSnapshot(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, snapshot.Options{})
	require.NoError(t, s.Save(snap(1)))
	require.NoError(t, s.Save(snap(2)))
	for _, f := range snapFiles(t, dir) {
		require.NoError(t, os.Truncate(f, 10))
	}
	_, ok := latest(t, s, order, orderType)
	require.False(t, ok, "no valid snapshot: the loader rebuilds from the events")
	require.Equal(t, uint64(2), s.Stats().Corrupt)
	require.NoError(t, s.Save(snap(3)), "and the series goes on")
	got, _ := latest(t, s, order, orderType)
	require.Equal(t, snap(3), got)
}

func TestForeignFilesAreLeftAlone(t *testing.T) {
	dir := t.TempDir()
	foreign := []string{"README", "notes.snap", "0000000001.seg", "zz-00000000000000000001.snap"}
	for _, n := range foreign {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), []byte("not ours"), 0o600))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o700))
	s := open(t, dir, snapshot.Options{})
	require.Equal(t, uint64(len(foreign)+1), s.Stats().Foreign)
	require.Zero(t, s.Stats().Files)
	require.NoError(t, s.Save(snap(1)))
	require.NoError(t, s.Delete(order, orderType, 10))
	for _, n := range foreign {
		_, err := os.Stat(filepath.Join(dir, n))
		require.NoError(t, err, "%s is untouched", n)
	}
}

// TestFileRemovedByHandIsForgotten: a snapshot file removed behind the
// store's back is skipped (the next older one is returned) and forgotten.
func TestFileRemovedByHandIsForgotten(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, snapshot.Options{})
	require.NoError(t, s.Save(snap(1)))
	require.NoError(t, s.Save(snap(2)))
	files := snapFiles(t, dir)
	require.NoError(t, os.Remove(files[1]))
	got, ok := latest(t, s, order, orderType)
	require.True(t, ok)
	require.Equal(t, snap(1), got)
	require.Equal(t, 1, s.Stats().Files)
	require.NoError(t, os.Remove(files[0]))
	_, ok = latest(t, s, order, orderType)
	require.False(t, ok)
	require.Zero(t, s.Stats().Files)
	require.Zero(t, s.Stats().Corrupt, "a missing file is not a corrupt one")
}
