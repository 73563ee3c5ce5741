package storage

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
)

// frame takes one record of the segment being read: from its frames (body
// and v set) or from its footer (both nil; the event's coordinate set).
func (s *DirScanner) frame(r *format.Record, body []byte, v *format.EventView) error {
	s.off = r.Offset + int64(r.Size)
	s.lastSeg, s.lastEnd = s.seg, s.off
	sr := &s.report.Segments[s.segIdx]
	sr.DataEnd = s.off
	if r.Type == format.TypeEvent {
		sr.Events++
	}
	if s.compare {
		if err := s.compareFooter(r, v); err != nil {
			return err
		}
	}
	s.progress(false)
	if s.stop != nil {
		return visitError{errStop}
	}
	switch r.Type {
	case format.TypeBegin:
		s.batches.begin(r.Marker)
	case format.TypeCommit:
		items, ok := s.batches.commit(r.Marker)
		for i := range items {
			it := &items[i]
			var body []byte
			if it.n > 0 {
				body = s.arena[it.at : it.at+it.n]
				it.ev.Payload = body[it.pay : it.pay+len(it.ev.Payload)]
			}
			if err := s.commit(&it.ev, body, nil, it.seg, it.off, it.size); err != nil {
				return err
			}
		}
		if ok {
			s.batches.done()
		}
	case format.TypeEvent:
		switch s.batches.route(r.Event.BatchID) {
		case routeAlone:
			s.name(&r.Event, v)
			return s.commit(&r.Event, body, v, s.seg, r.Offset, r.Size)
		case routeHold:
			s.name(&r.Event, v)
			h := heldEvent{ev: r.Event, seg: s.seg, off: r.Offset, size: r.Size}
			if len(s.batches.items) == 0 {
				s.arena = s.arena[:0] // the items of the batch before are gone
			}
			if body != nil {
				h.at, h.n = len(s.arena), len(body)
				h.pay = cap(body) - cap(v.Payload)                       // where the payload starts in the body
				h.ev.Payload = v.Payload[:len(v.Payload):len(v.Payload)] // its length, until commit points it at the arena
				s.arena = append(s.arena, body...)
			}
			s.batches.items = append(s.batches.items, h)
		}
	}
	return nil
}

// name sets the coordinate of an event read from a frame (v: its bytes),
// with strings shared by the events of one entity where it can.
func (s *DirScanner) name(ev *messages.Event, v *format.EventView) {
	if v == nil {
		return
	}
	if s.ents != nil {
		if st := s.ents.findBytes(v.Entity, v.Scope); st != nil {
			ev.Coordinate = st.coord
			return
		}
		ev.Coordinate = messages.Coordinate{Entity: string(v.Entity), Scope: string(v.Scope)}
		return
	}
	ev.Coordinate = s.names.get(v.Entity, v.Scope)
}

// commit takes one committed event, read from segment seg at off (a frame
// of size bytes). body is its frame's body (nil when read from a footer),
// v the view of it when read from the frame just now (for a batch item
// its Payload is set instead).
func (s *DirScanner) commit(ev *messages.Event, body []byte, v *format.EventView, seg uint64, off int64, size int) error {
	if s.ents != nil {
		if err := s.check(ev, body, seg, off, size); err != nil {
			return err
		}
	}
	s.pos++
	s.report.Events++
	s.report.Last = *ev
	s.report.Last.Payload, s.report.Last.Metadata = nil, nil
	s.report.Last.Segment, s.report.Last.Offset = seg, off
	if s.report.Events == 1 {
		s.report.First = s.report.Last
	}
	if s.visit == nil || ev.Sequence < s.opts.FromSeq {
		return nil
	}
	out := &s.ev
	*out = *ev
	out.Segment, out.Offset = seg, off
	switch {
	case v != nil:
		out.Payload = v.Payload
	case body == nil && !s.opts.Summary:
		if err := s.loadBody(out, seg, off, size); err != nil {
			return err
		}
	}
	if err := s.visit(out); err != nil {
		s.failed = true
		return visitError{err}
	}
	return nil
}

// loadBody reads the frame of ev, which was read from a footer, to fill in
// what footers do not hold (its payload, metadata, causation, previous
// hash and timestamp).
func (s *DirScanner) loadBody(ev *messages.Event, seg uint64, off int64, size int) error {
	f, err := s.fs.OpenFile(filepath.Join(s.dir, format.SegmentName(seg)), os.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("storage: open segment %d: %w: %w", seg, messages.ErrIO, err)
	}
	defer f.Close()
	if cap(s.bodyBuf) < size {
		s.bodyBuf = make([]byte, size)
	}
	b := s.bodyBuf[:size]
	if _, err := f.ReadAt(b, off); err != nil {
		return fmt.Errorf("storage: read segment %d at %d: %w: %w", seg, off, messages.ErrIO, err)
	}
	c, id, seq := ev.Coordinate, ev.ID, ev.Sequence
	var v format.EventView
	body, n, err := format.DecodeFrame(b)
	if err == nil && n != size {
		err = fmt.Errorf("frame of %d bytes where the footer says %d", n, size)
	}
	if err == nil {
		err = format.DecodeEventView(body, ev, &v)
	}
	if err == nil && (ev.ID != id || ev.Sequence != seq || string(v.Entity) != c.Entity || string(v.Scope) != c.Scope) {
		err = fmt.Errorf("frame holds another event than its footer says")
	}
	if err != nil {
		return &ScanFault{Segment: seg, Offset: off, Entity: c, Part: FaultFrame, Reason: err.Error()}
	}
	ev.Coordinate, ev.Payload = c, v.Payload
	return nil
}

// check makes the checks of a committed event (Check or Summary):
// sequence, coordinate, version, previous hash (read from a frame), the
// hash itself (Check), and its index checkpoint entry.
func (s *DirScanner) check(ev *messages.Event, body []byte, seg uint64, off int64, size int) error {
	bad := func(part, reason string) error {
		return s.fault(ScanFault{Segment: seg, Offset: off, Entity: ev.Coordinate, Part: part, Reason: reason})
	}
	if s.applied && ev.Sequence <= s.lastSeq {
		if err := bad(FaultChain, fmt.Sprintf("sequence %d does not follow %d", ev.Sequence, s.lastSeq)); err != nil {
			return err
		}
	}
	s.applied, s.lastSeq = true, ev.Sequence
	if s.ckpt != nil {
		s.ckpt.before(s, s.pos)
	}
	known := len(s.ents.list)
	st := s.ents.find(ev.Coordinate)
	if st == nil {
		if err := ev.Coordinate.Validate(); err != nil {
			if err := bad(FaultChain, err.Error()); err != nil {
				return err
			}
		}
		st = s.ents.add(ev.Coordinate, s.epoch)
	}
	if st.epoch == s.epoch { // not the first event of its entity since damage hid some
		if reason := chainFault(ev, st.t, body != nil); reason != "" {
			if err := bad(FaultChain, reason); err != nil {
				return err
			}
		}
	}
	if s.opts.Check && body != nil {
		if got := bodyHash(s.hasher, body); got != ev.Hash {
			reason := fmt.Sprintf("entity %s version %d: hash mismatch: stored %s, computed %s", ev.Coordinate, ev.Version, ev.Hash, got)
			if err := bad(FaultChain, reason); err != nil {
				return err
			}
		}
	}
	if s.ckpt != nil {
		s.ckpt.entry(s, s.pos, ev, st.stream, known, seg, off, size)
	}
	st.t = tail{version: ev.Version, hash: ev.Hash, wall: ev.WallMS}
	st.epoch = s.epoch
	return nil
}

// compareFooter checks frame record r (v: an event's view) against the
// next record of the segment's footer.
func (s *DirScanner) compareFooter(r *format.Record, v *format.EventView) error {
	fr, ok := s.cur.Next()
	reason := ""
	switch {
	case !ok:
		reason = "the footer has no record for this frame"
	case fr.Offset != r.Offset || fr.Size != r.Size || fr.Type != r.Type:
		reason = fmt.Sprintf("the footer's record is a frame of type %d, %d bytes at %d; the frame is type %d, %d bytes",
			fr.Type, fr.Size, fr.Offset, r.Type, r.Size)
	case r.Type == format.TypeEvent:
		f, g := &fr.Event, &r.Event
		if f.Sequence != g.Sequence || f.ID != g.ID || f.Kind != g.Kind || f.Version != g.Version || f.WallMS != g.WallMS ||
			f.CorrelationID != g.CorrelationID || f.BatchID != g.BatchID || f.Hash != g.Hash ||
			f.Coordinate.Entity != string(v.Entity) || f.Coordinate.Scope != string(v.Scope) {
			reason = fmt.Sprintf("the footer's record (sequence %d, %s version %d) differs from the frame (sequence %d, %s/%s version %d)",
				f.Sequence, f.Coordinate, f.Version, g.Sequence, v.Scope, v.Entity, g.Version)
		}
	case r.Type == format.TypeBegin || r.Type == format.TypeCommit:
		if fr.Marker != r.Marker {
			reason = "the footer's batch marker differs from the frame's"
		}
	case r.Type == format.TypeSynced:
		if fr.Synced != r.Synced {
			reason = "the footer's sync mark differs from the frame's"
		}
	}
	if reason == "" {
		return nil
	}
	s.compare = false // one fault per footer
	f := ScanFault{Segment: s.seg, Offset: r.Offset, Part: FaultFooter,
		Reason: "footer does not match the frames (the events are intact; Open scans the segment instead): " + reason}
	if r.Type == format.TypeEvent {
		f.Entity = messages.Coordinate{Entity: string(v.Entity), Scope: string(v.Scope)}
	}
	return s.fault(f)
}

// ended finishes reading segment id (size bytes) after its frames were
// read to res; rest are the segments listed after it. It returns false
// when the log ends in it (for now).
func (s *DirScanner) ended(f fs.File, id uint64, size int64, res scanResult, rest []uint64) (bool, error) {
	sr := &s.report.Segments[s.segIdx]
	sr.DataEnd = res.end
	if res.sealed {
		sr.Sealed = true
		err := s.footerEnd(f, id, size, res.end)
		s.segFinished(size)
		return true, err
	}
	sr.Footer = "none"
	sr.Torn, sr.TornReason, sr.TornZeros = res.torn, res.reason, false
	if res.torn > 0 {
		z, err := zerosFrom(f, res.end, size)
		if err != nil {
			return false, fmt.Errorf("storage: read segment %d: %w: %w", id, messages.ErrIO, err)
		}
		sr.TornZeros = z
	}
	if len(rest) == 0 {
		s.done = s.doneSeg + size
		s.progress(true)
		return false, nil
	}
	// A later segment exists, so this one's data is complete: a torn tail
	// in it is damage, unless only headerless segments follow (recovery's
	// rule).
	var err error
	if res.torn > 0 {
		empty, herr := allHeaderless(s.fs, s.dir, rest)
		switch {
		case herr != nil:
			return false, fmt.Errorf("storage: %w: %w", messages.ErrIO, herr)
		case !empty:
			f := ScanFault{Segment: id, Offset: res.end, Part: FaultFrame,
				Reason: "a bad frame in a segment followed by more data (" + res.reason + ")"}
			s.afterDamage(&f)
			err = s.fault(f)
		}
	}
	s.segFinished(size)
	return true, err
}

// footerEnd judges the footer of a segment whose frames end at end, where
// a footer frame (or the offset its trailer names) is.
func (s *DirScanner) footerEnd(f fs.File, id uint64, size, end int64) error {
	sr := &s.report.Segments[s.segIdx]
	if s.compare {
		sr.Footer = "ok"
		if n := s.cur.Left(); n > 0 {
			sr.Footer = "damaged"
			return s.fault(ScanFault{Segment: id, Offset: end, Part: FaultFooter,
				Reason: fmt.Sprintf("the footer has %d records more than the segment has frames", n)})
		}
		return nil
	}
	if s.ents == nil {
		sr.Footer = "" // not looked at
		return nil
	}
	err := s.fr.Read(f, id, size)
	if err == nil {
		sr.Footer = "ok"
		return nil
	}
	if z, zerr := zerosFrom(f, end, size-format.TrailerSize); zerr == nil && z {
		sr.Footer = "not written"
		return nil
	}
	sr.Footer = "damaged: " + err.Error()
	return s.fault(ScanFault{Segment: id, Offset: end, Part: FaultFooter,
		Reason: "footer damaged (the events are intact; Open scans the segment instead): " + err.Error()})
}
