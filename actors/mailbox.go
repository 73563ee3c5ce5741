package actors

import (
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
)

// cappedMailbox bounds a subscriber's queue of notifications without ever
// blocking the sender (protoactor's Bounded mailbox spins the sender, and
// BoundedDropping drops silently and then spins): it wraps the unbounded
// mailbox, counts the events queued, and when a notification does not fit
// it drops it and posts one messages.Gap naming the first sequence missed.
// Until the subscriber receives that Gap, later notifications are dropped
// too (the Gap covers them: the subscriber reads the log from there). So a
// queue holds at most capacity events plus one Gap.
type cappedMailbox struct {
	actor.Mailbox
	capacity int64
	queued   atomic.Int64
	inGap    atomic.Bool
	onGap    func() // counts the gaps signalled
	lag      subLag // for the operator's gauges
}

func newCappedMailbox(capacity int, onGap func()) *cappedMailbox {
	return &cappedMailbox{Mailbox: actor.Unbounded()(), capacity: int64(capacity), onGap: onGap}
}

func notificationOf(msg any) *messages.Notification {
	if env, ok := msg.(*actor.MessageEnvelope); ok {
		msg = env.Message
	}
	n, _ := msg.(*messages.Notification)
	return n
}

// PostUserMessage implements actor.Mailbox.
func (m *cappedMailbox) PostUserMessage(msg any) {
	n := notificationOf(msg)
	if n == nil || len(n.Events) == 0 {
		if isGap(msg) {
			m.lag.posted()
		}
		m.Mailbox.PostUserMessage(msg)
		return
	}
	if m.inGap.Load() {
		return // covered by the Gap already queued
	}
	size := int64(len(n.Events))
	if m.queued.Load()+size > m.capacity {
		m.inGap.Store(true)
		m.onGap()
		m.lag.posted()
		m.Mailbox.PostUserMessage(&messages.Gap{FirstMissed: n.Events[0].Sequence})
		return
	}
	m.queued.Add(size)
	m.lag.posted()
	m.Mailbox.PostUserMessage(msg)
}

// RegisterHandlers implements actor.Mailbox, counting what is delivered.
func (m *cappedMailbox) RegisterHandlers(invoker actor.MessageInvoker, dispatcher actor.Dispatcher) {
	m.Mailbox.RegisterHandlers(&countingInvoker{MessageInvoker: invoker, m: m}, dispatcher)
}

type countingInvoker struct {
	actor.MessageInvoker
	m *cappedMailbox
}

func (c *countingInvoker) InvokeUserMessage(msg any) {
	defer c.m.lag.handled(msg)
	switch v := msg.(type) {
	case *messages.Gap:
		// From here on notifications queue again; what the subscriber reads
		// from the log while handling the Gap overlaps them, and its Cursor
		// skips the overlap by sequence.
		c.m.inGap.Store(false)
	default:
		if n := notificationOf(v); n != nil {
			c.m.queued.Add(-int64(len(n.Events)))
		}
	}
	c.MessageInvoker.InvokeUserMessage(msg)
}
