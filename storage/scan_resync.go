package storage

import (
	"errors"
	"fmt"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
)

// resync takes the scanner back to the end of what the log still holds of
// what it read, after checkLog found that it no longer holds all of it
// (why): to the last segment read from that is still the file it read (a
// cut shortens the segment it cuts in and removes the later ones, which a
// writer may make again under their names), read again alone from its
// mark up to where its frames now end. A batch open there is discarded
// (the writer that cut goes on in a fresh segment). It returns a
// *LogChangedError when committed events read are gone, nil when only
// frames of a batch never committed were.
func (s *DirScanner) resync(why string) error {
	oldSeg, oldEnd, first, read := s.lastSeg, s.lastEnd, s.report.First, s.report.Events
	keep := -1
	var rp replayed
	for i := s.markOf(s.lastSeg); i >= 0 && keep < 0; i-- {
		id := s.report.Segments[i].ID
		f, err := s.openSegment(id)
		if err != nil {
			return err
		}
		if f == nil {
			continue
		}
		same, err := sameHeader(f, s.marks[i].header)
		if err == nil && same {
			keep = i
			rp, err = replaySegment(f, id, &s.marks[i])
		}
		f.Close()
		var ce *CorruptionError
		switch {
		case errors.As(err, &ce):
			return err
		case err != nil:
			return fmt.Errorf("storage: read segment %d again: %w: %w", id, messages.ErrIO, err)
		}
	}
	events, last := s.restart(keep, &rp)
	if events >= read {
		return nil
	}
	from := first.Sequence
	if events > 0 {
		from = last.Sequence + 1
	}
	return &LogChangedError{FromSeq: from, Cut: read - events, Segment: oldSeg, Offset: oldEnd, Reason: why}
}

// restart places the scanner at the end of segment s.report.Segments[keep]
// as replayed (rp), forgetting the segments after it (keep < 0: at the
// start of the log), and returns the events read that the log still holds
// and the last of them.
func (s *DirScanner) restart(keep int, rp *replayed) (int, messages.Event) {
	n := keep + 1
	for _, sr := range s.report.Segments[n:] {
		s.report.Bytes -= sr.Bytes
	}
	s.report.Segments, s.marks = s.report.Segments[:n], s.marks[:n]
	s.batches.discard()
	s.compare = false
	s.seg, s.off, s.segDone, s.segIdx, s.lastSeg, s.lastEnd = 0, 0, false, -1, 0, 0
	events, last := 0, messages.Event{}
	if keep >= 0 {
		m := &s.marks[keep]
		events, last = m.events+rp.events, m.last
		if rp.events > 0 {
			last = rp.last
		}
		sr := &s.report.Segments[keep]
		s.report.Bytes += rp.size - sr.Bytes
		sr.Bytes, sr.DataEnd, sr.Events, sr.Sealed = rp.size, rp.end, rp.frames, rp.sealed
		sr.Torn, sr.TornZeros, sr.TornReason, sr.Footer, sr.FromFooter = 0, false, "", "", false
		s.seg, s.off, s.segDone, s.segIdx, s.lastSeg, s.lastEnd = sr.ID, rp.end, rp.sealed, keep, sr.ID, rp.end
	}
	s.report.Events, s.pos = events, uint64(events)
	s.report.Last = last
	if events == 0 {
		s.report.First = messages.Event{}
	}
	s.applied, s.lastSeq = events > 0, last.Sequence
	if s.ents != nil { // the chains of the entities whose events were cut start again
		s.epoch++
		s.ckpt.stop()
	}
	return events, last
}

// replayed is what replaySegment found in a segment.
type replayed struct {
	events int            // committed by its frames (with a batch held at its start)
	frames int            // its event frames
	last   messages.Event // the last event committed (no payload), if events > 0
	end    int64          // where its frames end
	sealed bool           // a footer follows them
	size   int64          // the file's size
}

// replaySegment reads segment id (file f) again, alone, from its header
// on, with the batch state the scanner had when it entered it (m): the
// events its frames commit, as the scanner reads them (batchState). As in
// a live segment, the first bytes that do not decode end its frames.
func replaySegment(f fs.File, id uint64, m *segMark) (replayed, error) {
	out := replayed{end: format.HeaderSize}
	size, err := f.Size()
	if err != nil {
		return out, err
	}
	out.size = size
	var b batchState[messages.Event]
	if m.open {
		b.open, b.batch = true, m.held
		b.items = append(b.items, m.heldEvts...)
	}
	if h, err := format.DecodeHeader(m.header[:]); err != nil || !h.Continuation() {
		b.discard() // as readHeader
	}
	res, err := scanFrames(eofZeros{f}, id, size, format.HeaderSize, nil, true, func(r *format.Record, _ []byte, v *format.EventView) error {
		switch r.Type {
		case format.TypeBegin:
			b.begin(r.Marker)
		case format.TypeCommit:
			if items, ok := b.commit(r.Marker); ok {
				if len(items) > 0 {
					out.events += len(items)
					out.last = items[len(items)-1]
				}
				b.done()
			}
		case format.TypeEvent:
			out.frames++
			ev := r.Event
			ev.Coordinate = messages.Coordinate{Entity: string(v.Entity), Scope: string(v.Scope)}
			ev.Payload, ev.Metadata, ev.Segment, ev.Offset = nil, nil, id, r.Offset
			switch b.route(ev.BatchID) {
			case routeAlone:
				out.events++
				out.last = ev
			case routeHold:
				b.items = append(b.items, ev)
			}
		}
		return nil
	})
	if err == nil {
		out.end, out.sealed = res.end, res.sealed
	}
	return out, err
}
