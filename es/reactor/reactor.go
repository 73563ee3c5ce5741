// Package reactor appends reactions to committed events, exactly once: a
// reactor subscribes with a filter and, for each trigger, appends what the
// user's React returns, in one atomic batch, with the trigger's
// correlation, the trigger as causation (so the writer links the
// reaction's span to the trigger's, and Ancestors walks back along it) and
// an idempotency key derived from the reactor's name, the trigger's id and
// the reaction's name. A reactor that restarts, catches up or is killed
// mid-way therefore never writes a reaction twice (a second append of it
// is answered with the first one's receipts), and it never misses one: it
// resumes from its durable checkpoint (the first trigger not yet handled),
// and a failed append holds it at that trigger, retried by its
// actors.Cursor. It catches up on the log in steps of a few milliseconds,
// so its timer (checkpoints every Interval), a Stop and its position keep
// up during a long catch-up. It lives above the store's core packages,
// which never import it.
package reactor

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/internal/catchup"
	"github.com/batpak-go/batpak/es/internal/checkpoint"
	"github.com/batpak-go/batpak/messages"
)

// Reactor is a running reactor. Its methods are safe for concurrent use.
type Reactor struct {
	pid *actor.PID
	sys *actor.ActorSystem
	c   *core
	rec Recovery
}

// Recovery says where a reactor started.
type Recovery struct {
	// Resumed is true when it started from its checkpoint.
	Resumed bool
	// From is the first sequence it read from the log.
	From uint64
	// Ignored is why a checkpoint that was there was not used (the reactor
	// then starts from 0, and its keys keep it from writing a reaction
	// twice): an error matching messages.ErrCorrupt for a damaged file, or
	// a checkpoint that does not fit this log. nil otherwise.
	Ignored error
}

// Spawn starts a reactor on store (see the package's documentation).
func Spawn(store *actors.Store, cfg Config) (*Reactor, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &core{cfg: cfg, store: store, ckpt: checkpoint.New(nil, cfg.Dir), steps: catchup.Steps{Limits: stepLimits}}
	rec := c.load()
	if rec.Ignored != nil {
		cfg.Logger.Warn("batpak reactor: checkpoint ignored, starting from the log's beginning",
			"reactor", cfg.Name, "err", rec.Ignored)
	}
	c.cur = store.NewCursorFrom(cfg.Filter, rec.From)
	c.pos.Store(rec.From)
	spawner := cfg.Spawner
	if spawner == nil {
		spawner = store.System().Root
	}
	pid, _, err := store.SubscribeFrom(spawner, actor.PropsFromProducer(func() actor.Actor { return &reactorActor{c: c} }),
		cfg.Filter, cfg.Capacity)
	if err != nil {
		return nil, fmt.Errorf("batpak reactor %s: %w", cfg.Name, err)
	}
	return &Reactor{pid: pid, sys: store.System(), c: c, rec: rec}, nil
}

// PID returns the reactor actor's PID.
func (r *Reactor) PID() *actor.PID { return r.pid }

// Recovery says where the reactor started.
func (r *Reactor) Recovery() Recovery { return r.rec }

// Position returns the first sequence whose trigger (if it matches) is not
// handled yet.
func (r *Reactor) Position() uint64 { return r.c.pos.Load() }

// Stats counts what the reactor did since Spawn.
type Stats struct {
	// Triggers handled (their reactions durable).
	Triggers int64
	// Written reactions appended anew.
	Written int64
	// Replayed reactions found already written (by their key).
	Replayed int64
	// Failures of React or of an append (each retried).
	Failures int64
	// Checkpoints written.
	Checkpoints int64
}

// Stats returns the reactor's counts.
func (r *Reactor) Stats() Stats {
	return Stats{Triggers: r.c.triggers.Load(), Written: r.c.written.Load(), Replayed: r.c.replayed.Load(),
		Failures: r.c.failures.Load(), Checkpoints: r.c.checkpoints.Load()}
}

// Stop stops the reactor's actor; it writes its checkpoint first.
// Stopping a stopped reactor does nothing.
func (r *Reactor) Stop(ctx context.Context) error {
	if r.c.stopCalled.Swap(true) {
		return nil
	}
	f := r.sys.Root.StopFuture(r.pid)
	done := make(chan error, 1)
	go func() { done <- f.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// core outlives the actor's instances.
type core struct {
	cfg     Config
	store   *actors.Store
	ckpt    *checkpoint.Dir // cfg.Dir (unused when it is "")
	cur     *actors.Cursor
	last    messages.ID
	lastSeq uint64
	unsaved int
	dirtyAt time.Time
	ticking bool
	stopped bool
	steps   catchup.Steps

	stopCalled                                         atomic.Bool
	pos                                                atomic.Uint64
	triggers, written, replayed, failures, checkpoints atomic.Int64
}

func (c *core) load() Recovery {
	if c.cfg.Dir == "" {
		return Recovery{}
	}
	r, found, err := c.ckpt.Load(c.cfg.Name)
	if err != nil || !found {
		return Recovery{Ignored: err}
	}
	st, err := c.store.Stats()
	if err != nil {
		return Recovery{Ignored: err}
	}
	if r.Type != "batpak.reactor" || r.Next > st.NextSequence {
		return Recovery{Ignored: fmt.Errorf("batpak reactor: checkpoint at %d (type %q) does not fit a log ending at %d",
			r.Next, r.Type, st.NextSequence)}
	}
	if !r.Last.IsZero() {
		if ev, err := c.store.Get(r.Last); err != nil || ev.Sequence != r.LastSeq {
			return Recovery{Ignored: fmt.Errorf("batpak reactor: checkpoint's last trigger %s is not in the log at %d", r.Last, r.LastSeq)}
		}
	}
	c.last, c.lastSeq = r.Last, r.LastSeq
	return Recovery{Resumed: true, From: r.Next}
}

type tick struct{}

type reactorActor struct{ c *core }

// Receive implements actor.Actor.
func (a *reactorActor) Receive(ctx actor.Context) {
	c := a.c
	switch m := ctx.Message().(type) {
	case *actor.Started:
		c.steps.Resumed() // a panic may have dropped the resume message
		c.handle(ctx, m)
		if !c.ticking {
			c.ticking = true
			c.schedule(ctx)
		}
	case *messages.Subscribed, *messages.Notification, *messages.Gap:
		c.handle(ctx, m)
	case catchup.Resume:
		c.steps.Resumed()
		if !c.stopped {
			c.step(ctx, c.cur.Retry)
		}
	case tick:
		if c.stopped {
			return
		}
		if c.cur.Behind() && !c.steps.Resuming() {
			c.step(ctx, c.cur.Retry)
		}
		if c.unsaved > 0 && time.Since(c.dirtyAt) >= c.cfg.Interval {
			c.save(c.cur.Next())
		}
		c.schedule(ctx)
	case *messages.SubscriptionEnded:
		c.save(c.cur.Next())
	case *actor.Stopping:
		c.stopped = true
		c.save(c.cur.Next())
	}
}

func (c *core) schedule(ctx actor.Context) {
	sys, self := ctx.ActorSystem(), ctx.Self()
	time.AfterFunc(c.cfg.Interval, func() { sys.Root.Send(self, tick{}) })
}

// handle gives msg to the cursor, within a step.
func (c *core) handle(ctx actor.Context, msg any) {
	c.step(ctx, func(deliver func(messages.Event) error) error {
		_, err := c.cur.Handle(msg, deliver)
		return err
	})
}

func (c *core) settle(err error) {
	c.pos.Store(c.cur.Next())
	if err != nil {
		c.failures.Add(1)
		c.cfg.Logger.Warn("batpak reactor: reaction failed, will retry", "reactor", c.cfg.Name, "err", err)
	}
}

// react handles one trigger: its reactions, appended in one batch.
func (c *core) react(trigger messages.Event) error {
	rs, err := c.cfg.React(trigger)
	if err != nil {
		return fmt.Errorf("batpak reactor %s: react to %s: %w", c.cfg.Name, trigger.ID, err)
	}
	if len(rs) > 0 {
		b := &messages.AppendBatch{Items: make([]messages.BatchItem, len(rs))}
		for i, r := range rs {
			name := r.Name
			if name == "" {
				name = strconv.Itoa(i)
			}
			b.Items[i] = messages.BatchItem{Coordinate: r.Coordinate, Kind: r.Kind, Payload: r.Payload,
				CorrelationID: trigger.CorrelationID, Causation: messages.CausedBy(trigger.ID),
				IdempotencyKey: Key(c.cfg.Name, trigger.ID, name), Expected: r.Expected}
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.AppendTimeout)
		receipts, err := c.store.AppendBatch(ctx, b)
		cancel()
		if err != nil {
			return fmt.Errorf("batpak reactor %s: append the reactions to %s: %w", c.cfg.Name, trigger.ID, err)
		}
		for _, r := range receipts {
			if r.Replayed {
				c.replayed.Add(1)
			} else {
				c.written.Add(1)
			}
		}
	}
	c.triggers.Add(1)
	c.last, c.lastSeq = trigger.ID, trigger.Sequence
	if c.unsaved == 0 {
		c.dirtyAt = time.Now()
	}
	if c.unsaved++; c.unsaved >= c.cfg.Every {
		c.save(trigger.Sequence + 1)
	}
	return nil
}

// save writes the checkpoint: every trigger before next is handled.
func (c *core) save(next uint64) {
	if c.cfg.Dir == "" {
		c.unsaved = 0
		return
	}
	err := c.ckpt.Save(c.cfg.Name, checkpoint.Record{Type: "batpak.reactor", Next: next,
		Last: c.last, LastSeq: c.lastSeq, WallMS: time.Now().UnixMilli()})
	if err != nil {
		c.cfg.Logger.Warn("batpak reactor: checkpoint failed", "reactor", c.cfg.Name, "err", err)
		return
	}
	c.checkpoints.Add(1)
	c.unsaved = 0
}
