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
	groupSlices
	seg   uint64        // segment the next frame lands in
	size  int64         // its size after the frames staged so far
	spare []groupSlices // slices of published groups, for reuse
	batch batchScratch
}

// groupSlices are the per-event slices of a group, by staged index; Write
// hands them to the group's Pending, Publish gives them back for reuse.
type groupSlices struct {
	events []messages.Event // staged events (no payload)
	sizes  []int            // frame size of each event
	heads  []*streamHead    // the stream of each event
}

// Initial capacities of the staging buffers, so that the first groups of a
// session do not grow them step by step.
const (
	stageBufBytes = 256 << 10
	stageEvents   = 256
)

// recycle keeps the slices of a published group for a later one.
// A group whose events were handed to the caller (PublishEvents) gets a
// new events slice of the same capacity.
func (s *staging) recycle(g groupSlices) {
	if g.events == nil {
		g.events = make([]messages.Event, 0, cap(g.sizes))
	}
	if len(s.spare) < 4 {
		clear(g.events) // drop string references
		clear(g.heads)
		s.spare = append(s.spare, groupSlices{g.events[:0], g.sizes[:0], g.heads[:0]})
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
	if s.buf == nil {
		s.buf = make([]byte, 0, stageBufBytes)
	}
	s.buf = s.buf[:0]
	s.frames = s.frames[:0]
	switch n := len(s.spare); {
	case drop:
		clear(s.events) // drop string references
		clear(s.heads)
		s.events, s.sizes, s.heads = s.events[:0], s.sizes[:0], s.heads[:0]
	case n > 0:
		s.groupSlices = s.spare[n-1]
		s.spare = s.spare[:n-1]
	default: // a Pending took them: new ones, as large as its
		c := max(len(s.events), stageEvents)
		s.groupSlices = groupSlices{make([]messages.Event, 0, c), make([]int, 0, c), make([]*streamHead, 0, c)}
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
// published: each entity's tail, so that the next append chains to it (its
// streamHead), and the receipts of keyed events, so that a retry finds
// them. Each keyed entry remembers the group (gen) that set it; publishing
// a group forgets the entries it still owns, since the index then has them.
type overlay struct {
	heads streamHeads
	keyed map[messages.ID]genReceipt
}

type genReceipt struct {
	r   messages.Receipt
	gen uint64
}

// record remembers the receipt of a keyed event (only keyed ids can be
// retried).
func (o *overlay) record(ev *messages.Event, gen uint64) {
	if !isKeyedID(ev.ID) {
		return
	}
	if o.keyed == nil {
		o.keyed = make(map[messages.ID]genReceipt)
	}
	o.keyed[ev.ID] = genReceipt{ev.Receipt(), gen}
}

func (o *overlay) forget(evs []messages.Event, gen uint64) {
	if len(o.keyed) == 0 {
		return
	}
	for i := range evs {
		ev := &evs[i]
		if r, ok := o.keyed[ev.ID]; ok && r.gen == gen {
			delete(o.keyed, ev.ID)
		}
	}
}

func (o *overlay) reset() { clear(o.keyed) }

// isKeyedID reports whether id was derived from an idempotency key
// (messages.IDFromKey makes version-8 UUIDs; new events get version 7).
func isKeyedID(id messages.ID) bool { return id[6]>>4 == 8 }

// detachPayloads drops the staged events' references to the callers'
// payload slices. With retain, each payload is replaced by its bytes in one
// copy of the written frames (a payload is the last field before an event
// frame's metadata, if any, and its hash), so that what is handed on is
// exactly what was written.
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
		end := f.bufOff + f.size - format.HashFieldBytes - format.MetadataSize(ev.Metadata)
		ev.Payload = slab[end-len(ev.Payload) : end : end]
	}
}
