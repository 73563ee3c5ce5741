package snapshot_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/es/snapshot"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/fs"
)

func newRNG(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return rand.New(rand.NewPCG(seed, seed^0x5eed))
}

// memWithDurableParent returns a Mem in which /db exists durably, as the
// event store's directory would.
func memWithDurableParent(t *testing.T) *fs.Mem {
	mem := fs.NewMem()
	require.NoError(t, mem.MkdirAll("/db", 0o700))
	require.NoError(t, mem.SyncDir("/"))
	return mem
}

const memDir = "/db/snapshots"

// checkAfterCrash reopens img and requires the newest snapshot to be
// exactly one of the allowed ones.
func checkAfterCrash(t *testing.T, img *fs.Mem, allowed ...uint64) snapshot.Snapshot {
	t.Helper()
	s, err := snapshot.Open(memDir, snapshot.Options{FS: img})
	require.NoError(t, err)
	defer s.Close()
	got, ok, err := s.Latest(order, orderType)
	require.NoError(t, err)
	require.True(t, ok, "a snapshot acknowledged before the crash is there")
	require.Contains(t, allowed, got.Version)
	require.Equal(t, snap(got.Version), got, "never torn: the snapshot is exactly as saved")
	return got
}

// TestPowerLossDuringSaveLeavesOldOrNew fails each file-system operation
// of a Save in turn, then simulates a power cut (unsynced data and names
// lost at random, pages torn) and reopens: the store holds the previous
// snapshot or the new one, whole; after a Save that returned nil, the new
// one. Keep is 1, the harshest retention: the old snapshot is removed by
// the very Save that writes the new one.
func TestPowerLossDuringSaveLeavesOldOrNew(t *testing.T) {
	rng := newRNG(t)
	for i := int64(1); ; i++ {
		mem := memWithDurableParent(t)
		faulty := fs.NewFaulty(mem)
		s, err := snapshot.Open(memDir, snapshot.Options{FS: faulty, Keep: 1})
		require.NoError(t, err)
		require.NoError(t, s.Save(snap(1)))
		faulty.FailAt(i, nil)
		err = s.Save(snap(2))
		fired := faulty.LastFault()
		if err != nil {
			require.ErrorIs(t, err, messages.ErrIO)
			require.ErrorIs(t, err, fs.ErrInjected)
		}
		for range 20 {
			got := checkAfterCrash(t, mem.PowerLoss(rng), 1, 2)
			if err == nil {
				require.Equal(t, uint64(2), got.Version, "a Save that returned nil is durable (fault: %q)", fired)
			}
		}
		require.NoError(t, s.Close())
		if fired == "" {
			require.Greater(t, i, int64(4), "a Save creates, writes, syncs, renames and syncs the directory")
			return // the Save ran to the end before operation i: every step was covered
		}
	}
}

// TestPowerLossAtAnyMomentOfSaves takes power-cut images while goroutines
// save: each image holds, for each series, a snapshot no older than the
// last one acknowledged before the image was taken, and whole.
func TestPowerLossAtAnyMomentOfSaves(t *testing.T) {
	rng := newRNG(t)
	mem := memWithDurableParent(t)
	s, err := snapshot.Open(memDir, snapshot.Options{FS: mem, Keep: 1})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Save(snap(1)))
	acked := make(chan uint64, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for v := uint64(2); v <= 60; v++ {
			if err := s.Save(snap(v)); err != nil {
				t.Error(err)
				return
			}
			acked <- v
		}
	}()
	var last uint64 = 1
	for running := true; running; {
		select {
		case v := <-acked:
			last = v
			continue
		case <-done:
			running = false
		default:
		}
		img := mem.PowerLoss(rng)
		s2, err := snapshot.Open(memDir, snapshot.Options{FS: img})
		require.NoError(t, err)
		got, ok, err := s2.Latest(order, orderType)
		require.NoError(t, err)
		require.True(t, ok)
		require.GreaterOrEqual(t, got.Version, last)
		require.Equal(t, snap(got.Version), got)
		require.NoError(t, s2.Close())
	}
}

// TestUnsyncedFileUnderAFinalNameIsNeverReturnedTorn plants a snapshot
// file under its final name without fsyncing it (as a store without the
// temp-file protocol would) and cuts the power: whatever reached the disk,
// Latest returns the old snapshot or the planted one whole, never torn
// bytes.
func TestUnsyncedFileUnderAFinalNameIsNeverReturnedTorn(t *testing.T) {
	rng := newRNG(t)
	mem := memWithDurableParent(t)
	s, err := snapshot.Open(memDir, snapshot.Options{FS: mem, Keep: 5})
	require.NoError(t, err)
	big := snap(2)
	big.Data = make([]byte, 3*fs.PowerLossPage) // several pages, torn independently
	for i := range big.Data {
		big.Data[i] = byte(i*7 + 1)
	}
	require.NoError(t, s.Save(snap(1)))
	require.NoError(t, s.Save(big))
	require.NoError(t, s.Close())
	names, err := mem.ReadDir(memDir)
	require.NoError(t, err)
	names = slices.DeleteFunc(names, func(n string) bool { return filepath.Ext(n) != ".snap" })
	require.Len(t, names, 2)
	name2 := names[1] // the newest of the series
	content, err := mem.ReadFile(filepath.Join(memDir, name2))
	require.NoError(t, err)
	require.NoError(t, mem.Remove(filepath.Join(memDir, name2)))
	require.NoError(t, mem.SyncDir(memDir))

	f, err := mem.OpenFile(filepath.Join(memDir, name2), os.O_RDWR|os.O_CREATE, 0o600)
	require.NoError(t, err)
	_, err = f.WriteAt(content, 0)
	require.NoError(t, err)
	require.NoError(t, mem.SyncDir(memDir)) // the name is durable, the bytes are not
	seen := map[uint64]int{}
	for range 50 {
		img := mem.PowerLoss(rng)
		s2, err := snapshot.Open(memDir, snapshot.Options{FS: img})
		require.NoError(t, err)
		got, ok, err := s2.Latest(order, orderType)
		require.NoError(t, err)
		require.True(t, ok)
		switch got.Version {
		case 1:
			require.Equal(t, snap(1), got)
			require.Equal(t, uint64(1), s2.Stats().Corrupt, "the torn file was counted")
		case 2:
			require.Equal(t, big, got)
		default:
			t.Fatalf("version %d", got.Version)
		}
		seen[got.Version]++
		require.NoError(t, s2.Close())
	}
	require.NotZero(t, seen[1], "some power cuts tore the file: %v", seen)
	f.Close()
}

// TestLeftoverTempFileIsRemovedAtOpen: a crash between a Save's write and
// its rename leaves a temporary file, complete or not: Open removes it and
// the previous snapshot stays the newest.
func TestLeftoverTempFileIsRemovedAtOpen(t *testing.T) {
	for _, tc := range []struct {
		name string
		cut  int // bytes cut off the end of the temp file
	}{
		{name: "complete temp file", cut: 0},
		{name: "half-written temp file", cut: -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, dir, snapshot.Options{})
			require.NoError(t, s.Save(snap(1)))
			require.NoError(t, s.Save(snap(2)))
			require.NoError(t, s.Close())
			files := snapFiles(t, dir)
			b, err := os.ReadFile(files[1])
			require.NoError(t, err)
			require.NoError(t, os.Remove(files[1]))
			if tc.cut < 0 {
				b = b[:len(b)/2]
			}
			tmp := files[1] + ".tmp-3"
			require.NoError(t, os.WriteFile(tmp, b, 0o600))

			s2 := open(t, dir, snapshot.Options{})
			require.Equal(t, uint64(1), s2.Stats().TempRemoved)
			_, err = os.Stat(tmp)
			require.ErrorIs(t, err, os.ErrNotExist)
			got, ok := latest(t, s2, order, orderType)
			require.True(t, ok)
			require.Equal(t, snap(1), got)
			require.NoError(t, s2.Save(snap(3)), "the store goes on")
		})
	}
}
