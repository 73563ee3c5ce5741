package supervision

import (
	"fmt"
	"time"
)

type variant uint8

const (
	once variant = iota + 1
	bounded
)

// RestartPolicy says how often the writer may be restarted after a panic.
// Build it with Once or Bounded; the zero value is Once.
type RestartPolicy struct {
	v      variant
	max    int
	within time.Duration
}

// Once allows one restart in the store's whole life; the second failure
// stops the writer.
func Once() RestartPolicy { return RestartPolicy{v: once, max: 1} }

// Bounded allows at most maxRestarts restarts within any window of length
// within; one failure more inside the window stops the writer. A maxRestarts
// below 1 is taken as 1 and within <= 0 as the store's whole life.
func Bounded(maxRestarts int, within time.Duration) RestartPolicy {
	return RestartPolicy{v: bounded, max: max(maxRestarts, 1), within: within}
}

func (p RestartPolicy) norm() RestartPolicy {
	if p.v == 0 {
		return Once()
	}
	return p
}

// MaxRestarts returns how many restarts the policy allows in its window.
func (p RestartPolicy) MaxRestarts() int { return p.norm().max }

// Within returns the policy's window; 0 means the store's whole life.
func (p RestartPolicy) Within() time.Duration { return p.norm().within }

// String names the policy: "once" or "bounded(3 within 1m0s)".
func (p RestartPolicy) String() string {
	p = p.norm()
	if p.v == once {
		return "once"
	}
	if p.within <= 0 {
		return fmt.Sprintf("bounded(%d)", p.max)
	}
	return fmt.Sprintf("bounded(%d within %v)", p.max, p.within)
}

// allows reports whether a failure at now may be answered by a restart,
// given the times of the failures before it (oldest first). It returns the
// number of failures the window holds, this one included.
func (p RestartPolicy) allows(before []time.Time, now time.Time) (bool, int) {
	p = p.norm()
	n := 1
	for _, t := range before {
		if p.within <= 0 || now.Sub(t) < p.within {
			n++
		}
	}
	return n <= p.max, n
}
