package storage

import (
	"fmt"

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
type replayer struct {
	idx     *index
	report  *RecoveryReport
	seg     uint64
	open    *openBatch
	applied bool   // at least one event applied
	lastSeq uint64 // of the last applied event
}

type openBatch struct {
	m     format.Marker
	seg   uint64
	items []format.Record
}

func (p *replayer) startSegment(id uint64, h format.SegmentHeader) {
	if !h.Continuation() {
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

func (p *replayer) visit(r *format.Record) error {
	switch r.Type {
	case format.TypeBegin:
		p.discard()
		p.open = &openBatch{m: r.Marker, seg: p.seg}
	case format.TypeCommit:
		b := p.open
		p.open = nil
		if b == nil || b.m.Batch != r.Marker.Batch || len(b.items) != b.m.Count || r.Marker.Count != b.m.Count {
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
	case format.TypeEvent:
		if r.Event.BatchID.IsZero() {
			p.discard()
			return p.apply(r)
		}
		if p.open == nil || p.open.m.Batch != r.Event.BatchID || len(p.open.items) >= p.open.m.Count {
			p.discard() // an item outside its batch: the batch is broken
			return nil
		}
		item := *r
		item.Event.Segment = p.seg
		p.open.items = append(p.open.items, item)
	}
	return nil
}

// apply adds one committed event to the index after checking it.
func (p *replayer) apply(r *format.Record) error {
	ev := &r.Event
	seg := p.seg
	if !ev.BatchID.IsZero() {
		seg = ev.Segment
	}
	bad := func(f string, args ...any) error {
		return &CorruptionError{Segment: seg, Offset: r.Offset, Reason: fmt.Sprintf(f, args...)}
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
	if r.Chained && ev.PrevHash != t.hash {
		return bad("entity %s version %d: previous hash does not match the chain", ev.Coordinate, ev.Version)
	}
	if uint64(p.idx.count()) >= maxEvents {
		return bad("more than %d events", uint64(maxEvents))
	}
	p.idx.add(ev, seg, r.Offset, r.Size)
	p.applied, p.lastSeq = true, ev.Sequence
	return nil
}

// maxEvents bounds the index: positions are 32-bit.
const maxEvents = 1<<32 - 2

var _ = messages.ErrCorrupt
