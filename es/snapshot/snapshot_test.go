package snapshot_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/es/snapshot"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/fs"
)

var order = messages.Coordinate{Entity: "order/42", Scope: "shop"}

const orderType = "order.v1"

// snap returns a snapshot of order at version v whose data names v.
func snap(v uint64) snapshot.Snapshot {
	return snapshot.Snapshot{Coordinate: order, Type: orderType, Version: v,
		EventHash: messages.Hash{0: byte(v), 31: 0xee}, Data: []byte(fmt.Sprintf("state@%d", v)), WallMS: 1000 + int64(v)}
}

func open(t *testing.T, dir string, opts snapshot.Options) *snapshot.Store {
	t.Helper()
	s, err := snapshot.Open(dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func latest(t *testing.T, s *snapshot.Store, c messages.Coordinate, typ string) (snapshot.Snapshot, bool) {
	t.Helper()
	sn, ok, err := s.Latest(c, typ)
	require.NoError(t, err)
	return sn, ok
}

// snapFiles lists the *.snap files of dir.
func snapFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.snap"))
	require.NoError(t, err)
	return m
}

func TestRoundTripSurvivesReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "snapshots")
	s := open(t, dir, snapshot.Options{})
	_, ok := latest(t, s, order, orderType)
	require.False(t, ok, "an empty store has no snapshot")

	want := snap(7)
	require.NoError(t, s.Save(want))
	got, ok := latest(t, s, order, orderType)
	require.True(t, ok)
	require.Equal(t, want, got)
	require.NoError(t, s.Close())

	s2 := open(t, dir, snapshot.Options{})
	got, ok = latest(t, s2, order, orderType)
	require.True(t, ok)
	require.Equal(t, want, got, "every field survives a reopen")
	_, ok = latest(t, s2, order, "other.v1")
	require.False(t, ok, "another type of the same entity has its own series")
	_, ok = latest(t, s2, messages.Coordinate{Entity: "order/42", Scope: "other"}, orderType)
	require.False(t, ok, "another scope is another entity")
}

func TestSaveFillsWallTimeAndCopiesData(t *testing.T) {
	s := open(t, t.TempDir(), snapshot.Options{})
	sn := snap(1)
	sn.WallMS = 0
	require.NoError(t, s.Save(sn))
	sn.Data[0] = 'X' // the caller's buffer is not kept
	got, _ := latest(t, s, order, orderType)
	require.NotZero(t, got.WallMS)
	require.Equal(t, "state@1", string(got.Data))
}

func TestNewestVersionWinsWhateverTheSaveOrder(t *testing.T) {
	s := open(t, t.TempDir(), snapshot.Options{Keep: 5})
	for _, v := range []uint64{3, 9, 4} {
		require.NoError(t, s.Save(snap(v)))
	}
	got, _ := latest(t, s, order, orderType)
	require.Equal(t, uint64(9), got.Version)

	again := snap(9)
	again.Data = []byte("replaced")
	require.NoError(t, s.Save(again), "saving a stored version replaces it")
	got, _ = latest(t, s, order, orderType)
	require.Equal(t, "replaced", string(got.Data))
}

func TestRetentionKeepsNewest(t *testing.T) {
	for _, tc := range []struct {
		name string
		keep int
		want int
	}{
		{name: "default keeps 2", keep: 0, want: 2},
		{name: "keep 1", keep: 1, want: 1},
		{name: "keep 4", keep: 4, want: 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, dir, snapshot.Options{Keep: tc.keep})
			other := snap(1)
			other.Type = "other.v1"
			require.NoError(t, s.Save(other))
			for v := uint64(1); v <= 6; v++ {
				require.NoError(t, s.Save(snap(v)))
			}
			require.Len(t, snapFiles(t, dir), tc.want+1, "older ones are removed; other series untouched")
			require.Equal(t, tc.want+1, s.Stats().Files)
			_, ok := latest(t, s, order, "other.v1")
			require.True(t, ok)
			got, _ := latest(t, s, order, orderType)
			require.Equal(t, uint64(6), got.Version)
			// The kept ones are exactly the newest: deleting up to the
			// newest removed one changes nothing; deleting up to 5 leaves
			// only version 6.
			require.NoError(t, s.Delete(order, orderType, 6-uint64(tc.want)))
			require.Len(t, snapFiles(t, dir), tc.want+1)
			require.NoError(t, s.Delete(order, orderType, 5))
			require.Len(t, snapFiles(t, dir), 2)
			require.NoError(t, s.Delete(order, orderType, 6))
			_, ok = latest(t, s, order, orderType)
			require.False(t, ok, "nothing older than the kept ones is left")
		})
	}
}

func TestSavingAnOldVersionBeyondKeepLeavesTheNewest(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, snapshot.Options{Keep: 2})
	for _, v := range []uint64{10, 11, 3} {
		require.NoError(t, s.Save(snap(v)))
	}
	require.Len(t, snapFiles(t, dir), 2)
	got, _ := latest(t, s, order, orderType)
	require.Equal(t, uint64(11), got.Version)
}

func TestDeleteUpTo(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, snapshot.Options{Keep: 10})
	for v := uint64(1); v <= 5; v++ {
		require.NoError(t, s.Save(snap(v)))
	}
	require.NoError(t, s.Delete(order, orderType, 3))
	require.Len(t, snapFiles(t, dir), 2)
	got, _ := latest(t, s, order, orderType)
	require.Equal(t, uint64(5), got.Version)
	require.NoError(t, s.Delete(order, orderType, 0), "deleting nothing is fine")
	require.NoError(t, s.Delete(order, orderType, ^uint64(0)))
	_, ok := latest(t, s, order, orderType)
	require.False(t, ok)
	require.Empty(t, snapFiles(t, dir))
	require.NoError(t, s.Close())
	s2 := open(t, dir, snapshot.Options{})
	_, ok = latest(t, s2, order, orderType)
	require.False(t, ok, "deleted snapshots stay deleted after a reopen")
}

func TestAnyCoordinateMakesASafeFileName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "snapshots")
	s := open(t, dir, snapshot.Options{})
	coords := []messages.Coordinate{
		{Entity: "../../etc/passwd", Scope: "/"},
		{Entity: "a/b\\c:d*e?f", Scope: "x\ny"},
		{Entity: "zürich ☃", Scope: "tenant 1"},
		{Entity: strings.Repeat("e", messages.MaxCoordinateBytes), Scope: strings.Repeat("s", messages.MaxCoordinateBytes)},
	}
	typ := strings.Repeat("t", snapshot.MaxTypeBytes)
	for i, c := range coords {
		require.NoError(t, s.Save(snapshot.Snapshot{Coordinate: c, Type: typ, Version: uint64(i + 1), Data: []byte(c.Entity)}))
	}
	for i, c := range coords {
		got, ok := latest(t, s, c, typ)
		require.True(t, ok)
		require.Equal(t, c, got.Coordinate)
		require.Equal(t, uint64(i+1), got.Version)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		require.False(t, e.IsDir(), "no subdirectory is made: %s", e.Name())
	}
	require.Len(t, snapFiles(t, dir), len(coords), "all files are in the store's directory")
}

func TestBadInputIsRefused(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, snapshot.Options{})
	tests := []struct {
		name string
		sn   snapshot.Snapshot
		want error
	}{
		{name: "zero coordinate", sn: snapshot.Snapshot{Type: "t", Version: 1}, want: messages.ErrInvalidCoordinate},
		{name: "NUL in entity", sn: snapshot.Snapshot{Coordinate: messages.Coordinate{Entity: "a\x00", Scope: "s"}, Type: "t", Version: 1}, want: messages.ErrInvalidCoordinate},
		{name: "empty type", sn: snapshot.Snapshot{Coordinate: order, Version: 1}, want: messages.ErrInvalidArgument},
		{name: "long type", sn: snapshot.Snapshot{Coordinate: order, Type: strings.Repeat("t", snapshot.MaxTypeBytes+1), Version: 1}, want: messages.ErrInvalidArgument},
		{name: "invalid UTF-8 type", sn: snapshot.Snapshot{Coordinate: order, Type: "\xff", Version: 1}, want: messages.ErrInvalidArgument},
		{name: "version 0", sn: snapshot.Snapshot{Coordinate: order, Type: "t"}, want: messages.ErrInvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, s.Save(tc.sn), tc.want)
			if tc.sn.Version != 0 {
				_, _, err := s.Latest(tc.sn.Coordinate, tc.sn.Type)
				require.ErrorIs(t, err, tc.want)
				require.ErrorIs(t, s.Delete(tc.sn.Coordinate, tc.sn.Type, 1), tc.want)
			}
		})
	}
	require.Empty(t, snapFiles(t, dir), "nothing was written")
	_, err := snapshot.Open(t.TempDir(), snapshot.Options{Keep: -1})
	require.ErrorIs(t, err, messages.ErrInvalidArgument)
}

func TestClosedStoreRefusesAndReleasesTheDirectory(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, snapshot.Options{})
	_, err := snapshot.Open(dir, snapshot.Options{})
	require.ErrorIs(t, err, fs.ErrLocked, "one Store per directory")
	require.ErrorIs(t, err, messages.ErrIO)

	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "closing twice is fine")
	require.ErrorIs(t, s.Save(snap(1)), messages.ErrClosed)
	_, _, err = s.Latest(order, orderType)
	require.ErrorIs(t, err, messages.ErrClosed)
	require.ErrorIs(t, s.Delete(order, orderType, 1), messages.ErrClosed)
	require.Empty(t, snapFiles(t, dir))
	open(t, dir, snapshot.Options{}) // the lock is released
}
