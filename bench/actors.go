package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// actorsSystem is batpak through its actor runtime: actors.Spawn in a
// protoactor system; the durable-append rows are driven by requesting
// actors (ctx.Request to the writer, next request when the receipt comes),
// the other rows by goroutines calling the Store's Go API.
type actorsSystem struct {
	sys   *actor.ActorSystem
	store *actors.Store
}

func newActors() *actorsSystem { return &actorsSystem{} }

func (s *actorsSystem) Name() string       { return "batpak actors" }
func (s *actorsSystem) DurableAtAck() bool { return true }

// quietSystem is an actor system that logs only warnings and errors.
func quietSystem() *actor.ActorSystem {
	return actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}))
}

// Open spawns the store and waits until its engine answers a read.
func (s *actorsSystem) Open(dir string, _ int) error {
	s.sys = quietSystem()
	st, err := actors.Spawn(s.sys, actors.Config{Dir: dir})
	if err != nil {
		s.sys.Shutdown()
		return err
	}
	s.store = st
	if _, err := st.Stats(); err != nil {
		s.Close()
		return err
	}
	return nil
}

func (s *actorsSystem) Producer(int) Producer {
	ctx := context.Background()
	return &batpakProducer{
		append: func(a *messages.Append) (messages.Receipt, error) { return s.store.Append(ctx, a) },
		batch: func(b *messages.AppendBatch) error {
			_, err := s.store.AppendBatch(ctx, b)
			return err
		},
		versions: map[int]uint64{},
	}
}

func (s *actorsSystem) Count() (int, error) {
	st, err := s.store.Stats()
	return st.Events, err
}

func (s *actorsSystem) Fill(n int) error {
	ctx := context.Background()
	for n > 0 {
		k := min(n, 1000)
		ents := make([]int, k)
		for i := range ents {
			ents[i] = i % entities
		}
		if _, err := s.store.AppendBatch(ctx, batchItems(ents)); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

func (s *actorsSystem) ReadEntity(e int) (int, error) {
	return countEvents(s.store.ReadStream(coords[e], storage.StreamRange{}))
}

// ReadEntityBackward reads the stream from its last event to its first.
func (s *actorsSystem) ReadEntityBackward(e int) (int, error) {
	return countEvents(s.store.ReadStream(coords[e], storage.StreamRange{Backward: true}))
}

func (s *actorsSystem) Scan() (int, error) { return countEvents(s.store.Read(storage.Filter{})) }

// ScanPaged reads the whole log through the actors: ReadQuery requests to
// the store's reader, pages of readPage events, each page starting where
// the reply's Next says.
func (s *actorsSystem) ScanPaged() (int, error) {
	n, from := 0, uint64(0)
	for {
		res, err := s.sys.Root.RequestFuture(s.store.Reader(), &messages.ReadQuery{FromSeq: from, Limit: readPage},
			time.Minute).Result()
		if err != nil {
			return n, err
		}
		r, ok := res.(*messages.ReadReply)
		if !ok {
			return n, fmt.Errorf("reader answered %T", res)
		}
		if err := r.Err(); err != nil {
			return n, err
		}
		n += len(r.Events)
		if r.End {
			return n, nil
		}
		from = r.Next
	}
}

// DataBytes is the size of the store's segment files.
func (s *actorsSystem) DataBytes(dir string) (int64, error) { return segmentBytes(dir) }

func (s *actorsSystem) Close() error {
	err := s.store.Close(context.Background())
	s.sys.Shutdown()
	return err
}

// RunAppends spawns n requesting actors that append one event at a time
// until d has passed.
func (s *actorsSystem) RunAppends(ctx context.Context, n int, d time.Duration) (Result, error) {
	done := make(chan *requester, n)
	deadline := time.Now().Add(d)
	start := time.Now()
	pids := make([]*actor.PID, n)
	for i := range n {
		r := &requester{writer: s.store.Writer(), first: i * 7, deadline: deadline, ctx: ctx, done: done}
		pids[i] = s.sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return r }))
	}
	var all Latency
	events := 0
	var firstErr error
	for range n {
		r := <-done
		all.Merge(&r.lat)
		events += r.n
		if r.err != nil && firstErr == nil {
			firstErr = r.err
		}
	}
	elapsed := time.Since(start)
	var wg sync.WaitGroup
	for _, pid := range pids {
		wg.Go(func() { _ = s.sys.Root.StopFuture(pid).Wait() })
	}
	wg.Wait()
	return Result{Events: events, Elapsed: elapsed, P50: all.Percentile(0.5), P99: all.Percentile(0.99)}, firstErr
}

// requester is an application actor that appends one event at a time (the
// next request leaves when the previous receipt arrives) until its deadline.
type requester struct {
	writer   *actor.PID
	first, n int
	deadline time.Time
	ctx      context.Context
	sent     time.Time
	lat      Latency
	err      error
	done     chan<- *requester
}

func (r *requester) send(ctx actor.Context) {
	r.sent = time.Now()
	ctx.Request(r.writer, &messages.Append{Coordinate: coords[(r.first+r.n)%entities], Kind: kind, Payload: payload})
}

func (r *requester) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		r.send(ctx)
	case *messages.AppendReply:
		r.lat.Add(time.Since(r.sent))
		if m.Err() != nil {
			r.err = fmt.Errorf("append: %w", m.Err())
			r.done <- r
			return
		}
		r.n++
		if time.Now().Before(r.deadline) && r.ctx.Err() == nil {
			r.send(ctx)
		} else {
			r.done <- r
		}
	}
}
