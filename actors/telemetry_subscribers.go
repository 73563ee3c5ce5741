package actors

import (
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// A subscriber's lag, for the operator's gauges (see operator): where it
// is in the log, kept by its capped mailbox with a few atomics per
// notification (never per event), read by the metrics' callback.
//
// next is the first sequence the subscriber has not handled: one past the
// last event of the last notification its Receive returned from (a Gap
// moves it to the Gap's FirstMissed), never backwards; it starts at the
// subscription's first sequence. outstanding counts the notifications and
// Gaps posted to its mailbox that it has not handled yet. A subscriber
// with none outstanding has handled everything the fanout has handled
// (events that did not match its filter included), so it is as far as the
// fanout; one with some is at next.
type subLag struct {
	next        atomic.Uint64
	outstanding atomic.Int64
}

// posted counts a notification or Gap put into the mailbox.
func (l *subLag) posted() { l.outstanding.Add(1) }

// handled runs once the subscriber's Receive has returned from msg (or
// panicked on it: the message is lost to it either way).
func (l *subLag) handled(msg any) {
	if env, ok := msg.(*actor.MessageEnvelope); ok {
		msg = env.Message
	}
	switch m := msg.(type) {
	case *messages.Notification:
		if len(m.Events) == 0 {
			return // not counted by posted
		}
		l.advance(m.Events[len(m.Events)-1].Sequence + 1)
	case *messages.Gap:
		l.advance(m.FirstMissed)
	default:
		return
	}
	l.outstanding.Add(-1)
}

// advance moves next forward to seq. Only the subscriber's goroutine
// calls it (the fanout sets the first value before any notification).
func (l *subLag) advance(seq uint64) {
	if seq > l.next.Load() {
		l.next.Store(seq)
	}
}

// isGap reports whether msg is a messages.Gap (perhaps in an envelope).
func isGap(msg any) bool {
	if env, ok := msg.(*actor.MessageEnvelope); ok {
		msg = env.Message
	}
	_, ok := msg.(*messages.Gap)
	return ok
}

// watched is a subscriber the gauges report: its mailbox, and the
// attributes of its points (batpak.store, batpak.subscriber = its PID's
// id), made once.
type watched struct {
	mb    *cappedMailbox
	attrs metric.MeasurementOption
}

// subscribers are the subscriptions the fanout holds, for the gauges. The
// fanout adds and removes them (so a stopped or unsubscribed subscriber's
// points disappear with its subscription); the callback reads them.
type subscribers struct {
	store  attribute.KeyValue
	mu     sync.Mutex
	byPID  map[string]watched
	fanned atomic.Uint64 // one past the last sequence the fanout has handed out
}

// add starts reporting the subscriber pid (from: its first sequence).
func (s *subscribers) add(pid *actor.PID, mb *cappedMailbox, from uint64) {
	if mb == nil {
		return
	}
	mb.lag.advance(from)
	attrs := metric.WithAttributeSet(attribute.NewSet(s.store, attribute.String("batpak.subscriber", pid.Id)))
	s.mu.Lock()
	s.byPID[pid.String()] = watched{mb: mb, attrs: attrs}
	s.mu.Unlock()
}

// remove stops reporting pid.
func (s *subscribers) remove(pid *actor.PID) {
	s.mu.Lock()
	delete(s.byPID, pid.String())
	s.mu.Unlock()
}

// fanoutAt notes how far the fanout has handed out the log (deferred by
// the fanout for each committed group).
func (s *subscribers) fanoutAt(st *fanState) { s.fanned.Store(st.at) }

// position is the first sequence w has not handled (see subLag), given
// fanned, the fanout's position read before it.
func (w watched) position(fanned uint64) uint64 {
	next := w.mb.lag.next.Load()
	if w.mb.lag.outstanding.Load() > 0 {
		return next
	}
	return max(next, fanned)
}

// commitRing is the number of commit groups whose time the store keeps
// for the lag's age (96 KiB, allocated with the first subscriber's group).
const commitRing = 4096

// commitTimes remembers the first sequence and wall time of the last
// commitRing groups handed to the fanout, so that the age of a
// subscriber's oldest unhandled event is known without reading the log.
// The writer adds one mark per group, only while there are subscribers.
type commitTimes struct {
	mu    sync.Mutex
	marks []commitMark // commitRing of them, once one is added
	n     uint64       // marks added
}

type commitMark struct {
	first, last uint64
	wallMS      int64
}

// add notes a group handed to the fanout.
func (c *commitTimes) add(events []messages.Event) {
	m := commitMark{first: events[0].Sequence, last: events[len(events)-1].Sequence, wallMS: events[0].WallMS}
	c.mu.Lock()
	if c.marks == nil {
		c.marks = make([]commitMark, commitRing)
	}
	c.marks[c.n%commitRing] = m
	c.n++
	c.mu.Unlock()
}

// wallOf returns the wall time (Unix ms) of the group holding seq: ok is
// false when no group handed out holds it yet (or none was noted); for a
// sequence older than every mark, the oldest mark's time (the event is at
// least that old).
func (c *commitTimes) wallOf(seq uint64) (wallMS int64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	lo := uint64(0)
	if c.n > commitRing {
		lo = c.n - commitRing
	}
	if c.n == 0 || seq > c.marks[(c.n-1)%commitRing].last {
		return 0, false
	}
	// The last mark whose first sequence is <= seq (marks are in sequence
	// order).
	i, j := lo, c.n
	for i < j {
		h := i + (j-i)/2
		if c.marks[h%commitRing].first <= seq {
			i = h + 1
		} else {
			j = h
		}
	}
	if i == lo {
		return c.marks[lo%commitRing].wallMS, true
	}
	return c.marks[(i-1)%commitRing].wallMS, true
}
