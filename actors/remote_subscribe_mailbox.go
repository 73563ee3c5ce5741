package actors

import (
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
)

// creditMailbox is the mailbox of a subscriber made by SubscribeRemote, on
// the subscriber's node: it speaks the credit protocol of remote
// subscriptions (see remote_subscribe_fanout.go) so that the actor itself
// sees only what a local subscriber sees. It wraps the unbounded mailbox
// (the store's fanout never sends more than the capacity of events
// unacknowledged, so it holds at most that many, plus a Gap) and acks to
// the fanout with cumulative counts:
//   - a Gap, as the actor takes it, before the actor handles it (and so
//     before a Cursor reads the log for it);
//   - the events of a notification, once the actor has handled it (or
//     panicked on it), when the queue holds no more events or half the
//     capacity has been handled since the last ack. An idle subscriber
//     thus has all its credit back, and a busy one acks about twice per
//     capacity.
type creditMailbox struct {
	actor.Mailbox
	sys     *actor.ActorSystem
	gateway *actor.PID                        // the store's fanout
	self    atomic.Pointer[messages.ActorRef] // the subscriber, set before it subscribes
	every   uint64                            // ack once this many events are handled unacked

	queued  atomic.Int64  // events posted, not yet taken by the actor
	peak    atomic.Int64  // the most events queued at once (tests)
	handled atomic.Uint64 // events of notifications handled
	gaps    atomic.Uint64 // Gaps taken
	acked   uint64        // handled at the last ack; the actor's goroutine only
}

func newCreditMailbox(sys *actor.ActorSystem, gateway *actor.PID, capacity int) *creditMailbox {
	return &creditMailbox{Mailbox: actor.Unbounded()(), sys: sys, gateway: gateway, every: uint64(max(1, capacity/2))}
}

// PostUserMessage implements actor.Mailbox.
func (m *creditMailbox) PostUserMessage(msg any) {
	if n := notificationOf(msg); n != nil && len(n.Events) > 0 {
		q := m.queued.Add(int64(len(n.Events)))
		for p := m.peak.Load(); q > p && !m.peak.CompareAndSwap(p, q); p = m.peak.Load() {
		}
	}
	m.Mailbox.PostUserMessage(msg)
}

// RegisterHandlers implements actor.Mailbox, acking what is handled.
func (m *creditMailbox) RegisterHandlers(invoker actor.MessageInvoker, dispatcher actor.Dispatcher) {
	m.Mailbox.RegisterHandlers(&ackingInvoker{MessageInvoker: invoker, m: m}, dispatcher)
}

type ackingInvoker struct {
	actor.MessageInvoker
	m *creditMailbox
}

func (a *ackingInvoker) InvokeUserMessage(msg any) {
	if isGap(msg) {
		a.m.gaps.Add(1)
		a.m.ack()
	} else if n := notificationOf(msg); n != nil && len(n.Events) > 0 {
		a.m.queued.Add(-int64(len(n.Events)))
		defer a.m.handledEvents(uint64(len(n.Events)))
	}
	a.MessageInvoker.InvokeUserMessage(msg)
}

// handledEvents counts n events handled and acks when it is time.
func (m *creditMailbox) handledEvents(n uint64) {
	if h := m.handled.Add(n); h-m.acked >= m.every || m.queued.Load() == 0 {
		m.ack()
	}
}

// ack sends the fanout the counts so far.
func (m *creditMailbox) ack() {
	self := m.self.Load()
	if self == nil {
		return
	}
	m.acked = m.handled.Load()
	m.sys.Root.Send(m.gateway, &messages.SubscriptionAck{Subscriber: *self, Handled: m.acked, Gaps: m.gaps.Load()})
}
