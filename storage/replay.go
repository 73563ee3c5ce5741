package storage

import (
	"fmt"

	"github.com/batpak-go/batpak/messages"
)

// replayer rebuilds the index from the records of the segments, in order.
// It applies single events at once and holds the events of an atomic batch
// until the batch's COMMIT; a batch left open (by a crash, a failed write,
// or a fresh segment started by a later Open) is discarded: it was never
// acknowledged. Every applied event is checked: sequences strictly
// increase, versions follow on per entity, and (when scanning) each event
// chains to its entity's previous hash.
type replayer struct {
	idx     *index
	report  *RecoveryReport
	seg     uint64
	open    *openBatch
	applied bool   // at least one event applied
	lastSeq uint64 // of the last applied event
}

type openBatch struct {
	m     marker
	seg   uint64
	items []record
}

func (p *replayer) startSegment(id uint64, h segmentHeader) {
	if !h.continuation() {
		p.discard()
	}
	p.seg = id
}

func (p *replayer) discard() {
	if p.open != nil {
		p.report.DiscardedBatches++
		p.report.DiscardedEvents += len(p.open.items)
		p.open = nil
	}
}

func (p *replayer) endOfLog() { p.discard() }

func (p *replayer) visit(r *record) error {
	switch r.typ {
	case bodyBegin:
		p.discard()
		p.open = &openBatch{m: r.m, seg: p.seg}
	case bodyCommit:
		b := p.open
		p.open = nil
		if b == nil || b.m.batch != r.m.batch || len(b.items) != b.m.count || r.m.count != b.m.count {
			if b != nil {
				p.open = b
				p.discard()
			}
			return nil
		}
		for i := range b.items {
			if err := p.apply(&b.items[i]); err != nil {
				return err
			}
		}
	case bodyEvent:
		if r.ev.BatchID.IsZero() {
			p.discard()
			return p.apply(r)
		}
		if p.open == nil || p.open.m.batch != r.ev.BatchID || len(p.open.items) >= p.open.m.count {
			p.discard() // an item outside its batch: the batch is broken
			return nil
		}
		item := *r
		item.ev.Segment = p.seg
		p.open.items = append(p.open.items, item)
	}
	return nil
}

// apply adds one committed event to the index after checking it.
func (p *replayer) apply(r *record) error {
	ev := &r.ev
	seg := p.seg
	if !ev.BatchID.IsZero() {
		seg = ev.Segment
	}
	bad := func(f string, args ...any) error {
		return &CorruptionError{Segment: seg, Offset: r.offset, Reason: fmt.Sprintf(f, args...)}
	}
	if p.applied && ev.Sequence <= p.lastSeq {
		return bad("sequence %d does not follow %d", ev.Sequence, p.lastSeq)
	}
	if err := ev.Coordinate.Validate(); err != nil {
		return bad("%v", err)
	}
	t := p.idx.tailOf(ev.Coordinate)
	if ev.Version != t.version+1 {
		return bad("entity %s: version %d follows version %d", ev.Coordinate, ev.Version, t.version)
	}
	if r.chained && ev.PrevHash != t.hash {
		return bad("entity %s version %d: previous hash does not match the chain", ev.Coordinate, ev.Version)
	}
	if uint64(len(p.idx.entries)) >= maxEvents {
		return bad("more than %d events", uint64(maxEvents))
	}
	p.idx.add(ev, seg, r.offset, r.size)
	p.applied, p.lastSeq = true, ev.Sequence
	return nil
}

// maxEvents bounds the index: positions are 32-bit.
const maxEvents = 1<<32 - 2

var _ = messages.ErrCorrupt
