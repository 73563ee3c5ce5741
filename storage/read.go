package storage

import (
	"fmt"
	"strings"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
)

// Reads take the index's read lock only to copy the entries they need, then
// read frames with ReadAt (safe alongside the writer) and check each frame's
// checksum: a damaged frame is reported as a *CorruptionError, never
// returned as data.

// loadBody reads the frame of a committed entry and returns its checked body.
func (e *Engine) loadBody(en ref) ([]byte, error) {
	e.idx.mu.RLock()
	f, ok := e.idx.segments[uint64(en.segment)]
	closed := e.idx.closed
	if ok && !closed {
		f.acquire()
	}
	e.idx.mu.RUnlock()
	if closed {
		return nil, ErrClosed
	}
	if !ok {
		return nil, en.corrupt("segment is not open")
	}
	defer f.release()
	buf := make([]byte, en.size)
	if _, err := f.ReadAt(buf, int64(en.offset)); err != nil { // f cannot close under us: we hold a reference
		return nil, fmt.Errorf("storage: read segment %d at %d: %w: %w", en.segment, en.offset, messages.ErrIO, err)
	}
	body, n, err := format.DecodeFrame(buf)
	if err != nil || n != len(buf) {
		return nil, en.corrupt(fmt.Sprintf("frame: %v", err))
	}
	return body, nil
}

func (en ref) corrupt(reason string) error {
	return &CorruptionError{Segment: uint64(en.segment), Offset: int64(en.offset), Reason: reason}
}

// readEntry reads and decodes the frame of a committed entry.
func (e *Engine) readEntry(en ref, withPayload bool) (messages.Event, error) {
	body, err := e.loadBody(en)
	if err != nil {
		return messages.Event{}, err
	}
	return decodeEntry(en, body, withPayload)
}

func decodeEntry(en ref, body []byte, withPayload bool) (messages.Event, error) {
	var ev messages.Event
	if err := format.DecodeEvent(body, &ev, withPayload); err != nil {
		return messages.Event{}, en.corrupt(err.Error())
	}
	if ev.ID != en.id || ev.Sequence != en.seq || ev.Kind != en.kind || ev.CorrelationID != en.corr ||
		ev.Coordinate != en.coord {
		return messages.Event{}, en.corrupt("frame holds another event than the index says")
	}
	ev.Segment, ev.Offset = uint64(en.segment), int64(en.offset)
	return ev, nil
}

// readEntries reads the frames of entries, in order.
func (e *Engine) readEntries(ens []ref) ([]messages.Event, error) {
	out := make([]messages.Event, 0, len(ens))
	for _, en := range ens {
		ev, err := e.readEntry(en, true)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
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

// Get returns the committed event with the given id, or an error wrapping
// ErrNotFound.
func (e *Engine) Get(id messages.ID) (messages.Event, error) {
	var en ref
	found := false
	if err := e.lockedRead(func(x *index) {
		var p uint32
		if p, found = x.byID.find(id, x.idOf); found {
			en = x.ref(p)
		}
	}); err != nil {
		return messages.Event{}, err
	}
	if !found {
		return messages.Event{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return e.readEntry(en, true)
}

// Stream returns the committed events of one entity with version >=
// fromVersion (versions start at 1), in version order. An unknown entity
// has an empty stream.
func (e *Engine) Stream(c messages.Coordinate, fromVersion uint64) ([]messages.Event, error) {
	var ens []ref
	if err := e.lockedRead(func(x *index) {
		s, _ := x.lookupStream(c)
		if s == nil {
			return
		}
		from := max(fromVersion, 1) - 1
		for v := from; v < uint64(len(s.pos)); v++ {
			ens = append(ens, x.ref(s.pos[v]))
		}
	}); err != nil {
		return nil, err
	}
	return e.readEntries(ens)
}

// Filter selects events for Query. Zero fields select everything.
type Filter struct {
	// EntityPrefix keeps entities that start with it.
	EntityPrefix string
	// Scope keeps only this scope (exact match) when non-empty.
	Scope string
	// Kinds keeps only these kinds when non-empty.
	Kinds []messages.EventKind
	// FromSeq and ToSeq bound the global sequence (inclusive); ToSeq 0
	// means no upper bound.
	FromSeq, ToSeq uint64
	// Limit caps the number of events returned; 0 means no cap.
	Limit int
}

// Match reports whether ev passes the filter's entity prefix, scope and
// kinds (the sequence bounds and the limit are not looked at): what the
// fanout applies to live events.
func (f *Filter) Match(ev *messages.Event) bool {
	return f.matchStream(ev.Coordinate) && f.matchKind(ev.Kind)
}

func (f *Filter) matchStream(c messages.Coordinate) bool {
	return strings.HasPrefix(c.Entity, f.EntityPrefix) && (f.Scope == "" || f.Scope == c.Scope)
}

func (f *Filter) matchKind(k messages.EventKind) bool {
	if len(f.Kinds) == 0 {
		return true
	}
	for _, want := range f.Kinds {
		if k == want {
			return true
		}
	}
	return false
}

// Query returns the committed events that match f, in global order.
func (e *Engine) Query(f Filter) ([]messages.Event, error) {
	var ens []ref
	if err := e.lockedRead(func(x *index) {
		streamOK := make([]int8, len(x.streams)) // 0 unknown, 1 match, -1 no
		for i := x.bySeq(f.FromSeq); i < x.count(); i++ {
			en := x.at(uint32(i))
			if f.ToSeq != 0 && x.seqOf(uint32(i)) > f.ToSeq {
				break
			}
			if streamOK[en.stream] == 0 {
				streamOK[en.stream] = -1
				if f.matchStream(x.streams[en.stream].coord) {
					streamOK[en.stream] = 1
				}
			}
			if streamOK[en.stream] < 0 || !f.matchKind(en.kind) {
				continue
			}
			ens = append(ens, x.ref(uint32(i)))
			if f.Limit > 0 && len(ens) >= f.Limit {
				break
			}
		}
	}); err != nil {
		return nil, err
	}
	return e.readEntries(ens)
}

// ByCorrelation returns the committed events whose correlation id is corr
// (a root event's correlation is its own id), in global order.
func (e *Engine) ByCorrelation(corr messages.ID) ([]messages.Event, error) {
	var ens []ref
	if err := e.lockedRead(func(x *index) {
		p, ok := x.latestOfCorrelation(corr)
		for ok {
			ens = append(ens, x.ref(p))
			next := x.at(p).corrPrev
			p, ok = next-1, next != 0
		}
	}); err != nil {
		return nil, err
	}
	for i, j := 0, len(ens)-1; i < j; i, j = i+1, j-1 {
		ens[i], ens[j] = ens[j], ens[i]
	}
	return e.readEntries(ens)
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
