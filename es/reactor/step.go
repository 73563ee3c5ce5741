package reactor

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/es/internal/catchup"
	"github.com/batpak-go/batpak/messages"
)

// Catch-up in steps (see es/internal/catchup): each message the actor
// handles handles triggers for at most 5 ms (and at most 65,536 of them),
// so that its timer (checkpoints), a Stop and the notifications queued
// meanwhile get their turn. A reaction costs an append: the clock is
// cheap next to it, and is read before each trigger but a step's first.
var stepLimits = catchup.Limits{
	Time:   5 * time.Millisecond,
	Events: 1 << 16,
	Check:  1,
	Page:   1,
}

// step runs one cursor operation (Handle, Retry) as a catch-up step and
// settles its outcome: a pause sends a resume (one at a time), another
// error is counted and logged (the cursor retries it).
func (c *core) step(ctx actor.Context, op func(deliver func(messages.Event) error) error) {
	c.settle(c.steps.Run(ctx, func() error { return op(c.deliver) }))
}

// deliver is the cursor's deliver: react, unless the step's budget is
// spent.
func (c *core) deliver(ev messages.Event) error {
	if err := c.steps.Spend(); err != nil {
		return err
	}
	return c.react(ev)
}
