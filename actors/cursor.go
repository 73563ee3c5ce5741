package actors

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// Cursor makes a subscriber see every committed event that matches its
// filter exactly once, in global order, whatever its queue dropped and
// whatever its own handler did: it skips what it has already delivered,
// and when it may have missed something it reads the log from where it is
// up to the present, then goes on with live notifications. Use one per
// subscriber actor, and hand it every message from its Receive (Started
// included):
//
//	if handled, err := a.cursor.Handle(ctx.Message(), a.apply); handled { ... }
//
// It takes its starting point from the *messages.Subscribed the fanout
// sends first.
//
// The Cursor must outlive the actor instance: create it outside the
// actor's producer and hand it to every instance, as in
//
//	cur := store.NewCursor(filter)
//	store.Subscribe(actor.PropsFromProducer(func() actor.Actor { return &mine{cur} }), filter, 0)
//
// so that an instance restarted after a panic goes on from where the
// failed one stopped. A subscriber made with SubscribeRemote on another
// node uses one made by NewRemoteCursor, which reads through the store's
// reader there. One actor at a time uses it (it is not safe for
// concurrent use).
//
// Redelivery: the Cursor's position is the first event not yet delivered
// successfully. When deliver returns an error or panics on an event, the
// Cursor stays at that event and marks itself behind (a panic goes on
// propagating; protoactor then restarts the actor and drops the message).
// The next Handle of a *messages.Notification, *messages.Gap or
// *actor.Started, or an explicit Retry, first reads the log from that event
// up to the present and delivers what matches, and only then delivers the
// live events of the message, skipping those it has delivered. So the failed event is delivered again (first), and every
// later one exactly once, in order; Started makes a restarted actor catch
// up at once, before its next notification. Notifications are filtered, so
// their sequences are sparse and a hole cannot be seen in them: the Cursor
// relies on remembering that it is behind. While it is behind, every such
// Handle retries until a catch-up succeeds (an event the handler always
// fails on is retried each time, and nothing after it is delivered). A
// failure to read the log (on a gap or a retry) leaves it behind in the
// same way.
type Cursor struct {
	log    cursorLog // where catch-ups read: the store, or a remote reader
	filter storage.Filter
	next   uint64 // the next sequence to deliver; earlier ones are skipped
	behind bool   // a delivery failed: read the log from next before going on
	start  uint64 // NewCursorFrom: where delivery starts, whatever Subscribed says
	fixed  bool   // start was given
	// CaughtUp counts the events delivered from the log (after gaps and
	// failed deliveries).
	CaughtUp int
	// Gaps counts the gaps handled.
	Gaps int
}

// NewCursor returns a cursor for a subscriber registered with filter. It
// starts where the subscription starts (the *messages.Subscribed's From).
func (s *Store) NewCursor(filter storage.Filter) *Cursor {
	filter.FromSeq, filter.BeforeSeq, filter.Limit, filter.Backward = 0, 0, 0, false
	return &Cursor{log: localLog{s}, filter: filter}
}

// NewCursorFrom returns a cursor for a subscriber registered with filter
// that starts at global sequence from instead of where the subscription
// starts: typically a stored checkpoint, the first sequence a projection
// or a reactor has not handled yet (0: the whole log). When the
// subscriber's *messages.Subscribed arrives, the cursor first reads the
// log from from up to the present, delivering what matches (deliver runs
// inside that Handle call), then goes on with the live notifications,
// skipping what it has read: every matching event of sequence >= from is
// delivered exactly once, in order, under the same redelivery rule as
// NewCursor's (a failed catch-up is taken up again by the next message).
// A from beyond the subscription's start skips the events before from.
//
// The catch-up runs in the subscriber's Receive, so the actor handles no
// other message until it is done (a million events: about a second);
// notifications that overflow its queue meanwhile become a Gap, which the
// cursor covers from the log as usual. To split a long catch-up into
// steps, let deliver return an error once a step has run long enough and
// send the actor a message of its own: the cursor stays at that event
// (Behind) and the next message, or Retry, carries on from it
// (es/projection and es/reactor do this).
func (s *Store) NewCursorFrom(filter storage.Filter, from uint64) *Cursor {
	c := s.NewCursor(filter)
	c.start, c.fixed, c.next = from, true, from
	return c
}

// Next returns the sequence the cursor will deliver next.
func (c *Cursor) Next() uint64 { return c.next }

// Behind reports whether a delivery failed and has not been retried
// successfully yet.
func (c *Cursor) Behind() bool { return c.behind }

// Handle processes a Subscribed, Notification, Gap or actor Started,
// calling deliver for each event in order, and reports whether msg was a
// Subscribed, Notification or Gap (Started reports false, since the actor
// may have its own use for it). It stops at the first error of deliver or
// of reading the log; see the Cursor's redelivery rule.
func (c *Cursor) Handle(msg any, deliver func(messages.Event) error) (bool, error) {
	switch m := msg.(type) {
	case *messages.Subscribed:
		if m == nil { // not one the store sends: ignore it
			return true, nil
		}
	case *messages.Notification:
		if m == nil {
			return true, nil
		}
	case *messages.Gap:
		if m == nil {
			return true, nil
		}
	}
	switch m := msg.(type) {
	case *messages.Subscribed:
		if !c.fixed {
			c.next = m.From
			return true, nil
		}
		if c.next < m.From {
			return true, c.catchUp(deliver)
		}
		return true, nil
	case *messages.Notification:
		if err := c.Retry(deliver); err != nil {
			return true, err
		}
		for _, ev := range m.Events {
			if ev.Sequence < c.next {
				continue
			}
			if err := c.one(ev, deliver); err != nil {
				return true, err
			}
		}
		return true, nil
	case *messages.Gap:
		c.Gaps++
		return true, c.catchUp(deliver)
	case *actor.Started:
		return false, c.Retry(deliver)
	}
	return false, nil
}

// Retry catches up from the log if a delivery failed (Behind), delivering
// the failed event and every later matching one up to the present. It does
// nothing otherwise.
func (c *Cursor) Retry(deliver func(messages.Event) error) error {
	if !c.behind {
		return nil
	}
	return c.catchUp(deliver)
}

// CatchUp reads the log from the cursor's position up to the present now,
// delivering what matches, as a Gap would: a subscriber that must know it
// has seen everything committed so far (for example to answer "have you
// applied sequence N?" for an N its filter does not match) calls it. The
// live notifications still queued are then skipped up to where it read.
func (c *Cursor) CatchUp(deliver func(messages.Event) error) error {
	return c.catchUp(deliver)
}

// one delivers ev and moves past it. If deliver fails or panics, the
// cursor stays at ev and is behind; a panic goes on propagating.
func (c *Cursor) one(ev messages.Event, deliver func(messages.Event) error) error {
	ok := false
	defer func() {
		if !ok {
			c.behind = true
		}
	}()
	if err := deliver(ev); err != nil {
		return err
	}
	ok = true
	c.next = ev.Sequence + 1
	return nil
}

// catchUp delivers the matching events from c.next up to the present, and
// is no longer behind once it has.
func (c *Cursor) catchUp(deliver func(messages.Event) error) error {
	c.behind = true // until the log has been read to the end
	end, bounded, err := c.log.horizon()
	if err != nil {
		return err
	}
	for !bounded || c.next < end {
		evs, last, err := c.log.page(c.filter, c.next, end, catchUpPage)
		if err != nil {
			return err
		}
		for _, ev := range evs {
			if err := c.one(ev, deliver); err != nil {
				return err
			}
			c.CaughtUp++
		}
		if last || len(evs) == 0 {
			if bounded {
				c.next = max(c.next, end)
			}
			break
		}
	}
	c.behind = false
	return nil
}

// catchUpPage is the most events a catch-up reads at once.
const catchUpPage = 1024

// cursorLog is where a Cursor reads what it may have missed: the store
// itself (NewCursor) or a store's reader on another node
// (NewRemoteCursor).
type cursorLog interface {
	// horizon returns where a catch-up that begins now ends (exclusive)
	// and true; or false when the log offers no such bound, and the
	// catch-up then reads until a page is the last.
	horizon() (end uint64, bounded bool, err error)
	// page reads at most limit events that match f (its entity prefix,
	// scope and kinds), of sequence >= from and < before (0: no bound), in
	// order, and reports whether they are the last such events.
	page(f storage.Filter, from, before uint64, limit int) (evs []messages.Event, last bool, err error)
}

// localLog reads the Cursor's store directly.
type localLog struct{ s *Store }

func (l localLog) horizon() (uint64, bool, error) {
	st, err := l.s.Stats()
	return st.NextSequence, true, err
}

func (l localLog) page(f storage.Filter, from, before uint64, limit int) ([]messages.Event, bool, error) {
	f.FromSeq, f.BeforeSeq, f.Limit = from, before, limit
	evs, err := l.s.Query(f)
	return evs, len(evs) < limit, err
}
