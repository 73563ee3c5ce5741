package reactor

import (
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
)

// Catch-up in steps. Each message the actor handles handles triggers for
// at most stepTime (and at most stepEvents of them); a catch-up that is
// not done then pauses (the cursor stays at the first trigger not handled,
// and is behind) and the actor sends itself a resume message, so that its
// timer (checkpoints), a Stop and the notifications queued meanwhile get
// their turn. The next step, whichever message runs it (resume, a
// notification, a gap, a tick, a restart), goes on from there through the
// cursor's redelivery rule: every trigger is still handled exactly once,
// in order.
const (
	stepTime   = 5 * time.Millisecond
	stepEvents = 1 << 16
)

// errPause ends a step; it is not a failure.
var errPause = errors.New("batpak reactor: catch-up step done")

// resume runs the next catch-up step (a local message).
type resume struct{}

// step runs one cursor operation (Handle, Retry) within a step's budget
// and settles its outcome: a pause sends a resume (one at a time), another
// error is counted and logged (the cursor retries it).
func (c *core) step(ctx actor.Context, op func(deliver func(messages.Event) error) error) {
	c.stepLeft, c.stepEnd = stepEvents, time.Now().Add(stepTime)
	err := op(c.deliver)
	if errors.Is(err, errPause) {
		if !c.resuming {
			c.resuming = true
			ctx.Send(ctx.Self(), resume{})
		}
		err = nil
	}
	c.settle(err)
}

// deliver is the cursor's deliver: react, unless the step's budget is
// spent (after at least one trigger, so that every step moves on).
func (c *core) deliver(ev messages.Event) error {
	if n := stepEvents - c.stepLeft; n == stepEvents || (n > 0 && time.Now().After(c.stepEnd)) {
		return errPause // a reaction costs an append: the clock is cheap next to it
	}
	c.stepLeft--
	return c.react(ev)
}
