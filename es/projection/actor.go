package projection

import (
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/internal/catchup"
	"github.com/batpak-go/batpak/es/internal/checkpoint"
	"github.com/batpak-go/batpak/messages"
)

// core is a projection's state. It outlives the actor's instances (a
// panicking Apply restarts the actor, not the projection); only the actor
// touches it, except the atomics.
type core[S any] struct {
	cfg   Config[S]
	store *actors.Store
	ckpt  *checkpoint.Dir // cfg.Dir (unused when it is "")
	cur   *actors.Cursor
	clone func(S) (S, error)
	self  *actor.PID

	state   S
	last    messages.ID // the last event applied
	lastSeq uint64
	unsaved int       // events applied since the last checkpoint
	dirtyAt time.Time // when the first of them was applied
	failing error     // the last Apply error, until an event applies

	waiters []waiter
	nextID  uint64
	ticking bool
	stopped bool
	steps   catchup.Steps

	stopCalled atomic.Bool
	pos        atomic.Uint64         // cur.Next, for Position
	written    atomic.Int64          // checkpoints written
	lastErr    atomic.Pointer[error] // the last checkpoint error, nil after a success
}

type waiter struct {
	id       uint64
	sender   *actor.PID
	atLeast  uint64
	deadline time.Time
}

// Timer messages (local only).
type (
	tick   struct{}
	expire struct{ id uint64 }
)

// projector is the projection's actor.
type projector[S any] struct{ c *core[S] }

// Receive implements actor.Actor.
func (p *projector[S]) Receive(ctx actor.Context) {
	c := p.c
	switch m := ctx.Message().(type) {
	case *actor.Started:
		c.steps.Resumed() // a panic may have dropped the resume message
		c.handle(ctx, m)
		c.answer(ctx)
		if !c.ticking {
			c.ticking = true
			c.schedule(ctx, tick{}, min(c.cfg.Interval, tickMax))
		}
	case *messages.Subscribed, *messages.Notification, *messages.Gap:
		c.handle(ctx, m)
		c.answer(ctx)
		if c.unsaved >= c.cfg.Every {
			c.save()
		}
	case catchup.Resume:
		c.steps.Resumed()
		if c.stopped {
			return
		}
		c.step(ctx, c.cur.Retry)
		c.answer(ctx)
	case *Query:
		c.query(ctx, m)
	case tick:
		if c.stopped {
			return
		}
		c.onTick(ctx)
		c.schedule(ctx, tick{}, min(c.cfg.Interval, tickMax))
	case expire:
		c.expire(ctx, m.id)
	case *messages.SubscriptionEnded:
		c.save()
	case *actor.Stopping:
		c.stopped = true
		c.save()
	}
}

// schedule sends msg to the actor after d.
func (c *core[S]) schedule(ctx actor.Context, msg any, d time.Duration) {
	sys, self := ctx.ActorSystem(), ctx.Self()
	time.AfterFunc(d, func() { sys.Root.Send(self, msg) })
}

// apply is the cursor's deliver: one event into the state, and a
// checkpoint every cfg.Every events (also in the middle of a long
// catch-up).
func (c *core[S]) apply(ev messages.Event) error {
	s, err := c.cfg.Apply(c.state, ev)
	if err != nil {
		return &ApplyError{Sequence: ev.Sequence, ID: ev.ID, Err: err}
	}
	c.state, c.last, c.lastSeq, c.failing = s, ev.ID, ev.Sequence, nil
	if c.unsaved == 0 {
		c.dirtyAt = time.Now()
	}
	if c.unsaved++; c.unsaved >= c.cfg.Every {
		c.saveAt(ev.Sequence + 1)
	}
	return nil
}

// save checkpoints the state at the cursor's position: every matching
// event before it is applied (a failed event holds the cursor at itself).
func (c *core[S]) save() { c.saveAt(c.cur.Next()) }

func (c *core[S]) saveAt(next uint64) {
	if c.cfg.Dir == "" {
		c.unsaved = 0
		return
	}
	b, err := c.cfg.Codec.Encode(c.state)
	if err == nil {
		err = c.ckpt.Save(c.cfg.Name, checkpoint.Record{Type: c.cfg.Type, Next: next,
			Last: c.last, LastSeq: c.lastSeq, State: b, WallMS: time.Now().UnixMilli()})
	}
	if err != nil {
		c.lastErr.Store(&err)
		c.cfg.Logger.Warn("batpak projection: checkpoint failed", "projection", c.cfg.Name, "err", err)
		return
	}
	c.lastErr.Store(nil)
	c.written.Add(1)
	c.unsaved = 0
}

func (c *core[S]) onTick(ctx actor.Context) {
	if c.unsaved > 0 && time.Since(c.dirtyAt) >= c.cfg.Interval {
		c.save()
	}
	if len(c.waiters) == 0 {
		return
	}
	if c.steps.Resuming() {
		return // the catch-up's steps answer the waiters
	}
	if c.cur.Behind() {
		c.step(ctx, c.cur.Retry)
	} else if st, err := c.store.Stats(); err == nil && c.needsLog(st.NextSequence) {
		c.step(ctx, c.cur.CatchUp)
	}
	c.answer(ctx)
}

// needsLog reports whether a waiter waits for an event already committed
// (it may not match the filter, so no notification would move the cursor
// past it).
func (c *core[S]) needsLog(logNext uint64) bool {
	for _, w := range c.waiters {
		if w.atLeast > c.cur.Next() && w.atLeast <= logNext {
			return true
		}
	}
	return false
}

func (c *core[S]) query(ctx actor.Context, q *Query) {
	if q.AtLeast > c.cur.Next() && !c.steps.Resuming() { // during a catch-up, its steps answer
		if st, err := c.store.Stats(); err == nil && q.AtLeast <= st.NextSequence {
			c.step(ctx, c.cur.CatchUp)
		}
	}
	if q.AtLeast <= c.cur.Next() || ctx.Sender() == nil {
		c.reply(ctx, ctx.Sender(), nil)
		return
	}
	timeout := q.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	c.nextID++
	c.waiters = append(c.waiters, waiter{id: c.nextID, sender: ctx.Sender(), atLeast: q.AtLeast,
		deadline: time.Now().Add(timeout)})
	c.schedule(ctx, expire{c.nextID}, timeout)
}

// answer replies to the waiters the projection has reached.
func (c *core[S]) answer(ctx actor.Context) {
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.atLeast <= c.cur.Next() {
			c.reply(ctx, w.sender, nil)
		} else {
			kept = append(kept, w)
		}
	}
	clear(c.waiters[len(kept):])
	c.waiters = kept
}

func (c *core[S]) expire(ctx actor.Context, id uint64) {
	for i, w := range c.waiters {
		if w.id == id {
			c.reply(ctx, w.sender, &TimeoutError{AtLeast: w.atLeast, Next: c.cur.Next()})
			c.waiters = append(c.waiters[:i], c.waiters[i+1:]...)
			return
		}
	}
}

func (c *core[S]) reply(ctx actor.Context, to *actor.PID, timeout *TimeoutError) {
	if to == nil {
		return
	}
	r := &Reply[S]{Next: c.cur.Next(), Timeout: timeout}
	s, err := c.clone(c.state)
	if err != nil {
		r.Failing = err.Error()
	} else {
		r.State = s
	}
	if c.failing != nil && r.Failing == "" {
		r.Failing = c.failing.Error()
	}
	ctx.Send(to, r)
}
