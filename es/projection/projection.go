package projection

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/internal/catchup"
	"github.com/batpak-go/batpak/es/internal/checkpoint"
	"github.com/batpak-go/batpak/messages"
)

// Projection is a running live projection: an actor subscribed to the
// store that keeps a state of type S current, checkpoints it, and answers
// Query messages. Its methods are safe for concurrent use.
type Projection[S any] struct {
	pid      *actor.PID
	sys      *actor.ActorSystem
	core     *core[S]
	recovery Recovery
}

// Recovery says where a projection started.
type Recovery struct {
	// Resumed is true when it started from its checkpoint.
	Resumed bool
	// From is the first sequence it read from the log (the checkpoint's
	// Next, or 0).
	From uint64
	// Ignored is why a checkpoint that was there was not used (the state
	// was rebuilt from sequence 0): an error matching messages.ErrCorrupt
	// for a damaged file, ErrCheckpointMismatch for one that does not fit
	// this log or this state's Type, or the Codec's error. nil otherwise.
	Ignored error
}

// ErrCheckpointMismatch is matched by Recovery.Ignored when a checkpoint
// does not fit: another Type, a position past the log's end, or a last
// event the log does not hold at that sequence (a checkpoint of another
// store).
var ErrCheckpointMismatch = errors.New("batpak projection: checkpoint does not fit")

// Spawn starts a live projection of store. It loads the checkpoint
// (cfg.Dir), checks it against the log, and subscribes from its position:
// the actor first reads the log from there (from 0 without a checkpoint)
// up to the present, then applies live notifications; gaps, writer
// restarts and its own panics are covered by its actors.Cursor, so every
// matching event is applied exactly once, in order. The catch-up goes in
// steps of a few milliseconds, and the actor answers the queries that
// arrive meanwhile between two steps, with the state as of the last one
// (a WaitFor returns as soon as its event is applied, a deadline is
// answered on time), while it goes on reading. A checkpoint is
// written every cfg.Every events, cfg.Interval after a change, and when
// the actor stops (Stop, or its parent stopping). A corrupt or unfitting
// checkpoint is never trusted: the state is rebuilt from the log, and
// Recovery says why (also logged at Warn).
func Spawn[S any](store *actors.Store, cfg Config[S]) (*Projection[S], error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &core[S]{cfg: cfg, store: store, ckpt: checkpoint.New(nil, cfg.Dir), steps: catchup.Steps{Limits: stepLimits}, clone: cfg.cloner(), state: cfg.Initial()}
	rec := c.load()
	if rec.Ignored != nil {
		cfg.Logger.Warn("batpak projection: checkpoint ignored, rebuilding from the log",
			"projection", cfg.Name, "err", rec.Ignored)
	}
	c.cur = store.NewCursorFrom(cfg.Filter, rec.From)
	c.pos.Store(rec.From)
	spawner := cfg.Spawner
	if spawner == nil {
		spawner = store.System().Root
	}
	pid, _, err := store.SubscribeFrom(spawner, actor.PropsFromProducer(func() actor.Actor { return &projector[S]{c: c} }),
		cfg.Filter, cfg.Capacity)
	if err != nil {
		return nil, fmt.Errorf("batpak projection %s: %w", cfg.Name, err)
	}
	c.self = pid
	return &Projection[S]{pid: pid, sys: store.System(), core: c, recovery: rec}, nil
}

// PID returns the projection actor's PID, for Query requests from actors.
func (p *Projection[S]) PID() *actor.PID { return p.pid }

// Recovery says where the projection started.
func (p *Projection[S]) Recovery() Recovery { return p.recovery }

// Position returns the first sequence the state does not reflect, without
// asking the actor (for gauges: the log's next sequence minus Position is
// the projection's lag).
func (p *Projection[S]) Position() uint64 { return p.core.pos.Load() }

// Checkpoints returns how many checkpoints have been written.
func (p *Projection[S]) Checkpoints() int64 { return p.core.written.Load() }

// State returns a copy of the state and Next, the first sequence it does
// not reflect.
func (p *Projection[S]) State(ctx context.Context) (S, uint64, error) {
	return p.ask(ctx, Query{})
}

// WaitFor returns the state once it reflects the event of sequence seq (a
// receipt's Sequence: read your own write), or the state it has with a
// *TimeoutError when ctx's deadline (5 s without one) comes first. A
// cancelled ctx ends the wait with ctx's error.
func (p *Projection[S]) WaitFor(ctx context.Context, seq uint64) (S, uint64, error) {
	return p.ask(ctx, Query{AtLeast: seq + 1})
}

func (p *Projection[S]) ask(ctx context.Context, q Query) (S, uint64, error) {
	var zero S
	q.Timeout = 5 * time.Second
	if d, ok := ctx.Deadline(); ok {
		q.Timeout = max(time.Until(d), time.Millisecond)
	}
	if cancelled(ctx) {
		return zero, 0, fmt.Errorf("batpak projection: query: %w", ctx.Err())
	}
	f := p.sys.Root.RequestFuture(p.pid, &q, q.Timeout+5*time.Second)
	type answer struct {
		res any
		err error
	}
	ch := make(chan answer, 1)
	go func() { // ends when the future does (its timeout bounds it)
		res, err := f.Result()
		ch <- answer{res, err}
	}()
	var a answer
	select {
	case a = <-ch:
	case <-ctx.Done():
		if cancelled(ctx) {
			return zero, 0, fmt.Errorf("batpak projection: query: %w", ctx.Err())
		}
		a = <-ch // the deadline: the actor answers with its state and a *TimeoutError
	}
	if a.err != nil {
		return zero, 0, fmt.Errorf("batpak projection: query: %w", a.err)
	}
	res := a.res
	r, ok := res.(*Reply[S])
	if !ok {
		return zero, 0, fmt.Errorf("batpak projection: unexpected reply %T: %w", res, messages.ErrUnknownMessage)
	}
	return r.State, r.Next, r.Err()
}

// cancelled reports whether ctx ended by cancellation (not by its
// deadline, which the actor answers itself).
func cancelled(ctx context.Context) bool {
	return ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded)
}

// Stop stops the projection's actor; it writes its checkpoint first.
// It returns the error of that checkpoint, if it failed.
// Stopping a stopped projection does nothing.
func (p *Projection[S]) Stop(ctx context.Context) error {
	if p.core.stopCalled.Swap(true) {
		return nil
	}
	f := p.sys.Root.StopFuture(p.pid)
	done := make(chan error, 1)
	go func() { done <- f.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return err
		}
	case <-ctx.Done():
		return ctx.Err()
	}
	if e := p.core.lastErr.Load(); e != nil {
		return *e
	}
	return nil
}

// load reads the checkpoint and checks it against the log. It sets the
// state and returns where to start.
func (c *core[S]) load() Recovery {
	if c.cfg.Dir == "" {
		return Recovery{}
	}
	r, found, err := c.ckpt.Load(c.cfg.Name)
	if err != nil || !found {
		return Recovery{Ignored: err}
	}
	if err := c.fits(r); err != nil {
		return Recovery{Ignored: err}
	}
	s, err := c.cfg.Codec.Decode(r.State)
	if err != nil {
		return Recovery{Ignored: fmt.Errorf("batpak projection: decode the checkpoint's state: %w", err)}
	}
	c.state, c.last, c.lastSeq = s, r.Last, r.LastSeq
	return Recovery{Resumed: true, From: r.Next}
}

// fits reports why r does not belong to this projection of this log.
func (c *core[S]) fits(r checkpoint.Record) error {
	if r.Type != c.cfg.Type {
		return fmt.Errorf("type %q, want %q: %w", r.Type, c.cfg.Type, ErrCheckpointMismatch)
	}
	st, err := c.store.Stats()
	if err != nil {
		return err
	}
	if r.Next > st.NextSequence {
		return fmt.Errorf("position %d past the log's end %d: %w", r.Next, st.NextSequence, ErrCheckpointMismatch)
	}
	if r.Last.IsZero() {
		return nil
	}
	ev, err := c.store.Get(r.Last)
	if err != nil || ev.Sequence != r.LastSeq || r.LastSeq >= r.Next {
		return fmt.Errorf("last event %s at %d not in the log there: %w", r.Last, r.LastSeq, ErrCheckpointMismatch)
	}
	return nil
}
