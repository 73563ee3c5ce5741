package actors

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// hostile is a request no door may accept, and the error it must get.
type hostile struct {
	name string
	msg  any // *messages.Append or *messages.AppendBatch
	want error
}

func hostileInputs() []hostile {
	c := coord("ok")
	item := func(mut func(*messages.BatchItem)) messages.BatchItem {
		it := messages.BatchItem{Coordinate: c, Kind: kind}
		mut(it2(&it))
		return it
	}
	many := make([]messages.BatchItem, 4097)
	for i := range many {
		many[i] = messages.BatchItem{Coordinate: c, Kind: kind}
	}
	return []hostile{
		{"empty entity", &messages.Append{Coordinate: messages.Coordinate{Scope: "s"}, Kind: kind}, messages.ErrInvalidCoordinate},
		{"empty scope", &messages.Append{Coordinate: messages.Coordinate{Entity: "e"}, Kind: kind}, messages.ErrInvalidCoordinate},
		{"1025-byte entity", &messages.Append{Coordinate: coord(strings.Repeat("e", 1025)), Kind: kind}, messages.ErrInvalidCoordinate},
		{"invalid UTF-8", &messages.Append{Coordinate: coord("\xc3\x28"), Kind: kind}, messages.ErrInvalidCoordinate},
		{"NUL in entity", &messages.Append{Coordinate: coord("a\x00"), Kind: kind}, messages.ErrInvalidCoordinate},
		{"reserved kind BEGIN", &messages.Append{Coordinate: c, Kind: messages.KindBatchBegin}, messages.ErrReservedKind},
		{"reserved kind COMMIT", &messages.Append{Coordinate: c, Kind: messages.KindBatchCommit}, messages.ErrReservedKind},
		{"reserved category 0xD", &messages.Append{Coordinate: c, Kind: 0xD123}, messages.ErrReservedKind},
		{"payload over the limit", &messages.Append{Coordinate: c, Kind: kind, Payload: make([]byte, 4<<20+1)}, messages.ErrPayloadTooLarge},
		{"unknown expected mode", &messages.Append{Coordinate: c, Kind: kind, Expected: messages.ExpectedVersion{Mode: 9}}, messages.ErrInvalidArgument},
		{"nil append", (*messages.Append)(nil), messages.ErrInvalidArgument},
		{"nil batch", (*messages.AppendBatch)(nil), messages.ErrInvalidArgument},
		{"batch over the item count", &messages.AppendBatch{Items: many}, messages.ErrInvalidBatch},
		{"batch over the byte limit", &messages.AppendBatch{Items: []messages.BatchItem{
			item(func(it *messages.BatchItem) { it.Payload = make([]byte, 4<<20) }),
			item(func(it *messages.BatchItem) { it.Payload = make([]byte, 4<<20) }),
			item(func(it *messages.BatchItem) { it.Payload = make([]byte, 4<<20) }),
			item(func(it *messages.BatchItem) { it.Payload = make([]byte, 4<<20) }),
			item(func(it *messages.BatchItem) { it.Payload = make([]byte, 1) }),
		}}, messages.ErrInvalidBatch},
		{"forward causation", &messages.AppendBatch{Items: []messages.BatchItem{
			item(func(it *messages.BatchItem) { it.Causation = messages.CausedByItem(1) }), item(func(*messages.BatchItem) {}),
		}}, messages.ErrInvalidBatch},
		{"unknown expected-version mode in a batch", &messages.AppendBatch{Items: []messages.BatchItem{
			item(func(it *messages.BatchItem) { it.Expected = messages.ExpectedVersion{Mode: 200} }),
		}}, messages.ErrInvalidBatch},
		{"bad coordinate in a batch", &messages.AppendBatch{Items: []messages.BatchItem{
			item(func(it *messages.BatchItem) { it.Coordinate.Entity = "" }),
		}}, messages.ErrInvalidCoordinate},
	}
}

func it2(it *messages.BatchItem) *messages.BatchItem { return it }

// Every hostile request gets its typed error at every door (the Go API and
// a raw actor request), nothing is written, nothing committed is lost, and
// no goroutine is left behind once the store and the system are shut down.
func TestHostileInputThroughEveryDoor(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	sys := quietSystem()
	dir := t.TempDir()
	s, err := Spawn(sys, Config{Dir: dir})
	require.NoError(t, err)
	kept, err := s.Append(ctx(t), &messages.Append{Coordinate: coord("ok"), Kind: kind, Payload: []byte("kept")})
	require.NoError(t, err)
	atLimit, err := s.Append(ctx(t), &messages.Append{Coordinate: coord("ok"), Kind: kind, Payload: make([]byte, 4<<20)})
	require.NoError(t, err, "a payload exactly at the limit is fine")

	for _, h := range hostileInputs() {
		t.Run(h.name+"/go-api", func(t *testing.T) {
			var err error
			switch m := h.msg.(type) {
			case *messages.Append:
				_, err = s.Append(ctx(t), m)
			case *messages.AppendBatch:
				_, err = s.AppendBatch(ctx(t), m)
			}
			require.ErrorIs(t, err, h.want)
		})
		t.Run(h.name+"/actor-request", func(t *testing.T) {
			res, err := sys.Root.RequestFuture(s.Writer(), h.msg, 10*time.Second).Result()
			require.NoError(t, err, "answered, not timed out")
			switch r := res.(type) {
			case *messages.AppendReply:
				require.ErrorIs(t, r.Err(), h.want)
			case *messages.AppendBatchReply:
				require.ErrorIs(t, r.Err(), h.want)
			default:
				t.Fatalf("reply %T", res)
			}
		})
	}
	for _, pid := range []*actor.PID{s.Writer(), s.Fanout(), s.Supervisor()} {
		for _, msg := range []any{"text", 42, struct{}{}, nil, &messages.Receipt{}} {
			res, err := sys.Root.RequestFuture(pid, msg, 10*time.Second).Result()
			require.NoError(t, err, "%s answers %T", pid.Id, msg)
			r, ok := res.(*messages.ErrorReply)
			require.True(t, ok, "%s answers %T with %T", pid.Id, msg, res)
			require.ErrorIs(t, r.Err(), messages.ErrUnknownMessage)
		}
	}
	st, err := s.Stats()
	require.NoError(t, err)
	require.Equal(t, 2, st.Events, "nothing hostile was written")

	require.NoError(t, s.Close(ctx(t)))
	_, err = s.Append(ctx(t), &messages.Append{Coordinate: coord("ok"), Kind: kind})
	require.ErrorIs(t, err, messages.ErrClosed, "requests after Close")
	_, err = s.AppendBatch(ctx(t), &messages.AppendBatch{Items: []messages.BatchItem{{Coordinate: coord("ok"), Kind: kind}}})
	require.ErrorIs(t, err, messages.ErrClosed)
	sys.Shutdown()

	e, err := storage.Open(dir, storage.Options{})
	require.NoError(t, err)
	defer e.Close()
	for _, r := range []messages.Receipt{kept, atLimit} {
		ev, err := e.Get(r.EventID)
		require.NoError(t, err)
		require.Equal(t, r.Hash, ev.Hash)
	}
}

func TestSpawnOnBadDirectories(t *testing.T) {
	sys := quietSystem()
	defer sys.Shutdown()
	t.Run("held by another store", func(t *testing.T) {
		dir := t.TempDir()
		s, err := Spawn(sys, Config{Dir: dir, Name: "first"})
		require.NoError(t, err)
		defer s.Close(context.Background())
		_, err = Spawn(sys, Config{Dir: dir, Name: "second"})
		require.ErrorIs(t, err, storage.ErrLocked)
	})
	t.Run("no permission (file system says EACCES)", func(t *testing.T) {
		faulty := fs.NewFaulty(fs.NewMem())
		faulty.FailFrom(1, syscall.EACCES)
		_, err := Spawn(sys, Config{Dir: "/data", Name: "eacces", Storage: storage.Options{FS: faulty}})
		require.ErrorIs(t, err, messages.ErrIO)
		require.ErrorIs(t, err, syscall.EACCES)
	})
	t.Run("no permission (real directory)", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root ignores directory permissions; the EACCES case above covers the error path")
		}
		parent := filepath.Join(t.TempDir(), "locked")
		require.NoError(t, os.Mkdir(parent, 0o500))
		_, err := Spawn(sys, Config{Dir: filepath.Join(parent, "data"), Name: "perm"})
		require.ErrorIs(t, err, messages.ErrIO)
	})
	t.Run("corrupt segment", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "0000000001.seg"), []byte(strings.Repeat("garbage!", 8)), 0o600))
		_, err := Spawn(sys, Config{Dir: dir, Name: "corrupt"})
		var ce *storage.CorruptionError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, uint64(1), ce.Segment)
	})
	t.Run("empty Dir", func(t *testing.T) {
		_, err := Spawn(sys, Config{Name: "nodir"})
		require.ErrorIs(t, err, messages.ErrInvalidArgument)
	})
}

// A full disk under load: appends fail with a typed error, the writer
// restarts, and nothing acknowledged is lost.
func TestFullDisk(t *testing.T) {
	mem := fs.NewMem()
	faulty := fs.NewFaulty(mem)
	sys := quietSystem()
	defer sys.Shutdown()
	s, err := Spawn(sys, Config{Dir: "/data", Storage: storage.Options{FS: faulty}})
	require.NoError(t, err)
	var acked []messages.Receipt
	for i := 0; i < 5; i++ {
		r, err := s.Append(ctx(t), &messages.Append{Coordinate: coord("e"), Kind: kind, Payload: []byte("before")})
		require.NoError(t, err)
		acked = append(acked, r)
	}
	faulty.FailFrom(1, syscall.ENOSPC) // the disk is full from now on
	_, err = s.Append(ctx(t), &messages.Append{Coordinate: coord("e"), Kind: kind, Payload: []byte("no room")})
	// The dead disk also refuses the cut of what the failed write may have
	// left, so the outcome is unknown (and said so), with the cause's text.
	require.ErrorIs(t, err, messages.ErrOutcomeUnknown, "the code travels in the reply")
	require.Contains(t, err.Error(), "no space left on device", "and the cause's text")
	// The writer cannot reopen on a full disk: it stops, and says so at once.
	require.Eventually(t, func() bool { return s.sh.stopped.Load() != nil }, 5*time.Second, time.Millisecond)
	_, err = s.Append(ctx(t), &messages.Append{Coordinate: coord("e"), Kind: kind})
	require.ErrorIs(t, err, messages.ErrWriterStopped)

	faulty.Reset()
	e, err := storage.Open("/data", storage.Options{FS: mem.CrashClean()})
	require.NoError(t, err)
	defer e.Close()
	for _, r := range acked {
		_, err := e.Get(r.EventID)
		require.NoError(t, err, "acknowledged before the disk filled")
	}
}

// A write that fails once (the disk recovers): the failed group is cut
// before its caller is answered, so ErrIO means nothing of it was written,
// now and after a reopen; the writer restarts and takes appends again.
func TestFailedWriteIsCutBeforeTheReply(t *testing.T) {
	mem := fs.NewMem()
	faulty := fs.NewFaulty(mem)
	sys := quietSystem()
	defer sys.Shutdown()
	s, err := Spawn(sys, Config{Dir: "/data", Storage: storage.Options{FS: faulty, Preallocate: -1}, Policy: supervision.Bounded(5, time.Minute)})
	require.NoError(t, err)
	kept, err := s.Append(ctx(t), &messages.Append{Coordinate: coord("e"), Kind: kind, Payload: []byte("before")})
	require.NoError(t, err)
	faulty.SetPartialWrites(true)
	faulty.FailAt(1, syscall.EIO) // the group's write: half of it reaches the file
	_, err = s.Append(ctx(t), &messages.Append{Coordinate: coord("e"), Kind: kind, Payload: []byte("torn write")})
	require.ErrorIs(t, err, messages.ErrIO)
	require.Contains(t, err.Error(), "nothing of this request was written")
	// Whatever happens next (here: the process dies), the failed write is gone.
	e, err := storage.Open("/data", storage.Options{FS: mem.CrashClean()})
	require.NoError(t, err)
	require.Equal(t, 1, e.Stats().Events)
	_, err = e.Get(kept.EventID)
	require.NoError(t, err)
	require.NoError(t, e.Close())
}
