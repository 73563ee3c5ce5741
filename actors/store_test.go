package actors

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

var kind = messages.MustKind(1, 1)

func coord(e string) messages.Coordinate { return messages.Coordinate{Entity: e, Scope: "test"} }

type fixture struct {
	sys      *actor.ActorSystem
	store    *Store
	dir      string
	recorder *tracetest.SpanRecorder
}

func spawn(t *testing.T, cfg Config) *fixture {
	t.Helper()
	f := &fixture{sys: quietSystem(), dir: t.TempDir(), recorder: tracetest.NewSpanRecorder()}
	cfg.Dir = f.dir
	cfg.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(f.recorder))
	s, err := Spawn(f.sys, cfg)
	require.NoError(t, err)
	f.store = s
	t.Cleanup(func() {
		s.Close(context.Background())
		f.sys.Shutdown()
	})
	return f
}

// quietSystem is an actor system that logs only warnings and errors (the
// injected panics are logged at Info by protoactor).
func quietSystem() *actor.ActorSystem {
	return actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}))
}

func ctx0() context.Context { return context.Background() }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestAppendAndReadThroughTheStore(t *testing.T) {
	f := spawn(t, Config{})
	r, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("order/1"), Kind: kind, Payload: []byte("placed"), Expected: messages.NoStream()})
	require.NoError(t, err)
	ev, err := f.store.Get(r.EventID)
	require.NoError(t, err)
	require.Equal(t, "placed", string(ev.Payload))

	_, err = f.store.Append(ctx(t), &messages.Append{Coordinate: coord("order/1"), Kind: kind, Expected: messages.NoStream()})
	require.ErrorIs(t, err, messages.ErrVersionConflict, "CAS through the actor")

	key := messages.NewID()
	a := &messages.Append{Coordinate: coord("order/1"), Kind: kind, IdempotencyKey: key, Expected: messages.Exactly(1)}
	first, err := f.store.Append(ctx(t), a)
	require.NoError(t, err)
	again, err := f.store.Append(ctx(t), a)
	require.NoError(t, err, "a retry with a stale expected version still gets the original receipt")
	require.True(t, again.Replayed)
	require.Equal(t, first.EventID, again.EventID)

	rs, err := f.store.AppendBatch(ctx(t), &messages.AppendBatch{Items: []messages.BatchItem{
		{Coordinate: coord("a"), Kind: kind}, {Coordinate: coord("b"), Kind: kind, Causation: messages.CausedByItem(0)},
	}})
	require.NoError(t, err)
	require.Len(t, rs, 2)
	anc, err := f.store.Ancestors(rs[1].EventID, 0)
	require.NoError(t, err)
	require.Len(t, anc, 1)

	_, err = f.store.Append(ctx(t), &messages.Append{Coordinate: coord(""), Kind: kind})
	require.ErrorIs(t, err, messages.ErrInvalidCoordinate)
	_, err = f.store.Append(ctx(t), &messages.Append{Coordinate: coord("x"), Kind: messages.KindBatchBegin})
	require.ErrorIs(t, err, messages.ErrReservedKind)
	rep, err := f.store.Verify()
	require.NoError(t, err)
	require.Equal(t, 4, rep.Events)
}

func TestUnknownMessagesGetAnErrorReply(t *testing.T) {
	f := spawn(t, Config{})
	for _, msg := range []any{"hello", &struct{ X int }{1}, 42} {
		res, err := f.sys.Root.RequestFuture(f.store.Writer(), msg, 5*time.Second).Result()
		require.NoError(t, err)
		r, ok := res.(*messages.ErrorReply)
		require.True(t, ok, "%T", res)
		require.ErrorIs(t, r.Err(), messages.ErrUnknownMessage)
	}
	_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("still"), Kind: kind})
	require.NoError(t, err, "the writer is unharmed")
}

// producer is an application actor that appends n events to the writer
// with ctx.Request and reports every reply.
type producer struct {
	writer  *actor.PID
	entity  string
	n       int
	replies chan<- *messages.AppendReply
}

func (p *producer) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		for i := 0; i < p.n; i++ {
			ctx.Request(p.writer, &messages.Append{Coordinate: coord(p.entity), Kind: kind, Payload: []byte(fmt.Sprint(i))})
		}
	case *messages.AppendReply:
		p.replies <- m
	}
}

func TestManyActorsAppendConcurrently(t *testing.T) {
	f := spawn(t, Config{})
	const actors, each = 16, 40
	replies := make(chan *messages.AppendReply, actors*each)
	for i := 0; i < actors; i++ {
		entity := fmt.Sprintf("e%d", i)
		f.sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
			return &producer{writer: f.store.Writer(), entity: entity, n: each, replies: replies}
		}))
	}
	seqs := map[uint64]bool{}
	for i := 0; i < actors*each; i++ {
		select {
		case r := <-replies:
			require.NoError(t, r.Err())
			require.False(t, seqs[r.Receipt.Sequence], "sequences are unique")
			seqs[r.Receipt.Sequence] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of %d replies", i, actors*each)
		}
	}
	st, err := f.store.Stats()
	require.NoError(t, err)
	require.Equal(t, actors*each, st.Events)
	for i := 0; i < actors; i++ {
		evs, err := f.store.Stream(coord(fmt.Sprintf("e%d", i)), 1)
		require.NoError(t, err)
		require.Len(t, evs, each)
		for j, ev := range evs {
			require.Equal(t, fmt.Sprint(j), string(ev.Payload), "each actor's appends stay in order")
		}
	}
}

// crashUnderLoad fires appends from many goroutines, makes the writer panic
// in the middle, and checks every caller got a receipt or a typed error.
func crashUnderLoad(t *testing.T, f *fixture, crashes int) (receipts []messages.Receipt, errs []error) {
	const callers, each = 8, 25
	var mu sync.Mutex
	var wg sync.WaitGroup
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				r, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord(fmt.Sprintf("c%d", c)), Kind: kind, Payload: []byte("x")})
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					receipts = append(receipts, r)
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < crashes; i++ {
		f.sys.Root.Send(f.store.Writer(), &faults.Panic{Reason: fmt.Sprintf("injected %d", i)})
	}
	wg.Wait()
	return receipts, errs
}

func TestPanicUnderLoadWithOnce(t *testing.T) {
	f := spawn(t, Config{Policy: supervision.Once()})
	receipts, errs := crashUnderLoad(t, f, 1)
	for _, err := range errs {
		require.ErrorIs(t, err, messages.ErrWriterCrashed, "only the group in flight fails")
	}
	require.Equal(t, 200, len(receipts)+len(errs), "every caller got an answer")
	require.Equal(t, 1, f.store.Restarts())
	for _, r := range receipts {
		ev, err := f.store.Get(r.EventID)
		require.NoError(t, err)
		require.Equal(t, r.Sequence, ev.Sequence)
	}
	// The second panic spends the budget: requests fail at once from then on.
	f.sys.Root.Send(f.store.Writer(), &faults.Panic{Reason: "second"})
	require.Eventually(t, func() bool { return f.store.sh.stopped.Load() != nil }, 5*time.Second, time.Millisecond)
	start := time.Now()
	_, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("late"), Kind: kind})
	require.ErrorIs(t, err, messages.ErrWriterStopped)
	res, err := f.sys.Root.RequestFuture(f.store.Writer(), &messages.Append{Coordinate: coord("late"), Kind: kind}, 5*time.Second).Result()
	require.NoError(t, err, "the writer's PID still answers")
	require.ErrorIs(t, res.(*messages.AppendReply).Err(), messages.ErrWriterStopped)
	require.Less(t, time.Since(start), 2*time.Second)

	// Every acknowledged event survives a reopen.
	require.NoError(t, f.store.Close(ctx(t)))
	e, err := storage.Open(f.dir, storage.Options{})
	require.NoError(t, err)
	defer e.Close()
	for _, r := range receipts {
		ev, err := e.Get(r.EventID)
		require.NoError(t, err)
		require.Equal(t, r.Hash, ev.Hash)
	}
	_, err = e.Verify()
	require.NoError(t, err)
}

func TestPanicsWithBoundedThenStop(t *testing.T) {
	f := spawn(t, Config{Policy: supervision.Bounded(2, time.Minute)})
	receipts, errs := crashUnderLoad(t, f, 2)
	require.Equal(t, 200, len(receipts)+len(errs))
	for _, err := range errs {
		require.ErrorIs(t, err, messages.ErrWriterCrashed)
	}
	require.Eventually(t, func() bool { return f.store.Restarts() == 2 }, 5*time.Second, time.Millisecond)
	require.Nil(t, f.store.sh.stopped.Load())
	f.sys.Root.Send(f.store.Writer(), &faults.Panic{Reason: "third"})
	require.Eventually(t, func() bool { return f.store.sh.stopped.Load() != nil }, 5*time.Second, time.Millisecond)

	var restarts, stops int
	for _, s := range f.recorder.Ended() {
		switch s.Name() {
		case supervision.SpanRestart:
			restarts++
			attrs := map[attribute.Key]attribute.Value{}
			for _, kv := range s.Attributes() {
				attrs[kv.Key] = kv.Value
			}
			require.Equal(t, "bounded(2 within 1m0s)", attrs["batpak.policy"].AsString())
			// A fresh segment: a new file, after the old one (whose id is reused
			// only when the old one held nothing and was removed on close).
			require.GreaterOrEqual(t, attrs["batpak.segment.new"].AsInt64(), attrs["batpak.segment.old"].AsInt64())
			require.Positive(t, attrs["batpak.segment.old"].AsInt64())
		case supervision.SpanStopped:
			stops++
		}
	}
	require.Equal(t, 2, restarts)
	require.Equal(t, 1, stops)
}

func TestCloseCommitsAndRefusesLaterRequests(t *testing.T) {
	f := spawn(t, Config{})
	r, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord("e"), Kind: kind, Payload: []byte("kept")})
	require.NoError(t, err)
	require.NoError(t, f.store.Close(ctx(t)))
	_, err = f.store.Append(ctx(t), &messages.Append{Coordinate: coord("e"), Kind: kind})
	require.ErrorIs(t, err, messages.ErrClosed)
	require.ErrorIs(t, f.store.Close(ctx(t)), messages.ErrClosed)
	e, err := storage.Open(f.dir, storage.Options{})
	require.NoError(t, err, "the directory lock was released")
	defer e.Close()
	ev, err := e.Get(r.EventID)
	require.NoError(t, err)
	require.Equal(t, "kept", string(ev.Payload))
}

func TestSpawnFailsOnALockedDirectory(t *testing.T) {
	f := spawn(t, Config{})
	_, err := Spawn(f.sys, Config{Dir: f.dir, Name: "second"})
	require.ErrorIs(t, err, storage.ErrLocked)
}
