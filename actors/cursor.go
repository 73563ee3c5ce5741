package actors

import (
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// Cursor makes a subscriber see every committed event that matches its
// filter exactly once, in global order, whatever its queue dropped: it
// skips what it has already delivered, and on a messages.Gap it reads the
// log from where it is up to the present, then goes on with live
// notifications. Use one per subscriber actor, from its Receive:
//
//	default:
//		if handled, err := a.cursor.Handle(ctx.Message(), a.apply); handled { ... }
//
// It takes its starting point from the *messages.Subscribed the fanout
// sends first.
type Cursor struct {
	store  *Store
	filter storage.Filter
	next   uint64 // the next sequence to deliver; earlier ones are skipped
	// CaughtUp counts the events delivered from the log after gaps.
	CaughtUp int
	// Gaps counts the gaps handled.
	Gaps int
}

// NewCursor returns a cursor for a subscriber registered with filter.
func (s *Store) NewCursor(filter storage.Filter) *Cursor {
	filter.FromSeq, filter.ToSeq, filter.Limit = 0, 0, 0
	return &Cursor{store: s, filter: filter}
}

// Next returns the sequence the cursor will deliver next.
func (c *Cursor) Next() uint64 { return c.next }

// Handle processes a Subscribed, Notification or Gap, calling deliver for
// each event in order, and reports whether msg was one of them. It stops at the first
// error of deliver or of reading the log (the event is then delivered again
// by the next Handle).
func (c *Cursor) Handle(msg any, deliver func(messages.Event) error) (bool, error) {
	switch m := msg.(type) {
	case *messages.Subscribed:
		c.next = m.From
		return true, nil
	case *messages.Notification:
		for _, ev := range m.Events {
			if ev.Sequence < c.next {
				continue
			}
			if err := deliver(ev); err != nil {
				return true, err
			}
			c.next = ev.Sequence + 1
		}
		return true, nil
	case *messages.Gap:
		c.Gaps++
		return true, c.catchUp(deliver)
	}
	return false, nil
}

// catchUp delivers the matching events from c.next up to the present.
func (c *Cursor) catchUp(deliver func(messages.Event) error) error {
	st, err := c.store.Stats()
	if err != nil {
		return err
	}
	for c.next < st.NextSequence {
		f := c.filter
		f.FromSeq, f.ToSeq, f.Limit = c.next, st.NextSequence-1, 1024
		evs, err := c.store.Query(f)
		if err != nil {
			return err
		}
		for _, ev := range evs {
			if err := deliver(ev); err != nil {
				return err
			}
			c.next = ev.Sequence + 1
			c.CaughtUp++
		}
		if len(evs) < f.Limit {
			c.next = max(c.next, st.NextSequence)
		}
	}
	return nil
}
