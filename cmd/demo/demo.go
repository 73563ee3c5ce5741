package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/actors/actorstest"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
	"go.opentelemetry.io/otel/propagation"
)

// demo is one run: the actor system, the store and the demo's actors.
type demo struct {
	sys     *actor.ActorSystem
	store   *actors.Store
	tel     *telemetry
	orders  int
	acked   atomic.Int64
	retries atomic.Int64

	auditor, mailer chan tally
	halfway         chan struct{}
	halfOnce        sync.Once
	errs            chan error
}

func propagate(ctx context.Context, c messages.TraceCarrier) {
	propagation.TraceContext{}.Inject(ctx, c)
}

// newSystem is an actor system that logs warnings and errors only.
func newSystem() *actor.ActorSystem {
	return actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}))
}

func start(dir string, tel *telemetry, orders int) (*demo, error) {
	sys := newSystem()
	store, err := actors.Spawn(sys, actors.Config{
		Dir: dir, Policy: supervision.Bounded(3, time.Minute),
		Storage:        storage.Options{SegmentSize: 64 << 10},
		TracerProvider: tel.tp, MeterProvider: tel.mp,
	})
	if err != nil {
		sys.Shutdown()
		return nil, err
	}
	d := &demo{sys: sys, store: store, tel: tel, orders: orders, auditor: make(chan tally, 1),
		mailer: make(chan tally, 1), halfway: make(chan struct{}), errs: make(chan error, 16)}
	all := storage.Filter{}
	mails := storage.Filter{Kinds: []messages.EventKind{stockReserved}}
	triggers := storage.Filter{Kinds: []messages.EventKind{orderPlaced, stockReserved}}
	subs := []struct {
		f   storage.Filter
		cap int
		a   func(*actors.Cursor) actor.Actor
	}{
		{all, 0, func(c *actors.Cursor) actor.Actor {
			return &watcher{d: d, cursor: c, want: 3 * orders, done: d.auditor}
		}},
		{mails, 4, func(c *actors.Cursor) actor.Actor {
			return &watcher{d: d, cursor: c, delay: 3 * time.Millisecond, want: orders, done: d.mailer}
		}},
		{triggers, 0, func(c *actors.Cursor) actor.Actor { return &reactor{d: d, cursor: c} }},
	}
	for _, s := range subs {
		c := store.NewCursor(s.f)
		mk := s.a
		if _, _, err := store.Subscribe(actor.PropsFromProducer(func() actor.Actor { return mk(c) }), s.f, s.cap); err != nil {
			d.stop(context.Background())
			return nil, err
		}
	}
	return d, nil
}

func (d *demo) fail(err error) {
	select {
	case d.errs <- err:
	default:
	}
}

// progress is told how many events the auditor has seen.
func (d *demo) progress(seen int) {
	if seen >= d.orders {
		d.halfOnce.Do(func() { close(d.halfway) })
	}
}

// play places the orders, crashes the writer once halfway with an order
// in its hands, and waits until every saga is complete and every
// subscriber has seen all it should.
func (d *demo) play(ctx context.Context, w io.Writer) error {
	placed := d.orders - 1 // the last one is the late order
	per := (placed + desks - 1) / desks
	for i := 0; i < desks; i++ {
		n := max(0, min(per, placed-i*per))
		d.sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return &desk{d: d, id: i, n: n} }))
	}
	timeout := time.After(60 * time.Second)
	select {
	case <-d.halfway:
	case err := <-d.errs:
		return err
	case <-timeout:
		return fmt.Errorf("the sagas did not get halfway")
	}
	if err := d.crash(w); err != nil {
		return err
	}
	got := 0
	var mailer tally
	for got < 2 {
		select {
		case <-d.auditor:
			got++
		case mailer = <-d.mailer:
			got++
		case err := <-d.errs:
			return err
		case <-timeout:
			return fmt.Errorf("the sagas did not complete in time")
		}
	}
	fmt.Fprintf(w, "auditor saw all %d events; slow mailer saw all %d reservations after %d gap(s) (%d events read back from the log)\n",
		3*d.orders, d.orders, mailer.gaps, mailer.caughtUp)
	return nil
}

// crash makes the writer panic while it holds the late order: the writer
// is held, the order and then the panic queue behind the hold (in this
// order: one sender's messages stay in order), and the writer is let go.
// The order, answered ErrWriterCrashed, is sent again with its idempotency
// key once the writer is back. The narrator prints the crash and the
// restart as the store's spans tell them.
func (d *demo) crash(w io.Writer) error {
	entity := "order/late"
	late := &messages.Append{Coordinate: messages.Coordinate{Entity: entity, Scope: "shop"}, Kind: orderPlaced,
		Payload: []byte(`{"desk":"late","items":1}`), Expected: messages.NoStream(), IdempotencyKey: messages.KeyOf("demo order", entity)}
	fmt.Fprintf(w, "halfway: the writer is held, %s is sent, then a panic (actorstest.CrashWriter, what a test of yours can do too)\n", entity)
	release := actorstest.HoldWriter(d.store)
	first := d.sys.Root.RequestFuture(d.store.Writer(), late, 10*time.Second)
	actorstest.CrashWriter(d.store, "demo: injected writer panic")
	release()
	res, err := first.Result()
	var answer string // what the first attempt got
	for attempt := 1; ; attempt++ {
		if err != nil {
			return fmt.Errorf("%s: %w", entity, err)
		}
		reply, ok := res.(*messages.AppendReply)
		if !ok {
			return fmt.Errorf("%s: unexpected reply %T", entity, res)
		}
		switch {
		case reply.Err() == nil && answer == "":
			fmt.Fprintf(w, "%s: acknowledged before the crash (seq %d)\n", entity, reply.Receipt.Sequence)
			return nil
		case reply.Err() == nil:
			fmt.Fprintf(w, "%s: first answered %s, then sent again with its idempotency key: written once (seq %d, attempt %d)\n",
				entity, answer, reply.Receipt.Sequence, attempt)
			return nil
		case retryable(reply.Err()) && attempt < 10:
			if answer == "" {
				answer = errorName(reply.Err())
			}
			d.retries.Add(1)
			res, err = d.sys.Root.RequestFuture(d.store.Writer(), late, 10*time.Second).Result()
		default:
			return fmt.Errorf("%s: %w", entity, reply.Err())
		}
	}
}

// errorName names a retryable error.
func errorName(err error) string {
	if errors.Is(err, messages.ErrOutcomeUnknown) {
		return "ErrOutcomeUnknown"
	}
	return "ErrWriterCrashed"
}

// report prints the summary and one saga, and checks every hash chain.
func (d *demo) report(ctx context.Context, w io.Writer) error {
	st, err := d.store.Stats()
	if err != nil {
		return err
	}
	rep, err := d.store.Verify()
	if err != nil {
		return err
	}
	groups, err := d.tel.groups(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nsummary: %d events in %d streams, %d commit groups, %d writer restart(s), %d subscriber gap(s), %d retried appends\n",
		st.Events, st.Streams, groups, d.store.Restarts(), d.store.Gaps(), d.retries.Load())
	fmt.Fprintf(w, "hash chains verified: %d streams, %d events\n", rep.Streams, rep.Events)
	orders, err := d.store.Query(storage.Filter{Kinds: []messages.EventKind{orderPlaced}, Limit: 1})
	if err != nil || len(orders) == 0 {
		return fmt.Errorf("no order found: %v", err)
	}
	saga, err := d.store.ByCorrelation(orders[0].ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "saga of %s:\n", orders[0].Coordinate.Entity)
	for _, ev := range saga {
		fmt.Fprintf(w, "  seq=%-3d %-18s v%d kind=%v cause=%.8s %s\n", ev.Sequence, ev.Coordinate.Entity, ev.Version, ev.Kind, ev.CausationID, ev.Payload)
	}
	last := saga[len(saga)-1]
	anc, err := d.store.Ancestors(last.ID, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "the mail's causes, nearest first:")
	for _, ev := range anc {
		fmt.Fprintf(w, " %s", ev.Coordinate.Entity)
	}
	fmt.Fprintln(w)
	return nil
}

func (d *demo) stop(ctx context.Context) error {
	defer d.sys.Shutdown()
	// Export the running store's metrics (its gauges end with it) before
	// closing it; a collector that does not answer gets 10 s.
	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return errors.Join(d.tel.mp.ForceFlush(flushCtx), d.store.Close(ctx))
}
