package storage

import (
	"fmt"
	"slices"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
)

// replayer rebuilds the index from the records of the segments, in order.
// It applies single events at once and holds the events of an atomic batch
// until the batch's COMMIT; a batch left open (by a crash, a failed write,
// or a fresh segment started by a later Open) is discarded: it was never
// acknowledged. Every applied event is checked: sequences strictly
// increase, versions follow on per entity, and (when scanning) each event
// chains to its entity's previous hash.
//
// Records read from a footer name their (entity, scope) pair: each pair is
// resolved to a stream once per footer (pairStream), and a stream's
// positions grow once per footer by the pair's count. The held batch items
// live in one slice reused from batch to batch.
type replayer struct {
	idx     *index
	report  *RecoveryReport
	seg     uint64
	open    bool // a batch is open: batch holds its BEGIN
	batch   format.Marker
	items   []heldItem
	applied bool   // at least one event applied
	lastSeq uint64 // of the last applied event

	footer     *format.FooterReader // of the segment being replayed, or nil
	gen        uint32               // counts footers, so a held item knows whether its pair is current
	pairStream []uint32             // stream of each pair of footer, or noStream

	// mark is where a replay must resume to rebuild what follows the
	// events applied so far: after the last frame that left no batch
	// open, or at the BEGIN of the batch that is open (or, when the replay
	// resumed inside that batch after checkpoints, where it resumed, with
	// the batch held). A read-only engine's Refresh resumes there.
	mark resumePoint
	// causes makes apply also record each event's causation (Refresh,
	// which scans frames, so records carry it).
	causes bool
}

// resumePoint is where a replay can resume: a position and the batch open
// there (zero: none), as after checkpoints (see resumeAt).
type resumePoint struct {
	pos  Position
	held messages.ID
}

// heldItem is a batch item waiting for its COMMIT.
type heldItem struct {
	rec format.Record
	seg uint64
	gen uint32
}

func (p *replayer) startSegment(id uint64, h format.SegmentHeader) {
	if !h.Continuation() {
		p.discard()
	}
	p.seg = id
	p.footer = nil
	if !p.open {
		p.mark = resumePoint{pos: Position{Segment: id, Offset: format.HeaderSize}}
	}
}

// useFooter makes the records that follow come from fr, read for the
// current segment.
func (p *replayer) useFooter(fr *format.FooterReader) {
	p.footer = fr
	p.gen++
	p.pairStream = slices.Grow(p.pairStream[:0], len(fr.Pairs))[:len(fr.Pairs)]
	for i := range p.pairStream {
		p.pairStream[i] = noStream
	}
}

// hold opens batch id as if its BEGIN had just been read (its count
// unknown until its COMMIT): the replay resumes at its first item, after
// checkpoints.
func (p *replayer) hold(id messages.ID) {
	p.discard()
	p.open, p.batch = true, format.Marker{Batch: id, Count: -1}
}

func (p *replayer) discard() {
	if p.open && p.batch.Count < 0 && len(p.items) == 0 {
		p.open = false // a held batch never seen: nothing to report
		return
	}
	if p.open {
		p.report.DiscardedBatches++
		p.report.DiscardedEvents += len(p.items)
		p.open = false
		p.items = p.items[:0]
	}
}

func (p *replayer) endOfLog() { p.discard() }

// visit replays one record and moves the resume mark past it (or to it:
// a BEGIN).
func (p *replayer) visit(r *format.Record) error {
	if err := p.visitRecord(r); err != nil {
		return err
	}
	switch {
	case r.Type == format.TypeBegin:
		p.mark = resumePoint{pos: Position{Segment: p.seg, Offset: r.Offset}}
	case !p.open:
		p.mark = resumePoint{pos: Position{Segment: p.seg, Offset: r.Offset + int64(r.Size)}}
	}
	return nil
}

func (p *replayer) visitRecord(r *format.Record) error {
	switch r.Type {
	case format.TypeBegin:
		if p.open && p.batch.Count < 0 && p.batch.Batch == r.Marker.Batch && len(p.items) == 0 {
			p.batch = r.Marker // the held batch's BEGIN: the replay resumed before it
			return nil
		}
		p.discard()
		p.open, p.batch = true, r.Marker
	case format.TypeCommit:
		count := p.batch.Count
		if count < 0 { // held: its BEGIN was before the resume point
			count = r.Marker.Count
		}
		if !p.open || p.batch.Batch != r.Marker.Batch || len(p.items) != count || r.Marker.Count != count {
			p.discard()
			return nil
		}
		for i := range p.items {
			it := &p.items[i]
			if err := p.apply(&it.rec, it.seg, it.gen); err != nil {
				return err
			}
		}
		p.open = false
		p.items = p.items[:0]
	case format.TypeEvent:
		if r.Event.BatchID.IsZero() {
			p.discard()
			return p.apply(r, p.seg, p.gen)
		}
		if !p.open || p.batch.Batch != r.Event.BatchID || p.batch.Count >= 0 && len(p.items) >= p.batch.Count {
			p.discard() // an item outside its batch: the batch is broken
			return nil
		}
		p.items = append(p.items, heldItem{rec: *r, seg: p.seg, gen: p.gen})
	}
	return nil
}

// stream returns the stream of r's event (noStream if it has none yet)
// and, for a new one, how many positions to make room for.
func (p *replayer) stream(r *format.Record, gen uint32) (uint32, int) {
	x := p.idx
	footer := r.Pair > 0 && gen == p.gen && p.footer != nil
	if footer {
		if si := p.pairStream[r.Pair-1]; si != noStream {
			return si, 0
		}
	}
	s, si := x.lookupStream(r.Event.Coordinate)
	if !footer {
		if s == nil {
			return noStream, 0
		}
		return si, 0
	}
	n := p.footer.Pairs[r.Pair-1].Events
	if s == nil {
		return noStream, n
	}
	x.growPos(s, n)
	p.pairStream[r.Pair-1] = si
	return si, 0
}

// apply adds one committed event, read from segment seg, to the index
// after checking it.
func (p *replayer) apply(r *format.Record, seg uint64, gen uint32) error {
	ev := &r.Event
	bad := func(f string, args ...any) error {
		return &CorruptionError{Segment: seg, Offset: r.Offset, Reason: fmt.Sprintf(f, args...)}
	}
	if p.applied && ev.Sequence <= p.lastSeq {
		return bad("sequence %d does not follow %d", ev.Sequence, p.lastSeq)
	}
	si, hint := p.stream(r, gen)
	var t tail
	if si != noStream {
		t = p.idx.streams[si].tail()
	} else if err := ev.Coordinate.Validate(); err != nil {
		return bad("%v", err)
	}
	if ev.Version != t.version+1 {
		return bad("entity %s: version %d follows version %d", ev.Coordinate, ev.Version, t.version)
	}
	if r.Chained && ev.PrevHash != t.hash {
		return bad("entity %s version %d: previous hash does not match the chain", ev.Coordinate, ev.Version)
	}
	if uint64(p.idx.count()) >= maxEvents {
		return bad("more than %d events", uint64(maxEvents))
	}
	if p.causes {
		p.idx.causes.add(uint32(p.idx.count()), ev.CausationID)
	}
	added := p.idx.addEvent(si, ev, seg, r.Offset, r.Size, hint)
	if si == noStream && r.Pair > 0 && gen == p.gen && p.footer != nil {
		p.pairStream[r.Pair-1] = added
	}
	p.applied, p.lastSeq = true, ev.Sequence
	return nil
}

// maxEvents bounds the index: positions are 32-bit.
const maxEvents = 1<<32 - 2
