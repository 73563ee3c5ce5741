package storage

import (
	"testing"
	"time"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/stretchr/testify/require"
)

func TestSyncModes(t *testing.T) {
	t.Run("every commit", func(t *testing.T) {
		h := newHarness(t, Options{})
		require.Equal(t, uint64(2), h.e.WriterStats().Fsyncs, "the new segment's header and the directory")
		for i := 0; i < 5; i++ {
			h.put("e", "x")
		}
		require.Equal(t, uint64(2+5), h.e.WriterStats().Fsyncs)
	})
	t.Run("periodic by count", func(t *testing.T) {
		h := newHarness(t, Options{SyncMode: SyncPeriodic, SyncEveryEvents: 3, SyncInterval: time.Hour})
		base := h.e.WriterStats().Fsyncs
		for i := 0; i < 7; i++ {
			h.put("e", "x")
		}
		require.Equal(t, base+2, h.e.WriterStats().Fsyncs, "after the 3rd and the 6th event")
		require.Equal(t, 7, h.e.Stats().Events, "periodic mode publishes before it syncs")
		require.NoError(t, h.e.Sync())
		require.Equal(t, base+3, h.e.WriterStats().Fsyncs)
	})
	t.Run("periodic by time", func(t *testing.T) {
		h := newHarness(t, Options{SyncMode: SyncPeriodic, SyncEveryEvents: 1000, SyncInterval: time.Second})
		base := h.e.WriterStats().Fsyncs
		h.put("e", "x")
		require.Equal(t, base, h.e.WriterStats().Fsyncs)
		h.now = h.now.Add(2 * time.Second)
		h.put("e", "y")
		require.Equal(t, base+1, h.e.WriterStats().Fsyncs)
	})
	t.Run("none", func(t *testing.T) {
		h := newHarness(t, Options{SyncMode: SyncNone})
		h.put("e", "x")
		require.NoError(t, h.e.Sync())
		require.Zero(t, h.e.WriterStats().Fsyncs)
	})
}

// In periodic mode an OS crash can lose acknowledged events of the last
// interval; in the default mode it cannot. This pins the documented contract.
func TestPeriodicModeIsNotDurableAtAck(t *testing.T) {
	for _, mode := range []SyncMode{SyncEveryCommit, SyncPeriodic} {
		h := newHarness(t, Options{SyncMode: mode, SyncEveryEvents: 100, SyncInterval: time.Hour})
		for i := 0; i < 10; i++ {
			h.put("e", "x")
		}
		crashed := h.mem.CrashClean()
		e, err := Open(h.dir, Options{FS: crashed})
		require.NoError(t, err)
		if mode == SyncEveryCommit {
			require.Equal(t, 10, e.Stats().Events)
		} else {
			require.Less(t, e.Stats().Events, 10)
		}
		require.NoError(t, e.Close())
	}
}

func TestFailedFsyncIsSticky(t *testing.T) {
	mem := fs.NewMem()
	faulty := fs.NewFaulty(mem)
	e, err := Open("/data", Options{FS: faulty})
	require.NoError(t, err)
	ok, err := e.Append(&messages.Append{Coordinate: coord("e"), Kind: testKind, Payload: []byte("durable")})
	require.NoError(t, err)
	require.NoError(t, e.Commit())
	lost, err := e.Append(&messages.Append{Coordinate: coord("e"), Kind: testKind, Payload: []byte("never acknowledged")})
	require.NoError(t, err)
	faulty.FailAt(2, nil) // the write succeeds, the fsync fails
	err = e.Commit()
	require.ErrorIs(t, err, messages.ErrSyncFailed)
	require.ErrorIs(t, err, fs.ErrInjected)
	_, err = e.Get(lost.EventID)
	require.ErrorIs(t, err, messages.ErrNotFound, "nothing of a failed commit becomes visible")
	_, err = e.Append(&messages.Append{Coordinate: coord("e"), Kind: testKind})
	require.ErrorIs(t, err, messages.ErrSyncFailed, "the engine refuses writes until reopened")
	require.ErrorIs(t, e.Commit(), messages.ErrSyncFailed)
	require.True(t, e.WriterStats().Failed)
	_, err = e.Get(ok.EventID)
	require.NoError(t, err, "reads of committed events still work")
	require.Error(t, e.Close())

	e, err = Open("/data", Options{FS: mem.CrashClean()})
	require.NoError(t, err)
	_, err = e.Get(ok.EventID)
	require.NoError(t, err)
	require.NoError(t, e.Close())
}
