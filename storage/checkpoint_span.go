package storage

import (
	"slices"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
)

// span is one checkpoint's worth of the index: events [first, end), the
// streams [firstStream, endStream) that first appeared among them, and
// the tails of the streams they touched as of end. seg is the segment
// whose checkpoint file holds it. A span ends where the index stood when
// it moved past seg, except that a batch still open there (its items run
// into a later segment) is left whole to the next span: resume and held
// say where a replay must start to rebuild what follows (the next
// segment's start, or that batch's first item) and which batch is open
// there.
type span struct {
	seg                    uint64
	first, end             uint32
	firstStream, endStream uint32
	tails                  []spanTail
	resume                 format.Position
	held                   messages.ID
}

// spanTail is a stream's tail at the end of a span.
type spanTail struct {
	stream  uint32
	version uint64
	hash    messages.Hash
	wall    int64
}

// spanTracker follows the index as events are added, in log order, and
// cuts it into spans. It keeps, for the batch being added, each stream's
// tail from before the batch, so that a span can end where the batch
// began.
type spanTracker struct {
	started     bool   // seg is set
	closed      bool   // the span of seg is already done (loaded from a checkpoint)
	seg         uint32 // segment of the last event added
	first       uint32 // start of the open span
	firstStream uint32
	gen         uint32   // of the open span; a stream's rangeGen says it was touched in it
	touched     []uint32 // streams touched in the open span
	batch       batchTrack
	done        []*span // completed spans, until the engine writes them
}

// batchTrack follows the batch whose items are being added.
type batchTrack struct {
	id      messages.ID // zero: the last event was not a batch item
	start   uint32      // position of its first item
	streams uint32      // streams before it
	gen     uint32      // a stream's batchGen says the batch touched it
	saved   []savedTail // tails of the streams it touched, from before it
}

// savedTail is a stream's tail before the batch being added touched it.
type savedTail struct {
	stream  uint32
	tail    tail
	inRange bool // the stream was touched in the open span before the batch
}

func newSpanTracker() spanTracker { return spanTracker{gen: 1, batch: batchTrack{gen: 1}} }

// take returns the completed spans and forgets them.
func (t *spanTracker) take() []*span {
	d := t.done
	t.done = nil
	return d
}

// track is called by addEvent for event e at position pos of stream s (si)
// in segment seg, before the stream is updated; isNew says the stream was
// created for e.
func (x *index) track(e *messages.Event, s *stream, si uint32, isNew bool) {
	t := &x.spans
	b := &t.batch
	if e.BatchID != b.id {
		b.id, b.start, b.gen, b.saved = e.BatchID, uint32(x.count()), b.gen+1, b.saved[:0]
		b.streams = uint32(len(x.streams))
		if isNew {
			b.streams--
		}
	}
	if !b.id.IsZero() && s.batchGen != b.gen {
		s.batchGen, s.batchSlot = b.gen, uint32(len(b.saved))
		b.saved = append(b.saved, savedTail{stream: si, tail: s.tail(), inRange: s.rangeGen == t.gen})
	}
	if s.rangeGen != t.gen {
		s.rangeGen = t.gen
		t.touched = append(t.touched, si)
	}
}

// enterSegment is called before the first event e of segment seg (above
// the last one) is added: the span of the segment left is complete, and
// so are those of the segments in between (which hold no event).
func (x *index) enterSegment(seg uint32, e *messages.Event) {
	t := &x.spans
	straddle := t.started && !e.BatchID.IsZero() && e.BatchID == t.batch.id
	resume, held := format.Position{Segment: uint64(t.seg) + 1}, e.BatchID
	if straddle {
		en := x.at(t.batch.start)
		resume = format.Position{Segment: uint64(en.segment), Offset: int64(en.offset)}
	}
	if t.started && !t.closed {
		end, streams := uint32(x.count()), uint32(len(x.streams))
		if straddle {
			end, streams = t.batch.start, t.batch.streams
		}
		x.closeSpan(uint64(t.seg), end, streams, resume, held, straddle)
	}
	for _, s := range x.segmentsBetween(uint64(t.seg), uint64(seg)) {
		if !straddle {
			resume = format.Position{Segment: s + 1}
		}
		t.done = append(t.done, &span{seg: s, first: t.first, end: t.first,
			firstStream: t.firstStream, endStream: t.firstStream, resume: resume, held: held})
	}
	t.started, t.closed, t.seg = true, false, seg
}

// closeSpan completes the open span at position end (streams: the stream
// count there). With straddle, end is where the batch being added began:
// its items move to the next span, and the streams it touched get their
// tails from before it (or leave the span, if only it touched them).
func (x *index) closeSpan(seg uint64, end, streams uint32, resume format.Position, held messages.ID, straddle bool) {
	t := &x.spans
	sp := &span{seg: seg, first: t.first, end: end, firstStream: t.firstStream, endStream: streams,
		resume: resume, held: held, tails: make([]spanTail, 0, len(t.touched))}
	for _, si := range t.touched {
		s := x.streams[si]
		tl := s.tail()
		if straddle && s.batchGen == t.batch.gen {
			// Only its events before the batch stay in this span: none if
			// the batch began before the span (it spans three segments or
			// more) or the stream had none in it before the batch.
			sv := t.batch.saved[s.batchSlot]
			if !sv.inRange || t.batch.start <= t.first {
				continue
			}
			tl = sv.tail
		}
		sp.tails = append(sp.tails, spanTail{stream: si, version: tl.version, hash: tl.hash, wall: tl.wall})
	}
	t.done = append(t.done, sp)
	t.gen++
	t.first, t.firstStream = end, streams
	t.touched = t.touched[:0]
	if straddle { // the batch's streams are the next span's so far
		for _, sv := range t.batch.saved {
			x.streams[sv.stream].rangeGen = t.gen
			t.touched = append(t.touched, sv.stream)
		}
	}
}

// endSpans completes the open span (nothing is open past it: any batch in
// progress was discarded) and those of the segments up to and including
// seg, which hold no more events.
func (x *index) endSpans(seg uint32) {
	t := &x.spans
	if t.started && !t.closed {
		x.closeSpan(uint64(t.seg), uint32(x.count()), uint32(len(x.streams)), format.Position{Segment: uint64(t.seg) + 1}, messages.ID{}, false)
	}
	for _, s := range x.segmentsBetween(uint64(t.seg), uint64(seg)+1) {
		t.done = append(t.done, &span{seg: s, first: t.first, end: t.first,
			firstStream: t.firstStream, endStream: t.firstStream, resume: format.Position{Segment: s + 1}})
	}
	t.started, t.closed, t.seg = true, true, max(t.seg, seg)
	t.batch.id = messages.ID{}
}

// resumeAfterLoad sets the tracker as checkpoints up to segment seg left
// it: their spans are done, the next span starts at the index's end.
func (x *index) resumeAfterLoad(seg uint32) {
	t := &x.spans
	t.started, t.closed, t.seg = true, true, seg
	t.first, t.firstStream = uint32(x.count()), uint32(len(x.streams))
	t.gen++
	t.touched = t.touched[:0]
	t.batch.id = messages.ID{}
}

// segmentsBetween returns, in order, the ids of the index's segments
// strictly between lo and hi: those that get an empty span. An id with no
// segment (a gap in the ids: a segment set aside as NAME.dropped, or a
// junk file with a high id) needs none, since only a segment's own
// checkpoint is ever written; skipping them keeps a gap of billions of ids
// from costing a span each. The cost is that of the gap or of the
// segments, whichever is smaller, and nothing for consecutive ids.
func (x *index) segmentsBetween(lo, hi uint64) []uint64 {
	if hi <= lo+1 {
		return nil
	}
	var ids []uint64
	if hi-lo-1 <= uint64(len(x.segments)) {
		for s := lo + 1; s < hi; s++ {
			if x.segments[s] != nil {
				ids = append(ids, s)
			}
		}
		return ids
	}
	for id, f := range x.segments {
		if id > lo && id < hi && f != nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}
