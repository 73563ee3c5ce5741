package storage

import (
	"fmt"
	"iter"
	"slices"

	"github.com/batpak-go/batpak/messages"
)

// Descendants returns every committed event that id caused, directly or
// through other events (causation forward, across entities), in global
// order: the reverse walk of Ancestors. Only events later in the log than
// their cause are followed (a causation can name a later event only with
// forged ids), so the walk always ends. An unknown id is an error wrapping
// ErrNotFound; an event that caused nothing has no descendants (an empty
// slice).
//
// Causation is indexed in memory for the events committed since Open; the
// causation of the events Open loaded is read from their frames on the
// first Descendants that needs it, once, and only from the queried event
// on: asking about a recent event reads the events after it, asking about
// the log's first event reads the whole log.
func (e *Engine) Descendants(id messages.ID) ([]messages.Event, error) {
	pos, err := e.descendants(id)
	if err != nil {
		return nil, err
	}
	return e.collect(newListSource(pos))
}

// ReadDescendants is Descendants as an iterator, with everything Read says
// about payloads, errors and the end of the loop: it finds the
// descendants' positions first, then reads their frames a run at a time
// without collecting them.
func (e *Engine) ReadDescendants(id messages.ID) iter.Seq2[messages.Event, error] {
	return func(yield func(messages.Event, error) bool) {
		pos, err := e.descendants(id)
		if err != nil {
			yield(messages.Event{}, err)
			return
		}
		e.yieldEvents(newListSource(pos), yield)
	}
}

// descendants returns the positions of id's descendants, ascending.
func (e *Engine) descendants(id messages.ID) ([]uint32, error) {
	var root uint32
	found := false
	if err := e.lockedRead(func(x *index) { root, found = x.byID.find(id, x.idOf) }); err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err := e.fillCauses(root + 1); err != nil {
		return nil, err
	}
	var out []uint32
	err := e.lockedRead(func(x *index) {
		out = x.causes.children(id, root, out)
		for i := 0; i < len(out); i++ { // breadth first; out grows as it goes
			p := out[i]
			out = x.causes.children(x.idOf(p), p, out)
		}
	})
	slices.Sort(out)
	return out, err
}

// fillStep is how many positions fillCauses reads before it adds their
// records to the table (under the index's write lock).
const fillStep = 1 << 16

// fillCauses makes the causation table complete from position lo up,
// reading the causation ids of the events below its known mark from their
// frames, in steps downward from the mark, so that the index's write lock
// is held only to add each step's records. Concurrent fills take turns.
func (e *Engine) fillCauses(lo uint32) error {
	x := e.idx
	x.mu.RLock()
	known := x.causes.known
	x.mu.RUnlock()
	if lo >= known {
		return nil
	}
	x.causes.fill.Lock()
	defer x.causes.fill.Unlock()
	type caused struct {
		pos   uint32
		cause messages.ID
	}
	var found []caused
	for {
		x.mu.RLock()
		hi := x.causes.known
		x.mu.RUnlock()
		if lo >= hi {
			return nil
		}
		step := uint32(fillStep)
		if x.causes.step > 0 {
			step = x.causes.step
		}
		from := max(lo, hi-min(hi, step))
		found = found[:0]
		p := from
		var ev messages.Event
		err := e.walk(&posRange{from: from, to: hi}, func(en *ref, body []byte) error {
			if err := decodeRef(en, body, &ev); err != nil {
				return err
			}
			if !ev.CausationID.IsZero() {
				found = append(found, caused{p, ev.CausationID})
			}
			p++
			return nil
		})
		if err != nil {
			return err
		}
		x.mu.Lock()
		for _, c := range found {
			x.causes.add(c.pos, c.cause)
		}
		x.causes.known = from
		x.mu.Unlock()
	}
}

// posRange yields the refs of the positions [from, to), in order.
type posRange struct{ from, to uint32 }

func (r *posRange) size() int { return int(r.to - r.from) }

func (r *posRange) next(x *index, dst []ref) ([]ref, bool) {
	for len(dst) < cap(dst) && r.from < r.to {
		dst = append(dst, x.ref(r.from))
		r.from++
	}
	return dst, r.from < r.to
}
