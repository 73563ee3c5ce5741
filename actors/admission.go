package actors

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
)

// admission bounds the appends queued in the writer's mailbox, in events
// and in payload bytes (Config.MaxQueuedEvents, MaxQueuedBytes). An append
// that does not fit is not queued: its sender is answered at once with
// messages.ErrOverloaded, so a fast producer learns to back off instead of
// growing the writer's mailbox without bound. Every other message (system
// messages, the writer's own, unknown ones) always passes.
type admission struct {
	sh                  *shared
	maxEvents, maxBytes int64
	depth               *queueDepth
	fullEvents          *messages.Error // the refusals' errors, made once
	fullBytes           *messages.Error

	// room wakes the Go API's callers waiting for the queue to fall to half
	// its bounds; armed says someone waits, so the writer touches the lock
	// only then.
	armed atomic.Bool
	mu    sync.Mutex
	room  chan struct{}
}

// queueDepth is what the writer's queue holds (the operator's gauges read
// it).
type queueDepth struct {
	events, bytes atomic.Int64
	refused       atomic.Int64 // answered ErrOverloaded
	dropped       atomic.Int64 // refused without a sender to answer
}

func newAdmission(sh *shared) *admission {
	cfg := sh.cfg
	a := &admission{sh: sh, maxEvents: int64(cfg.MaxQueuedEvents), maxBytes: int64(cfg.MaxQueuedBytes),
		depth: &queueDepth{}, room: make(chan struct{})}
	a.fullEvents = &messages.Error{Code: messages.CodeOverloaded, Message: fmt.Sprintf(
		"batpak writer: overloaded: %d events queued (Config.MaxQueuedEvents); back off and retry", cfg.MaxQueuedEvents)}
	a.fullBytes = &messages.Error{Code: messages.CodeOverloaded, Message: fmt.Sprintf(
		"batpak writer: overloaded: %d payload bytes queued (Config.MaxQueuedBytes); back off and retry", cfg.MaxQueuedBytes)}
	return a
}

// writerProps makes the store's admission (sh.adm) and the writer's
// mailbox (sh.mailbox), which enforces it, and returns the writer's props.
func writerProps(sh *shared) *actor.Props {
	sh.adm = newAdmission(sh)
	sh.mailbox = newWriterMailbox(sh.adm)
	mb := sh.mailbox
	return actor.PropsFromProducer(newWriter(sh), actor.WithMailbox(func() actor.Mailbox { return mb }))
}

// sizeOf returns the events and payload bytes of an append request, and
// whether msg is one.
func sizeOf(msg any) (events, bytes int64, batch, ok bool) {
	switch m := msg.(type) {
	case *messages.Append:
		if m == nil {
			return 0, 0, false, false // the writer answers it at once
		}
		return 1, int64(len(m.Payload)), false, true
	case *messages.AppendBatch:
		if m == nil {
			return 0, 0, true, false
		}
		for i := range m.Items {
			bytes += int64(len(m.Items[i].Payload))
		}
		return int64(len(m.Items)), bytes, true, true
	}
	return 0, 0, false, false
}

// admit counts a request of n events and b bytes in, or returns the error
// to refuse it with. A request alone in an empty queue is always admitted,
// so that one larger than the bounds is not refused forever. Concurrent
// senders may see each other's counts for a moment and refuse one that
// would have fitted; the bounds themselves are never exceeded.
func (a *admission) admit(n, b int64) *messages.Error {
	e := a.depth.events.Add(n)
	by := a.depth.bytes.Add(b)
	if (e <= a.maxEvents && by <= a.maxBytes) || (e == n && by == b) {
		return nil
	}
	a.release(n, b)
	if e > a.maxEvents {
		return a.fullEvents
	}
	return a.fullBytes
}

// release counts out a request the writer took (or one admit refused), and
// wakes the waiters once the queue is down to half its bounds.
func (a *admission) release(n, b int64) {
	e := a.depth.events.Add(-n)
	by := a.depth.bytes.Add(-b)
	if a.armed.Load() && e <= a.maxEvents/2 && by <= a.maxBytes/2 {
		a.mu.Lock()
		if a.armed.Load() {
			a.armed.Store(false)
			close(a.room)
			a.room = make(chan struct{})
		}
		a.mu.Unlock()
	}
}

// hasRoom reports whether the queue is at most half full.
func (a *admission) hasRoom() bool {
	return a.depth.events.Load() <= a.maxEvents/2 && a.depth.bytes.Load() <= a.maxBytes/2
}

// waitRoom waits until the queue is at most half full, ctx is done, or
// stopped is closed. It returns ctx.Err() in the second case.
func (a *admission) waitRoom(ctx context.Context, stopped <-chan struct{}) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	a.mu.Lock()
	a.armed.Store(true)
	room := a.room
	a.mu.Unlock()
	// Armed before looking: a release after this look sees armed and wakes us.
	if a.hasRoom() {
		return nil
	}
	select {
	case <-room:
		return nil
	case <-stopped:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// refuse answers the sender of a request that was not admitted.
func (a *admission) refuse(sender *actor.PID, batch bool, err *messages.Error) {
	a.depth.refused.Add(1)
	if sender == nil {
		a.depth.dropped.Add(1)
		a.sh.tel.overloaded.Add(context.Background(), 1, a.sh.tel.answeredNo)
		return
	}
	a.sh.tel.overloaded.Add(context.Background(), 1, a.sh.tel.answeredYes)
	a.sh.sys.Root.Send(sender, failure(batch, err))
}
