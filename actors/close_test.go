package actors

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/stretchr/testify/require"
)

func TestCloseDrainsUpToItsLimit(t *testing.T) {
	f := spawn(t, Config{DrainLimit: 5})
	release := make(chan struct{})
	f.sys.Root.Send(f.store.Writer(), &faults.Block{Release: release})
	const n = 50
	futures := make([]*actor.Future, n) // queued behind the block, in order
	for i := range futures {
		futures[i] = f.sys.Root.RequestFuture(f.store.Writer(),
			&messages.Append{Coordinate: coord("queued"), Kind: kind, Payload: []byte(fmt.Sprint(i))}, 10*time.Second)
	}
	closed := make(chan error, 1)
	go func() { closed <- f.store.Close(context.Background()) }()
	require.Eventually(t, func() bool { return f.store.sh.closing.Load() }, 5*time.Second, time.Millisecond)
	close(release)
	require.NoError(t, <-closed)
	var ok, refused int
	var receipts []messages.Receipt
	for _, fut := range futures {
		res, err := fut.Result()
		require.NoError(t, err, "every queued request is answered")
		r := res.(*messages.AppendReply)
		if r.Err() == nil {
			ok++
			receipts = append(receipts, r.Receipt)
		} else {
			require.ErrorIs(t, r.Err(), messages.ErrClosed)
			require.Equal(t, messages.CodeClosed, r.Err().(*messages.Error).Code, "one answer for a closing store")
			refused++
		}
	}
	require.Equal(t, 5, ok, "the drain limit")
	require.Equal(t, n-5, refused)
	e, err := storage.Open(f.dir, storage.Options{})
	require.NoError(t, err)
	defer e.Close()
	for _, r := range receipts {
		_, err := e.Get(r.EventID)
		require.NoError(t, err)
	}
}

func TestSyncMakesPeriodicAppendsDurable(t *testing.T) {
	mem := fs.NewMem()
	f := spawn(t, Config{Storage: storage.Options{FS: mem, SyncMode: storage.SyncPeriodic, SyncEveryEvents: 1000, SyncInterval: time.Hour}})
	var rs []messages.Receipt
	for i := 0; i < 10; i++ {
		r, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord(fmt.Sprint(i)), Kind: kind})
		require.NoError(t, err)
		rs = append(rs, r)
	}
	require.NoError(t, f.store.Sync(ctx(t)))
	crashed := mem.CrashClean() // only what was fsynced
	e, err := storage.Open(f.dir, storage.Options{FS: crashed})
	require.NoError(t, err)
	defer e.Close()
	for _, r := range rs {
		_, err := e.Get(r.EventID)
		require.NoError(t, err, "acknowledged before Sync returned, so durable")
	}
}

// The callers of a group that was staged when the writer crashed are told
// ErrWriterCrashed, and none of their events exists afterwards: a retry
// with the same key appends each exactly once.
func TestCrashedGroupLeavesNothingBehind(t *testing.T) {
	f := spawn(t, Config{})
	release := make(chan struct{})
	f.sys.Root.Send(f.store.Writer(), &faults.Block{Release: release})
	keys := make([]messages.ID, 5)
	futures := make([]*actor.Future, len(keys))
	for i := range keys {
		keys[i] = messages.NewID()
		futures[i] = f.sys.Root.RequestFuture(f.store.Writer(),
			&messages.Append{Coordinate: coord("crashed"), Kind: kind, IdempotencyKey: keys[i]}, 10*time.Second)
	}
	f.sys.Root.Send(f.store.Writer(), &faults.Panic{Reason: "mid-group"})
	close(release)
	for _, fut := range futures {
		res, err := fut.Result()
		require.NoError(t, err)
		require.ErrorIs(t, res.(*messages.AppendReply).Err(), messages.ErrWriterCrashed)
	}
	for _, k := range keys {
		_, err := f.store.Get(messages.IDFromKey(k))
		require.ErrorIs(t, err, messages.ErrNotFound, "never acknowledged, so not there")
	}
	for _, k := range keys {
		r, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("crashed"), Kind: kind, IdempotencyKey: k})
		require.NoError(t, err)
		require.False(t, r.Replayed)
	}
	evs, err := f.store.Stream(coord("crashed"), 1)
	require.NoError(t, err)
	require.Len(t, evs, len(keys))
}
