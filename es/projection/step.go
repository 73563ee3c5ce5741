package projection

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/es/internal/catchup"
	"github.com/batpak-go/batpak/messages"
)

// Catch-up in steps (see es/internal/catchup): each message the actor
// handles applies events for at most 5 ms, so that the queries and timers
// queued meanwhile are answered in between, with the state as of that
// step.
//
// The cursor reads the log in pages of 1,024 events from where the step
// starts, so a step that pauses at the last event of a page leaves only
// that one read and not applied (a pause elsewhere reads the rest of the
// page again in the next step). A step past its time pauses at the end of
// a page, or anywhere once it is late by 3 steps' time (a slow Apply); it
// looks at the clock every 64 events, and applies at most 64 pages.
var stepLimits = catchup.Limits{
	Time:   5 * time.Millisecond,
	Events: 64*1024 - 1,
	Check:  64,
	Page:   1024,
	Late:   15 * time.Millisecond,
}

// step runs one cursor operation (Handle, Retry, CatchUp) as a catch-up
// step: a pause sends a resume (one at a time), another error holds the
// projection at its event (Reply.Failing).
func (c *core[S]) step(ctx actor.Context, op func(deliver func(messages.Event) error) error) {
	err := c.steps.Run(ctx, func() error { return op(c.deliver) })
	c.pos.Store(c.cur.Next())
	if err != nil {
		c.failing = err
	}
}

// deliver is the cursor's deliver: apply, unless the step's budget is
// spent.
func (c *core[S]) deliver(ev messages.Event) error {
	if err := c.steps.Spend(); err != nil {
		return err
	}
	return c.apply(ev)
}

// handle gives msg to the cursor, within a step.
func (c *core[S]) handle(ctx actor.Context, msg any) {
	c.step(ctx, func(deliver func(messages.Event) error) error {
		_, err := c.cur.Handle(msg, deliver)
		return err
	})
}
