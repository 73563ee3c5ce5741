package storage

import (
	"sync"
	"unsafe"

	"github.com/batpak-go/batpak/messages"
)

// causeTable is the index's causation side table, the reverse of the
// causation ids events carry: for a cause, the events it caused. It holds
// a record only for events with a causation (most events are roots), in
// memory only: checkpoints and footers do not carry causation ids, so the
// events an Open loads are not in it at first. known says how far down it
// is complete: every event at a position >= known that has a causation has
// its record. Publish adds the records of new events; Descendants reads
// the frames of older ones on demand (fillCauses), downward from known, so
// that Open costs nothing more and a query about a recent event reads only
// the events after it, once.
type causeTable struct {
	recs   chunks[causeRec] // in no particular order
	latest posTable         // cause id -> index of its most recently added record
	known  uint32
	fill   sync.Mutex // held by the fill under way (not by readers or publish)
	step   uint32     // positions a fill reads per step; 0: fillStep (tests set less)
}

// causeRec says that the event at pos was caused by cause; prev is 1 + the
// index of the record added before it for the same cause (0: none).
type causeRec struct {
	cause messages.ID
	pos   uint32
	prev  uint32
}

func (t *causeTable) causeOf(i uint32) messages.ID { return t.recs.at(i).cause }

// add records that the event at pos was caused by cause (zero: a root,
// nothing recorded).
func (t *causeTable) add(pos uint32, cause messages.ID) {
	if cause.IsZero() {
		return
	}
	i := uint32(t.recs.n)
	r := t.recs.grow()
	r.cause, r.pos = cause, pos
	if prev, ok := t.latest.swap(cause, i, t.causeOf); ok {
		r.prev = prev + 1
	}
}

// children appends to dst the positions of the events caused by cause
// that come after position after (a causation that names a later event,
// possible only with forged ids, is not followed), in no particular order.
func (t *causeTable) children(cause messages.ID, after uint32, dst []uint32) []uint32 {
	i, ok := t.latest.find(cause, t.causeOf)
	for ok {
		r := t.recs.at(i)
		if r.pos > after {
			dst = append(dst, r.pos)
		}
		i, ok = r.prev-1, r.prev != 0
	}
	return dst
}

// bytes is the memory the table holds: its records (whole chunks) and its
// hash table.
func (t *causeTable) bytes() int64 {
	return t.recs.bytes() + int64(len(t.latest.slots))*int64(unsafe.Sizeof(uint64(0)))
}
