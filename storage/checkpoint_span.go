package storage

import "github.com/batpak-go/batpak/messages"

// span is what one segment added to the index, captured when the index
// moved past it (its events are then complete): what its checkpoint is
// made of. Events [first, end) are the segment's; streams [firstStream,
// endStream) first appeared in it; tails are the streams it touched as
// they were at its end.
type span struct {
	seg                    uint64
	first, end             uint32
	firstStream, endStream uint32
	tails                  []spanTail
	// openAtEnd: the next event after the segment was a batch item, so a
	// batch may run from this segment into the next.
	openAtEnd bool
}

// spanTail is a stream's tail at the end of a span.
type spanTail struct {
	stream  uint32
	version uint64
	hash    messages.Hash
	wall    int64
}

// spanTracker follows the segment the index adds events to. Events arrive
// in log order, so segments only go up: when the first event of a later
// segment arrives (or end is called), the current segment is complete and
// its span is kept in done until the engine writes its checkpoint.
type spanTracker struct {
	open        bool   // events of seg are being added
	seg         uint32 // the current segment, or the last one passed
	first       uint32
	firstStream uint32
	touched     []uint32 // streams with an event in seg, first touch first
	done        []*span
}

// touch notes that stream s (index si) got an event in segment seg.
func (t *spanTracker) touch(s *stream, si uint32, seg uint32) {
	if s.lastSeg != seg {
		s.lastSeg = seg
		t.touched = append(t.touched, si)
	}
}

// take returns the completed spans and forgets them.
func (t *spanTracker) take() []*span {
	d := t.done
	t.done = nil
	return d
}

// enterSegment starts the span of segment seg, completing the current one
// and any segment in between (they hold no event). batchItem says whether
// the event that enters seg is a batch item.
func (x *index) enterSegment(seg uint32, batchItem bool) {
	x.passSegments(seg, batchItem)
	t := &x.spans
	t.open, t.seg, t.first, t.firstStream = true, seg, uint32(x.count()), uint32(len(x.streams))
	t.touched = t.touched[:0]
}

// endSpans completes the current span and those of the segments up to
// and including seg, which hold no more events.
func (x *index) endSpans(seg uint32) {
	x.passSegments(seg+1, false)
	x.spans.seg = max(x.spans.seg, seg)
}

// passSegments completes the current span and the empty spans of the
// segments before seg.
func (x *index) passSegments(seg uint32, batchItem bool) {
	t := &x.spans
	n, ns := uint32(x.count()), uint32(len(x.streams))
	if t.open {
		sp := &span{seg: uint64(t.seg), first: t.first, end: n, firstStream: t.firstStream, endStream: ns,
			openAtEnd: batchItem, tails: make([]spanTail, 0, len(t.touched))}
		for _, si := range t.touched {
			s := x.streams[si]
			sp.tails = append(sp.tails, spanTail{stream: si, version: uint64(len(s.pos)), hash: s.lastHash, wall: s.lastWall})
		}
		t.done = append(t.done, sp)
		t.open = false
	}
	for s := t.seg + 1; s < seg; s++ {
		t.done = append(t.done, &span{seg: uint64(s), first: n, end: n, firstStream: ns, endStream: ns, openAtEnd: batchItem})
	}
	if seg > 0 {
		t.seg = max(t.seg, seg-1)
	}
}
