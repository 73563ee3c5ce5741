package actors

import (
	"slices"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// readCorrelation answers a ReadCorrelation: the correlation's events from
// FromSeq on, in global order, paged as a forward ReadQuery is (Next is the
// sequence after the page's last event). Each page looks the correlation up
// in the index again (storage.Engine.ByCorrelation), so a page costs the
// whole correlation's events: sagas of thousands, not millions.
func (s *Store) readCorrelation(m *messages.ReadCorrelation) *messages.ReadReply {
	if err := m.Validate(); err != nil {
		return &messages.ReadReply{Failure: messages.ToError(err)}
	}
	limit, _ := messages.ReadLimit(m.Limit)
	r, err := read(s, func(e *storage.Engine) (messages.ReadReply, error) {
		evs, err := e.ByCorrelation(m.ID)
		if err != nil {
			return messages.ReadReply{}, err
		}
		return correlationPage(evs, m.FromSeq, limit), nil
	})
	if err != nil {
		return &messages.ReadReply{Failure: messages.ToError(err)}
	}
	return &r
}

// correlationPage cuts one page out of evs (in sequence order): the events
// at or after from, at most limit of them and no more payload bytes than
// messages.MaxReadPageBytes (at least one event when one is left).
func correlationPage(evs []messages.Event, from uint64, limit int) messages.ReadReply {
	i, _ := slices.BinarySearchFunc(evs, from, func(ev messages.Event, seq uint64) int {
		switch {
		case ev.Sequence < seq:
			return -1
		case ev.Sequence > seq:
			return 1
		}
		return 0
	})
	var out messages.ReadReply
	bytes := 0
	for _, ev := range evs[i:] {
		n := len(out.Events)
		if n == limit || (n > 0 && bytes+len(ev.Payload) > messages.MaxReadPageBytes) {
			out.Next = out.Events[n-1].Sequence + 1
			return out
		}
		out.Events = append(out.Events, ev)
		bytes += len(ev.Payload)
	}
	out.End = true
	return out
}
