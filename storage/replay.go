package storage

import (
	"fmt"
	"slices"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
)

// replayer rebuilds the index from the records of the segments, in order.
// It applies single events at once and holds the events of an atomic batch
// until the batch's COMMIT (batchState has the rule); a batch left open (by
// a crash, a failed write, or a fresh segment started by a later Open) is
// discarded: it was never acknowledged. Every applied event is checked: sequences strictly
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
	batches batchState[heldItem]
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
	if !p.batches.open {
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

// hold opens batch id as if its BEGIN had just been read (see
// batchState.hold).
func (p *replayer) hold(id messages.ID) { p.batches.hold(id); p.count() }

func (p *replayer) discard() { p.batches.discard(); p.count() }

// count moves the batches discarded so far into the report.
func (p *replayer) count() {
	b := &p.batches
	p.report.DiscardedBatches += b.discardedBatches
	p.report.DiscardedEvents += b.discardedEvents
	b.discardedBatches, b.discardedEvents = 0, 0
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
	case !p.batches.open:
		p.mark = resumePoint{pos: Position{Segment: p.seg, Offset: r.Offset + int64(r.Size)}}
	}
	return nil
}

func (p *replayer) visitRecord(r *format.Record) error {
	defer p.count()
	b := &p.batches
	switch r.Type {
	case format.TypeBegin:
		b.begin(r.Marker)
	case format.TypeCommit:
		items, ok := b.commit(r.Marker)
		for i := range items {
			it := &items[i]
			if err := p.apply(&it.rec, it.seg, it.gen); err != nil {
				return err
			}
		}
		if ok {
			b.done()
		}
	case format.TypeEvent:
		switch b.route(r.Event.BatchID) {
		case routeAlone:
			return p.apply(r, p.seg, p.gen)
		case routeHold:
			b.items = append(b.items, heldItem{rec: *r, seg: p.seg, gen: p.gen})
		}
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
	if reason := chainFault(ev, t, r.Chained); reason != "" {
		return bad("%s", reason)
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

// chainFault says why committed event ev cannot follow its entity's tail
// t (version, and with chained its previous hash), or "" if it can: the
// check recovery and the directory scanner share.
func chainFault(ev *messages.Event, t tail, chained bool) string {
	if ev.Version != t.version+1 {
		return fmt.Sprintf("entity %s: version %d follows version %d", ev.Coordinate, ev.Version, t.version)
	}
	if chained && ev.PrevHash != t.hash {
		return fmt.Sprintf("entity %s version %d: previous hash does not match the chain", ev.Coordinate, ev.Version)
	}
	return ""
}

// maxEvents bounds the index: positions are 32-bit.
const maxEvents = 1<<32 - 2
