package storage

import (
	"bytes"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
)

// staging holds what Append and AppendBatch produced since the last Write
// (or Commit): encoded frames in write order and where each lands. Nothing
// here is visible to readers or on disk. gen numbers the group being
// staged; Write hands the group over to a Pending and starts the next.
type staging struct {
	gen    uint64
	buf    []byte
	frames []stagedFrame
	events []messages.Event // staged events (no payload), by staged index
	sizes  []int            // frame size of each staged event
	seg    uint64           // segment the next frame lands in
	size   int64            // its size after the frames staged so far
	spare  []groupSlices    // slices of published groups, for reuse
}

type groupSlices struct {
	events []messages.Event
	sizes  []int
}

// recycle keeps the slices of a published group for a later one.
func (s *staging) recycle(events []messages.Event, sizes []int) {
	if len(s.spare) < 4 {
		clear(events) // drop string references
		s.spare = append(s.spare, groupSlices{events[:0], sizes[:0]})
	}
}

// stagedFrame locates one staged frame.
type stagedFrame struct {
	typ     int
	seg     uint64
	offset  int64 // in seg
	bufOff  int   // in staging.buf
	size    int
	event   int // staged index for events
	m       format.Marker
	synced  int64 // of a sync mark
	rotated bool  // seg is a new segment that starts with this frame
}

func (s *staging) empty() bool { return len(s.frames) == 0 }

// reset drops the staged frames; the events and sizes slices are left to
// whoever took them (a Pending) unless drop is true.
func (s *staging) reset(seg uint64, size int64, drop bool) {
	s.buf = s.buf[:0]
	s.frames = s.frames[:0]
	if drop {
		clear(s.events) // drop string references
		s.events, s.sizes = s.events[:0], s.sizes[:0]
	} else if n := len(s.spare); n > 0 {
		s.events, s.sizes = s.spare[n-1].events, s.spare[n-1].sizes
		s.spare = s.spare[:n-1]
	} else {
		s.events, s.sizes = nil, nil
	}
	s.seg, s.size = seg, size
}

// place decides where the frame just appended to buf at bufOff lands,
// rotating to a new segment when it would push the current one past limit.
func (s *staging) place(typ, bufOff int, limit int64) *stagedFrame {
	size := len(s.buf) - bufOff
	rotated := false
	if s.size > format.HeaderSize && s.size+int64(size) > limit {
		s.seg++
		s.size = format.HeaderSize
		rotated = true
	}
	s.frames = append(s.frames, stagedFrame{
		typ: typ, seg: s.seg, offset: s.size, bufOff: bufOff, size: size, event: -1, rotated: rotated,
	})
	s.size += int64(size)
	return &s.frames[len(s.frames)-1]
}

// overlay is what appends must see of events staged or written but not yet
// published: each entity's tail, so that the next append chains to it, and
// the receipts of keyed events, so that a retry finds them. Each entry
// remembers the group (gen) that set it; publishing a group forgets the
// entries it still owns, since the index then has them.
type overlay struct {
	tails map[messages.Coordinate]genTail
	keyed map[messages.ID]genReceipt
}

type genTail struct {
	tail
	gen uint64
}

type genReceipt struct {
	r   messages.Receipt
	gen uint64
}

func (o *overlay) record(ev *messages.Event, gen uint64) {
	if o.tails == nil {
		o.tails = make(map[messages.Coordinate]genTail)
		o.keyed = make(map[messages.ID]genReceipt)
	}
	o.tails[ev.Coordinate] = genTail{tail{version: ev.Version, hash: ev.Hash, wall: ev.WallMS}, gen}
	if isKeyedID(ev.ID) { // only keyed ids can be retried
		o.keyed[ev.ID] = genReceipt{ev.Receipt(), gen}
	}
}

func (o *overlay) forget(evs []messages.Event, gen uint64) {
	for i := range evs {
		ev := &evs[i]
		if t, ok := o.tails[ev.Coordinate]; ok && t.gen == gen {
			delete(o.tails, ev.Coordinate)
		}
		if r, ok := o.keyed[ev.ID]; ok && r.gen == gen {
			delete(o.keyed, ev.ID)
		}
	}
}

func (o *overlay) reset() {
	clear(o.tails)
	clear(o.keyed)
}

// isKeyedID reports whether id was derived from an idempotency key
// (messages.IDFromKey makes version-8 UUIDs; new events get version 7).
func isKeyedID(id messages.ID) bool { return id[6]>>4 == 8 }

// detachPayloads drops the staged events' references to the callers'
// payload slices. With retain, each payload is replaced by its bytes in one
// copy of the written frames (a payload is the last field before an event
// frame's hash), so that what is handed on is exactly what was written.
func (s *staging) detachPayloads(retain bool) {
	if !retain {
		for i := range s.events {
			s.events[i].Payload = nil
		}
		return
	}
	slab := bytes.Clone(s.buf)
	for i := range s.frames {
		f := &s.frames[i]
		if f.typ != format.TypeEvent {
			continue
		}
		ev := &s.events[f.event]
		end := f.bufOff + f.size - format.HashFieldBytes
		ev.Payload = slab[end-len(ev.Payload) : end : end]
	}
}
