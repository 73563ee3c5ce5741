package storage

import (
	"fmt"

	"github.com/batpak-go/batpak/messages"
)

// The slice reads are thin wrappers over the same frame path as Read:
// they collect the events, each payload copied out of the read buffer.

// collect reads the events of src into a slice. The payloads are copied
// into shared chunks, so a large read allocates per chunk, not per event.
func (e *Engine) collect(src refSource) ([]messages.Event, error) {
	out := []messages.Event{}
	var a payloadArena
	var ev messages.Event
	err := e.walk(src, func(en *ref, body []byte) error {
		if err := decodeRef(en, body, &ev); err != nil {
			return err
		}
		if cap(out) == 0 {
			out = make([]messages.Event, 0, max(src.size(), 1))
		}
		ev.Payload = a.clone(ev.Payload)
		out = append(out, ev)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// payloadArena copies payloads into chunks it allocates, each twice the
// last up to arenaChunk, so that one small read allocates little and a
// large one allocates per chunk, not per event.
type payloadArena struct {
	chunk []byte
	next  int // the size of the next chunk
}

const arenaChunk = 64 << 10

// clone copies p (never nil: an empty payload is an empty slice). The copy
// has no spare capacity, so appending to it cannot touch its neighbours.
func (a *payloadArena) clone(p []byte) []byte {
	if len(p) == 0 {
		return []byte{}
	}
	if len(p) > arenaChunk/8 {
		return append(make([]byte, 0, len(p)), p...)
	}
	if len(a.chunk)+len(p) > cap(a.chunk) {
		a.next = min(max(2*a.next, 512), arenaChunk)
		a.chunk = make([]byte, 0, max(a.next, len(p)))
	}
	start := len(a.chunk)
	a.chunk = append(a.chunk, p...)
	return a.chunk[start:len(a.chunk):len(a.chunk)]
}

// lockedRead runs fn under the index's read lock, or returns ErrClosed.
func (e *Engine) lockedRead(fn func(x *index)) error {
	e.idx.mu.RLock()
	defer e.idx.mu.RUnlock()
	if e.idx.closed {
		return ErrClosed
	}
	fn(e.idx)
	return nil
}

// readEntry reads the event of en (its payload copied when withPayload).
func (e *Engine) readEntry(en ref, withPayload bool) (messages.Event, error) {
	var ev messages.Event
	err := e.walk(&refList{refs: []ref{en}}, func(en *ref, body []byte) error {
		if err := decodeRef(en, body, &ev); err != nil {
			return err
		}
		if withPayload {
			ev.Payload = append(make([]byte, 0, len(ev.Payload)), ev.Payload...)
		} else {
			ev.Payload = nil
		}
		return nil
	})
	return ev, err
}

// refList yields refs already copied out of the index.
type refList struct{ refs []ref }

func (l *refList) size() int { return len(l.refs) }

func (l *refList) next(_ *index, dst []ref) ([]ref, bool) {
	k := min(cap(dst)-len(dst), len(l.refs))
	dst = append(dst, l.refs[:k]...)
	l.refs = l.refs[k:]
	return dst, len(l.refs) > 0
}

// Get returns the committed event with the given id, or an error wrapping
// ErrNotFound.
func (e *Engine) Get(id messages.ID) (messages.Event, error) {
	var p uint32
	found := false
	if err := e.lockedRead(func(x *index) { p, found = x.byID.find(id, x.idOf) }); err != nil {
		return messages.Event{}, err
	}
	if !found {
		return messages.Event{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	evs, err := e.collect(newListSource([]uint32{p}))
	if err != nil {
		return messages.Event{}, err
	}
	return evs[0], nil
}

// Stream returns the committed events of one entity with version >=
// fromVersion (versions start at 1), in version order. An unknown entity
// has an empty stream. ReadStream reads the same without collecting.
func (e *Engine) Stream(c messages.Coordinate, fromVersion uint64) ([]messages.Event, error) {
	return e.collect(newStreamSource(c, StreamRange{From: fromVersion}))
}

// Query returns the committed events that match f, in global order (newest
// first with f.Backward). Read reads the same without collecting.
func (e *Engine) Query(f Filter) ([]messages.Event, error) {
	return e.collect(newQuerySource(f))
}

// ByCorrelation returns the committed events whose correlation id is corr
// (a root event's correlation is its own id), in global order.
func (e *Engine) ByCorrelation(corr messages.ID) ([]messages.Event, error) {
	var pos []uint32
	if err := e.lockedRead(func(x *index) {
		p, ok := x.latestOfCorrelation(corr)
		for ok {
			pos = append(pos, p)
			next := x.at(p).corrPrev
			p, ok = next-1, next != 0
		}
	}); err != nil {
		return nil, err
	}
	for i, j := 0, len(pos)-1; i < j; i, j = i+1, j-1 {
		pos[i], pos[j] = pos[j], pos[i]
	}
	return e.collect(newListSource(pos))
}

// Ancestors follows causation links from the event id upward, across
// entities: its cause, the cause's cause, and so on to a root event. It
// returns them nearest first, at most limit of them (0 = no limit). A
// cause that is not stored ends the walk; a cycle (possible only with
// forged absolute causation ids) is cut at the first repeated event.
func (e *Engine) Ancestors(id messages.ID, limit int) ([]messages.Event, error) {
	ev, err := e.Get(id)
	if err != nil {
		return nil, err
	}
	seen := map[messages.ID]bool{id: true}
	var out []messages.Event
	for cause := ev.CausationID; !cause.IsZero() && !seen[cause]; cause = ev.CausationID {
		if limit > 0 && len(out) >= limit {
			break
		}
		seen[cause] = true
		ev, err = e.Get(cause)
		if err != nil {
			if isNotFound(err) {
				break
			}
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}
