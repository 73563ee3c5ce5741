// Package catchup runs the catch-up of a live projection or reactor in
// steps. Each message the actor handles delivers events for at most a
// step's time (and at most a step's number of events); a catch-up that is
// not done then pauses (its cursor stays at the first event not
// delivered, and is behind) and the actor sends itself a Resume, so that
// the messages queued meanwhile (queries, timers, a Stop) get their turn
// in between. The next step, whichever message runs it (Resume, a
// notification, a gap, a tick, a restart), goes on from there through the
// cursor's redelivery rule: every event is still delivered exactly once,
// in order.
package catchup

import (
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// ErrPause ends a step (a cursor operation returns it from the deliver
// that paused); it is not a failure.
var ErrPause = errors.New("batpak: catch-up step done")

// Resume is the message an actor sends itself to run the next step.
type Resume struct{}

// Limits bound a step.
type Limits struct {
	// Time is how long a step delivers events.
	Time time.Duration
	// Events is the most events a step delivers.
	Events int
	// Check is how often a step reads the clock: once it has delivered
	// Check-1 events, then every Check events (2·Check-1, 3·Check-1, ...).
	// A power of two; 1 reads it before each event but the first.
	Check int
	// Page: a step past its Time pauses at a check where it has delivered
	// k·Page-1 events (a multiple of Check minus one too), unless it is late
	// by Late: then at the first check. A power of two; 1 pauses at the
	// first check past Time.
	Page int
	// Late is how far past Time a step stops waiting for the end of a Page.
	Late time.Duration
}

// Steps is the catch-up state of one actor, used by it alone.
type Steps struct {
	// Limits bound each step.
	Limits Limits

	n        int       // events the current step delivered
	next     int       // the n at which Spend looks at the budget again
	end      time.Time // when the current step's Time is up
	resuming bool      // a Resume is on its way
}

// Run runs op as one step. When op ends with ErrPause, Run sends the actor
// a Resume (unless one is on its way already) and returns nil; it returns
// any other error of op.
func (s *Steps) Run(ctx actor.Context, op func() error) error {
	s.begin()
	err := op()
	if !errors.Is(err, ErrPause) {
		return err
	}
	if !s.resuming {
		s.resuming = true
		ctx.Send(ctx.Self(), Resume{})
	}
	return nil
}

// begin arms the budget of a step.
func (s *Steps) begin() {
	s.n, s.next, s.end = 0, min(s.Limits.Check-1, s.Limits.Events), time.Now().Add(s.Limits.Time)
}

// Spend is called before each event a step delivers: it returns ErrPause
// when the step's budget is spent (never before the step's first event,
// so that every step moves on), and otherwise counts the event. It is
// small enough to be inlined: pause, which reads the clock, runs only
// every Limits.Check events.
func (s *Steps) Spend() error {
	if s.n == s.next && s.pause() {
		return ErrPause
	}
	s.n++
	return nil
}

// pause reports whether the step pauses before its event s.n+1, and sets
// when to look again.
func (s *Steps) pause() bool {
	if s.n == s.Limits.Events {
		return true
	}
	s.next = min(s.n+s.Limits.Check, s.Limits.Events)
	if s.n == 0 {
		return false
	}
	now := time.Now()
	page := s.Limits.Page - 1
	return now.After(s.end) && (s.n&page == page || now.After(s.end.Add(s.Limits.Late)))
}

// Resumed records that no Resume is on its way any more: the actor got
// it, or restarted (a panic may have dropped it).
func (s *Steps) Resumed() { s.resuming = false }

// Resuming reports whether a Resume is on its way: a catch-up is under
// way, and its steps will go on.
func (s *Steps) Resuming() bool { return s.resuming }
