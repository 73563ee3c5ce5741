package projection

import (
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
)

// Catch-up in steps. Each message the actor handles applies events for at
// most stepTime (and at most stepEvents events); a catch-up that is not
// done then pauses (the cursor stays at the first event not applied, and
// is behind) and the actor sends itself a resume message, so that the
// queries and timers queued meanwhile are answered in between, with the
// state as of that step. The next step, whichever message runs it (resume,
// a notification, a gap, a tick, a restart), goes on from there through
// the cursor's redelivery rule: every matching event is still applied
// exactly once, in order.
const (
	stepTime   = 5 * time.Millisecond
	stepEvents = 64*stepPage - 1
	// stepCheck is how often (in events) a step looks at the clock.
	stepCheck = 64
	// stepPage: the cursor reads the log in pages of 1,024 events from
	// where the step starts, so a step that pauses at the last event of a
	// page leaves only that one read and not applied (a pause elsewhere
	// reads the rest of the page again in the next step). A step past its
	// time pauses at the end of a page, or anywhere once it is late by
	// stepLate (a slow Apply).
	stepPage = 1024
	stepLate = 3 * stepTime
)

// errPause ends a step; it is not a failure.
var errPause = errors.New("batpak projection: catch-up step done")

// resume runs the next catch-up step (a local message).
type resume struct{}

// step runs one cursor operation (Handle, Retry, CatchUp) within a step's
// budget and settles its outcome: a pause sends a resume (one at a time),
// another error holds the projection at its event (Reply.Failing).
func (c *core[S]) step(ctx actor.Context, op func(deliver func(messages.Event) error) error) {
	c.stepLeft, c.stepEnd = stepEvents, time.Now().Add(stepTime)
	err := op(c.deliver)
	c.pos.Store(c.cur.Next())
	switch {
	case errors.Is(err, errPause):
		if !c.resuming {
			c.resuming = true
			ctx.Send(ctx.Self(), resume{})
		}
	case err != nil:
		c.failing = err
	}
}

// deliver is the cursor's deliver: apply, unless the step's budget is
// spent (after at least one event, so that every step moves on).
func (c *core[S]) deliver(ev messages.Event) error {
	if n := stepEvents - c.stepLeft; n == stepEvents {
		return errPause
	} else if n%stepCheck == stepCheck-1 {
		if now := time.Now(); now.After(c.stepEnd) && (n%stepPage == stepPage-1 || now.After(c.stepEnd.Add(stepLate))) {
			return errPause
		}
	}
	c.stepLeft--
	return c.apply(ev)
}

// handle gives msg to the cursor, within a step.
func (c *core[S]) handle(ctx actor.Context, msg any) {
	c.step(ctx, func(deliver func(messages.Event) error) error {
		_, err := c.cur.Handle(msg, deliver)
		return err
	})
}
