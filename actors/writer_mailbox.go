package actors

import (
	"runtime"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
)

// writerMailbox is the writer's mailbox (an actor.Mailbox). It differs from
// protoactor's unbounded mailbox in two ways:
//
//   - One long-lived goroutine drains it, and parks on a channel while the
//     mailbox is empty. protoactor's dispatcher starts a goroutine each time
//     a mailbox goes from idle to busy, and that goroutine grows its stack
//     again to the writer's depth every time (a quarter of the CPU of an
//     append through the writer went to stack growth).
//   - Appends pass the admission bound (see admission) when posted, and
//     are counted out when the writer takes them.
//
// It keeps protoactor's semantics otherwise: system messages go before
// user messages, each queue is FIFO (the group commit's flush relies on
// it), SuspendMailbox stops user messages until ResumeMailbox, a panic is
// escalated with the message being handled and the mailbox goes on with
// the next one, and a MessageBatch is delivered message by message, then
// as itself. The dispatcher given to RegisterHandlers is not used.
//
// The goroutine starts in Start (once the writer is registered) and ends
// once the writer has stopped (stop, at its Stopped) and its mailbox is
// idle; done is closed then. A message that still reaches the mailbox
// afterwards (a sender that looked the writer up before it stopped) is
// delivered on a goroutine of its own, as protoactor would.
type writerMailbox struct {
	adm     *admission
	invoker actor.MessageInvoker
	wake    chan struct{} // a drain is due; holds at most one token
	done    chan struct{} // closed once the goroutine has ended

	mu        sync.Mutex
	system    fifo[any]
	user      fifo[mailItem]
	suspended bool
	running   bool // a drain is due or under way
	stopped   bool // the writer has stopped: the goroutine ends once idle
	exited    bool // the goroutine has ended
}

// mailItem is a queued user message, with the events and payload bytes the
// admission counted it with (zero for all but appends), so that a sender
// that changes its request afterwards cannot make the counts drift.
type mailItem struct {
	msg           any
	events, bytes int64
}

// writerThroughput is how many messages the writer handles before it lets
// other goroutines run (protoactor's default dispatcher's throughput).
const writerThroughput = 300

func newWriterMailbox(adm *admission) *writerMailbox {
	return &writerMailbox{adm: adm, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// PostUserMessage implements actor.Mailbox. It runs on the sender's
// goroutine: an append the admission refuses is answered from here and
// never queued.
func (m *writerMailbox) PostUserMessage(msg any) {
	inner, sender := msg, (*actor.PID)(nil)
	if env, ok := msg.(*actor.MessageEnvelope); ok {
		inner, sender = env.Message, env.Sender
	}
	if b, ok := inner.(actor.MessageBatch); ok {
		for _, each := range b.GetMessages() {
			m.PostUserMessage(each)
		}
	}
	it := mailItem{msg: msg}
	if n, b, batch, ok := sizeOf(inner); ok {
		if err := m.adm.admit(n, b); err != nil {
			m.adm.refuse(sender, batch, err)
			return
		}
		it.events, it.bytes = n, b
	}
	m.mu.Lock()
	m.user.push(it)
	spawn := m.schedule()
	m.mu.Unlock()
	m.kick(spawn)
}

// PostSystemMessage implements actor.Mailbox.
func (m *writerMailbox) PostSystemMessage(msg any) {
	m.mu.Lock()
	m.system.push(msg)
	spawn := m.schedule()
	m.mu.Unlock()
	m.kick(spawn)
}

// schedule marks a drain as due (under mu). It returns true when the
// goroutine has ended, so that the caller starts one of its own.
func (m *writerMailbox) schedule() (spawn bool) {
	if m.running {
		return false
	}
	m.running = true
	return m.exited
}

// kick wakes the goroutine, or drains on a new one once it has ended.
func (m *writerMailbox) kick(spawn bool) {
	if spawn {
		go m.drain()
		return
	}
	select {
	case m.wake <- struct{}{}:
	default: // a token is there already: the goroutine will drain
	}
}

// RegisterHandlers implements actor.Mailbox.
func (m *writerMailbox) RegisterHandlers(invoker actor.MessageInvoker, _ actor.Dispatcher) {
	m.invoker = invoker
}

// Start implements actor.Mailbox: it starts the goroutine.
func (m *writerMailbox) Start() { go m.loop() }

// UserMessageCount implements actor.Mailbox.
func (m *writerMailbox) UserMessageCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.user.len()
}

// stop lets the goroutine end once the mailbox is idle. The writer calls
// it at its Stopped, from the goroutine itself.
func (m *writerMailbox) stop() {
	m.mu.Lock()
	m.stopped = true
	m.mu.Unlock()
	m.kick(false) // so that a parked goroutine sees it
}

func (m *writerMailbox) loop() {
	for range m.wake {
		m.drain()
		m.mu.Lock()
		if m.stopped && !m.running {
			m.exited = true
			m.mu.Unlock()
			close(m.done)
			return
		}
		m.mu.Unlock()
	}
}

// drain handles messages until the mailbox is idle.
func (m *writerMailbox) drain() {
	for m.run() {
	}
}

// run handles messages until none can be taken (it returns false), or
// until one panics (it escalates the panic and returns true).
func (m *writerMailbox) run() (again bool) {
	var msg any
	defer func() {
		if r := recover(); r != nil {
			m.invoker.EscalateFailure(r, msg)
			again = true
		}
	}()
	for i := 1; ; i++ {
		if i%writerThroughput == 0 {
			runtime.Gosched()
		}
		m.mu.Lock()
		if sys, ok := m.system.pop(); ok {
			switch sys.(type) {
			case *actor.SuspendMailbox:
				m.suspended = true
				m.mu.Unlock()
			case *actor.ResumeMailbox:
				m.suspended = false
				m.mu.Unlock()
			default:
				m.mu.Unlock()
				msg = sys
				m.invoker.InvokeSystemMessage(sys)
			}
			continue
		}
		it, ok := mailItem{}, false
		if !m.suspended {
			it, ok = m.user.pop()
		}
		if !ok {
			m.running = false
			m.mu.Unlock()
			return false
		}
		m.mu.Unlock()
		if it.events != 0 || it.bytes != 0 {
			// Counted out before it runs, so that a panic while handling it
			// cannot keep it counted.
			m.adm.release(it.events, it.bytes)
		}
		msg = it.msg
		m.invoker.InvokeUserMessage(it.msg)
	}
}

// takeUser removes the user messages still queued and counts them out of
// the admission bound. The writer calls it as it stops, from the
// goroutine, to answer them rather than leave them to be dropped.
func (m *writerMailbox) takeUser() []any {
	m.mu.Lock()
	var out []any
	for {
		it, ok := m.user.pop()
		if !ok {
			break
		}
		if it.events != 0 || it.bytes != 0 {
			m.adm.release(it.events, it.bytes)
		}
		out = append(out, it.msg)
	}
	m.mu.Unlock()
	return out
}
