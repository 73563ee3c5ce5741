package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/command"
	"github.com/batpak-go/batpak/es/projection"
	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
)

// demo is one run: the actor system, the store and the demo's actors.
type demo struct {
	sys      *actor.ActorSystem
	store    *actors.Store
	stage    *stage // the store as the order commands see it
	tel      *telemetry
	reg      *typed.Registry
	orders   *command.Handler[Order, PlaceOrder]
	totals   *projection.Projection[Totals]
	reactors []namedReactor
	ckpt     string // the checkpoints' directory
	n        int    // orders written in all
	retries  atomic.Int64

	auditor, mailer chan tally
	halfway         chan struct{}
	halfOnce        sync.Once
	errs            chan error
}

// newSystem is an actor system that logs warnings and errors only.
func newSystem() *actor.ActorSystem {
	return actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}))
}

func start(dir string, tel *telemetry, orders int) (*demo, error) {
	sys := newSystem()
	reg := newRegistry()
	store, err := actors.Spawn(sys, actors.Config{
		Dir: dir, Policy: supervision.Bounded(3, time.Minute),
		Storage:        storage.Options{SegmentSize: 64 << 10, Gates: orderLimit(reg)},
		TracerProvider: tel.tp, MeterProvider: tel.mp,
		KindName: reg.Name, // spans name each event's kind
	})
	if err != nil {
		sys.Shutdown()
		return nil, err
	}
	d := &demo{sys: sys, store: store, stage: &stage{Store: store}, tel: tel, reg: reg, n: orders,
		ckpt: filepath.Join(dir, checkpointsDir), auditor: make(chan tally, 1), mailer: make(chan tally, 1),
		halfway: make(chan struct{}), errs: make(chan error, 16)}
	if err := d.spawn(); err != nil {
		return nil, errors.Join(err, d.stop(context.Background()))
	}
	return d, nil
}

// spawn starts the order commands, the totals projection, the reactors
// and the two hand-written subscribers: an auditor that sees every event
// and a slow mailer whose bounded queue overflows (it gets a gap and
// catches up from the log).
func (d *demo) spawn() (err error) {
	if d.orders, err = command.New(d.stage, orderDecider(d.reg), command.Options{MaxAttempts: 3}); err != nil {
		return err
	}
	if d.totals, err = spawnTotals(d.store, d.reg, d.ckpt); err != nil {
		return err
	}
	if d.reactors, err = startReactors(d.store, d.reg, d.ckpt); err != nil {
		return err
	}
	subs := []struct {
		f   storage.Filter
		cap int
		a   func(*actors.Cursor) actor.Actor
	}{
		{storage.Filter{}, 0, func(c *actors.Cursor) actor.Actor {
			return &watcher{d: d, cursor: c, want: 3 * d.n, done: d.auditor}
		}},
		{storage.Filter{Kinds: []messages.EventKind{stockReserved}}, 4, func(c *actors.Cursor) actor.Actor {
			return &watcher{d: d, cursor: c, delay: 3 * time.Millisecond, want: d.n, done: d.mailer}
		}},
	}
	for _, s := range subs {
		c := d.store.NewCursor(s.f)
		mk := s.a
		if _, _, err := d.store.Subscribe(actor.PropsFromProducer(func() actor.Actor { return mk(c) }), s.f, s.cap); err != nil {
			return err
		}
	}
	return nil
}

func (d *demo) fail(err error) {
	select {
	case d.errs <- err:
	default:
	}
}

// progress is told how many events the auditor has seen.
func (d *demo) progress(seen int) {
	if seen >= d.n {
		d.halfOnce.Do(func() { close(d.halfway) })
	}
}

// play has the desks place their orders; halfway it crashes the writer
// with the late order in its hands, races two desks for one order and has
// the gate refuse one; then it waits until every saga is complete and
// every subscriber has seen all it should.
func (d *demo) play(ctx context.Context, w io.Writer) error {
	placed := d.n - 2 // the late and the phoned orders are the scenes'
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
	for _, scene := range []func(context.Context, io.Writer) error{d.crash, d.race, d.refuse} {
		if err := scene(ctx, w); err != nil {
			return err
		}
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
		3*d.n, d.n, mailer.gaps, mailer.caughtUp)
	return nil
}

// report prints the summary (the store's figures, and the totals the
// live projection folded), checks every hash chain, and walks one saga
// backward (Ancestors) and forward (Descendants).
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
	var rs []string
	for _, r := range d.reactors {
		s := r.Stats()
		rs = append(rs, fmt.Sprintf("%s wrote %d (%d failed append(s) retried)", r.name, s.Written, s.Failures))
	}
	fmt.Fprintf(w, "reactors: %s\n", strings.Join(rs, ", "))
	if err := d.tell(ctx, w, st.NextSequence); err != nil {
		return err
	}
	fmt.Fprintf(w, "hash chains verified: %d streams, %d events\n", rep.Streams, rep.Events)
	return d.saga(w)
}

// tell prints the totals once the projection reflects the whole log, then
// stops it (it writes its checkpoint) and spawns it again: it resumes from
// the checkpoint with the same totals.
func (d *demo) tell(ctx context.Context, w io.Writer, next uint64) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second) // a busy machine; the default is 5 s
	defer cancel()
	t, at, err := d.totals.WaitFor(ctx, next-1)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "totals (live projection at position %d): %s\n", at, t)
	if err := d.totals.Stop(ctx); err != nil {
		return err
	}
	if d.totals, err = spawnTotals(d.store, d.reg, d.ckpt); err != nil {
		return err
	}
	again, from, err := d.totals.State(ctx)
	if err != nil {
		return err
	}
	rec := d.totals.Recovery()
	if !rec.Resumed || again != t {
		return fmt.Errorf("the totals projection did not resume from its checkpoint: %+v, %v", rec, again)
	}
	fmt.Fprintf(w, "totals stopped (checkpoint %s) and spawned again: resumed from position %d, the same totals\n",
		filepath.Join(d.ckpt, "totals.ckpt"), from)
	return nil
}

// saga prints the first order's saga, its mail's causes and what the
// order caused.
func (d *demo) saga(w io.Writer) error {
	orders, err := d.store.Query(storage.Filter{Kinds: []messages.EventKind{orderPlaced}, Limit: 1})
	if err != nil || len(orders) == 0 {
		return fmt.Errorf("no order found: %v", err)
	}
	order := orders[0]
	saga, err := d.store.ByCorrelation(order.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "saga of %s:\n", order.Coordinate.Entity)
	for _, ev := range saga {
		v, err := typed.Decode(d.reg, ev)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  seq=%-3d %-13s v%d %-19s cause=%-8.8s %+v\n", ev.Sequence, ev.Coordinate.Entity, ev.Version, d.reg.Name(ev.Kind), cause(ev), v)
	}
	anc, err := d.store.Ancestors(saga[len(saga)-1].ID, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "the mail's causes, nearest first (Ancestors):%s\n", entities(anc))
	desc, err := d.store.Descendants(order.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "what %s caused, in order (Descendants):%s\n", order.Coordinate.Entity, entities(desc))
	return nil
}

// cause is the short form of an event's causation id, "-" for none.
func cause(ev messages.Event) string {
	if ev.CausationID.IsZero() {
		return "-"
	}
	return ev.CausationID.String()
}

// entities lists the events' entities, each after a space.
func entities(evs []messages.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		b.WriteString(" " + ev.Coordinate.Entity)
	}
	return b.String()
}

func (d *demo) stop(ctx context.Context) error {
	defer d.sys.Shutdown()
	var errs []error
	for _, r := range d.reactors {
		errs = append(errs, r.Stop(ctx)) // each writes its checkpoint
	}
	if d.totals != nil {
		errs = append(errs, d.totals.Stop(ctx))
	}
	// Export the running store's metrics (its gauges end with it) before
	// closing it; a collector that does not answer gets 10 s.
	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return errors.Join(append(errs, d.tel.mp.ForceFlush(flushCtx), d.store.Close(ctx))...)
}
