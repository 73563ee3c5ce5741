package actors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
)

// Close and Sync right behind a lone append (its group syncs inline and
// lands at once): no writer crash, no restart, the segment sealed.
func TestCloseAndSyncBehindALoneAppend(t *testing.T) {
	for _, op := range []string{"close", "sync"} {
		t.Run(op, func(t *testing.T) {
			mem := fs.NewMem()
			sys := quietSystem()
			defer sys.Shutdown()
			s, err := Spawn(sys, Config{Dir: "/data", Storage: storage.Options{FS: mem}})
			require.NoError(t, err)
			f := sys.Root.RequestFuture(s.Writer(), &messages.Append{Coordinate: coord("e"), Kind: kind, Payload: []byte("lone")}, 10*time.Second)
			if op == "sync" {
				require.NoError(t, s.Sync(ctx(t)))
			}
			require.NoError(t, s.Close(ctx(t)))
			res, err := f.Result()
			require.NoError(t, err)
			require.NoError(t, res.(*messages.AppendReply).Err())
			require.Zero(t, s.Restarts(), "the writer must not crash")
			e, err := storage.Open("/data", storage.Options{FS: mem.CrashClean()})
			require.NoError(t, err)
			st := e.Stats()
			require.Equal(t, 1, st.Events)
			require.Equal(t, st.Recovery.Segments, st.Recovery.FooterSegments, "every segment sealed")
			require.NoError(t, e.Close())
		})
	}
}

// A caller that reuses its payload buffer once Append returned never
// changes what subscribers get: they receive the committed bytes.
func TestSubscribersGetTheCommittedBytes(t *testing.T) {
	f := spawn(t, Config{})
	rig := follow(t, f.store, storage.Filter{}, 0, nil)
	buf := make([]byte, 64)
	const n = 200
	for i := range n {
		copy(buf, fmt.Sprintf("event %03d %s", i, bytes.Repeat([]byte{'x'}, 40)))
		_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("e"), Kind: kind, Payload: buf})
		require.NoError(t, err)
		clear(buf) // the caller's buffer is its own again
	}
	for i, ev := range rig.take(t, n) {
		want := fmt.Sprintf("event %03d %s", i, bytes.Repeat([]byte{'x'}, 40))
		require.Equal(t, want, string(ev.Payload[:len(want)]), "event %d", i)
	}
}

// gatedFS blocks Lock while armed: a writer restart then waits in its
// Open, so a test can read while the restart is in progress.
type gatedFS struct {
	fs.FS
	mu    sync.Mutex
	gate  chan struct{}
	inner chan struct{} // closed when a Lock is waiting
}

func (g *gatedFS) arm() (waiting <-chan struct{}, release func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gate, g.inner = make(chan struct{}), make(chan struct{})
	gate := g.gate
	return g.inner, func() { close(gate) }
}

func (g *gatedFS) Lock(name string) (io.Closer, error) {
	g.mu.Lock()
	gate, inner := g.gate, g.inner
	g.gate = nil
	g.mu.Unlock()
	if gate != nil {
		close(inner)
		<-gate
	}
	return g.FS.Lock(name)
}

// Reads of committed events keep working while the writer restarts: they
// neither fail nor wait for the new writer's recovery.
func TestReadsWorkDuringARestart(t *testing.T) {
	gfs := &gatedFS{FS: fs.NewMem()}
	sys := quietSystem()
	defer sys.Shutdown()
	s, err := Spawn(sys, Config{Dir: "/data", Storage: storage.Options{FS: gfs}, Policy: supervision.Bounded(3, time.Minute)})
	require.NoError(t, err)
	defer s.Close(context.Background())
	var ids []messages.ID
	for i := range 20 {
		r, err := s.Append(ctx(t), &messages.Append{Coordinate: coord("e"), Kind: kind, Payload: []byte{byte(i)}})
		require.NoError(t, err)
		ids = append(ids, r.EventID)
	}
	waiting, release := gfs.arm()
	sys.Root.Send(s.Writer(), &faults.Panic{Reason: "restart under readers"})
	<-waiting // the new instance is inside Open
	done := make(chan error, 1)
	go func() {
		for _, id := range ids {
			if _, err := s.Get(id); err != nil {
				done <- err
				return
			}
		}
		evs, err := s.Stream(coord("e"), 1)
		if err == nil && len(evs) != len(ids) {
			err = fmt.Errorf("stream holds %d events, want %d", len(evs), len(ids))
		}
		done <- err
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		release()
		t.Fatal("reads waited for the restart")
	}
	release()
	_, err = s.Append(ctx(t), &messages.Append{Coordinate: coord("e"), Kind: kind})
	require.NoError(t, err)
	require.Equal(t, 1, s.Restarts())
}

// slowSyncFS makes every fsync take a while, which widens the window in
// which a group is written but not yet durable.
type slowSyncFS struct{ fs.FS }

type slowSyncFile struct{ fs.File }

func (s slowSyncFS) OpenFile(name string, flag int, perm os.FileMode) (fs.File, error) {
	f, err := s.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return slowSyncFile{f}, nil
}

func (f slowSyncFile) Sync() error {
	time.Sleep(3 * time.Millisecond) // not synchronisation: a slow disk
	return f.File.Sync()
}

// A NoStream append racing an Any append on the same entity is never
// refused because of the other's event before that event is durable: once
// the conflict is answered, a read sees the event that caused it.
func TestConflictAnsweredOnlyFromDurableState(t *testing.T) {
	sys := quietSystem()
	defer sys.Shutdown()
	s, err := Spawn(sys, Config{Dir: "/data", Storage: storage.Options{FS: slowSyncFS{fs.NewMem()}}})
	require.NoError(t, err)
	defer s.Close(context.Background())
	for round := range 30 {
		c := coord(fmt.Sprintf("race/%d", round))
		first := sys.Root.RequestFuture(s.Writer(), &messages.Append{Coordinate: c, Kind: kind}, 10*time.Second)
		_, err := s.Append(ctx(t), &messages.Append{Coordinate: c, Kind: kind, Expected: messages.NoStream()})
		require.ErrorIs(t, err, messages.ErrVersionConflict, "round %d", round)
		evs, rerr := s.Stream(c, 1)
		require.NoError(t, rerr)
		require.Len(t, evs, 1, "round %d: the conflict was answered before the event that caused it was durable", round)
		var vc *storage.VersionConflictError
		if errors.As(err, &vc) {
			require.Equal(t, uint64(1), vc.Actual)
		}
		_, err = first.Result()
		require.NoError(t, err)
	}
}

// Requests with a context already done, or past its deadline, fail at once
// with the context's error; Close honours its context.
func TestExpiredContexts(t *testing.T) {
	f := spawn(t, Config{})
	done, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.store.Append(done, &messages.Append{Coordinate: coord("e"), Kind: kind})
	require.ErrorIs(t, err, context.Canceled)
	past, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	_, err = f.store.Append(past, &messages.Append{Coordinate: coord("e"), Kind: kind})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorIs(t, f.store.Sync(past), context.DeadlineExceeded)
	evs, err := f.store.Stream(coord("e"), 1)
	require.NoError(t, err)
	require.Empty(t, evs, "nothing was sent")

	release := make(chan struct{})
	f.sys.Root.Send(f.store.Writer(), &faults.Block{Release: release})
	short, cancel3 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel3()
	err = f.store.Close(short)
	require.ErrorIs(t, err, context.DeadlineExceeded, "Close returns when its context ends")
	close(release)
}

// With SyncPeriodic, an event acknowledged before its fsync is made durable
// within SyncInterval even when no further commit comes (a timer in the
// writer), not only at the next commit.
func TestPeriodicSyncWithoutTraffic(t *testing.T) {
	mem := fs.NewMem()
	sys := quietSystem()
	defer sys.Shutdown()
	s, err := Spawn(sys, Config{Dir: "/data", Storage: storage.Options{FS: mem, Preallocate: -1,
		SyncMode: storage.SyncPeriodic, SyncInterval: 20 * time.Millisecond, SyncEveryEvents: 1 << 20}})
	require.NoError(t, err)
	defer s.Close(context.Background())
	for range 3 { // the first commit of a session syncs (the interval has passed since Open)
		_, err = s.Append(ctx(t), &messages.Append{Coordinate: coord("e"), Kind: kind, Payload: []byte("acknowledged")})
		require.NoError(t, err)
	}
	st, err := s.Stats()
	require.NoError(t, err)
	require.Equal(t, 3, st.Events)
	// Nothing else is sent: the timer alone must make them durable.
	require.Eventually(t, func() bool {
		e, err := storage.Open("/data2", storage.Options{FS: crashCopy(mem)})
		if err != nil {
			return false
		}
		defer e.Close()
		return e.Stats().Events == 3
	}, 10*time.Second, 5*time.Millisecond, "the acknowledged events never became durable")
}

// crashCopy is the image of /data after a power cut (only synced bytes),
// placed at /data2 so that it does not meet the live store's lock.
func crashCopy(mem *fs.Mem) *fs.Mem {
	img := mem.CrashClean()
	names, _ := img.ReadDir("/data")
	_ = img.MkdirAll("/data2", 0o700)
	for _, n := range names {
		if b, err := img.ReadFile("/data/" + n); err == nil && n != "LOCK" {
			_ = img.WriteFile("/data2/"+n, b)
		}
	}
	return img
}

// An idempotency key reused for another request through the actors gets
// ErrIdempotencyConflict with both coordinates, and nothing is written.
func TestIdempotencyConflictThroughTheStore(t *testing.T) {
	f := spawn(t, Config{})
	key := messages.NewID()
	_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("acct/1"), Kind: kind, Payload: []byte("10"), IdempotencyKey: key})
	require.NoError(t, err)
	_, err = f.store.Append(ctx(t), &messages.Append{Coordinate: coord("acct/2"), Kind: kind, Payload: []byte("10"), IdempotencyKey: key})
	require.ErrorIs(t, err, messages.ErrIdempotencyConflict)
	var ic *messages.IdempotencyConflictError
	require.ErrorAs(t, err, &ic)
	require.Equal(t, coord("acct/1"), ic.Existing)
	require.Equal(t, coord("acct/2"), ic.Requested)
	evs, err := f.store.Stream(coord("acct/2"), 1)
	require.NoError(t, err)
	require.Empty(t, evs)
}
