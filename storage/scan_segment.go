package storage

import (
	"errors"
	"fmt"
	"io"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
)

// readSegment reads segment id from where the scanner is in it; rest are
// the segments listed after it. It returns false when the scan ends in it
// (the end of the log, for now).
func (s *DirScanner) readSegment(id uint64, rest []uint64) (bool, error) {
	last := len(rest) == 0
	f, err := s.openSegment(id)
	if err != nil {
		return false, err
	}
	if f == nil { // removed since listed
		if s.lastSeg == id {
			_, err := s.checkLog() // records were read from it: a cut
			return false, err
		}
		s.forget() // nothing read from it: an empty segment a Close removed, or a cut
		return false, nil
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return false, fmt.Errorf("storage: size of segment %d: %w: %w", id, messages.ErrIO, err)
	}
	sr := &s.report.Segments[s.segIdx]
	s.report.Bytes += size - sr.Bytes
	sr.Bytes = size
	// Until a record is read from it, its header is read again each time:
	// a cut may have removed it and a writer made it again.
	fresh, again := s.off == 0, s.off == format.HeaderSize && s.lastSeg != id
	if fresh || again {
		ok, err := s.readHeader(f, id, size, last)
		if !ok || err != nil {
			return !last || err == nil && s.segDone, err
		}
		if done, err := s.fromFooter(f, id, size); done || err != nil {
			s.segFinished(size)
			return true, err
		}
	}
	if !fresh && s.nothingNew(f, size, last) {
		return false, nil
	}
	s.compare = false
	if s.opts.Check && s.off == format.HeaderSize {
		sr.Footer = "none"
		if format.FooterAt(f, size) >= 0 {
			if ferr := s.fr.Read(f, id, size); ferr == nil {
				s.cur, s.compare = s.fr.Cursor(), true
			}
		}
	}
	base := s.doneSeg
	res, err := scanFrames(f, id, size, s.off, s.buf, false, func(r *format.Record, body []byte, v *format.EventView) error {
		s.done = base + r.Offset + int64(r.Size)
		return s.frame(r, body, v)
	})
	if cap(s.buf) < scanWindow {
		s.buf = make([]byte, scanWindow)
	}
	if s.stop != nil {
		return false, nil
	}
	if err != nil {
		return s.damaged(err, size)
	}
	return s.ended(f, id, size, res, rest)
}

// readHeader reads the header of segment id, entered last. It returns
// false when there is nothing to read in it (yet).
func (s *DirScanner) readHeader(f fs.File, id uint64, size int64, last bool) (bool, error) {
	sr := &s.report.Segments[s.segIdx]
	var hb [format.HeaderSize]byte
	n, err := f.ReadAt(hb[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("storage: read segment %d: %w: %w", id, messages.ErrIO, err)
	}
	s.marks[s.segIdx].header = hb
	h, herr := format.DecodeHeader(hb[:n])
	switch {
	case herr != nil && headerless(f, size):
		sr.Headerless = true
		if last {
			return false, nil // being created: a later Scan reads it
		}
		return false, s.badSegment(ScanFault{Segment: id, Part: FaultSegment, Reason: "the file holds no header, and more segments follow"})
	case herr != nil:
		return false, s.badSegment(ScanFault{Segment: id, Part: FaultSegment, Reason: "segment header: " + herr.Error()})
	case h.ID != id:
		return false, s.badSegment(ScanFault{Segment: id, Part: FaultSegment, Reason: fmt.Sprintf("header names segment %d", h.ID)})
	}
	if !h.Continuation() {
		s.batches.discard() // a fresh start: a batch open before it was never committed
	}
	s.off = format.HeaderSize
	sr.DataEnd = s.off
	return true, nil
}

// badSegment skips the segment entered last, whose header is bad.
func (s *DirScanner) badSegment(f ScanFault) error {
	s.segDone = true
	s.afterDamage(&f)
	return s.fault(f)
}

// nothingNew reports whether the last segment, read before up to s.off,
// still ends there: a zero length word and no trailer naming that offset.
// It spares a store being followed a read of the zeros written ahead.
func (s *DirScanner) nothingNew(f fs.File, size int64, last bool) bool {
	if !last || s.off >= size {
		return last && s.off >= size
	}
	var w [format.FrameHeaderSize]byte
	if n, _ := f.ReadAt(w[:], s.off); n < len(w) {
		return false
	}
	_, err := format.FrameLen(w[:])
	return errors.Is(err, format.ErrFrameZero) && format.FooterAt(f, size) != s.off
}

// fromFooter reads segment id from its footer, if the options allow it
// and the footer checks, and reports whether it did.
func (s *DirScanner) fromFooter(f fs.File, id uint64, size int64) (bool, error) {
	if s.opts.Check || !s.opts.Summary && s.opts.FromSeq == 0 {
		return false, nil
	}
	if format.FooterAt(f, size) < 0 || s.fr.Read(f, id, size) != nil {
		return false, nil
	}
	if !s.opts.Summary { // FromSeq: only a footer of earlier events
		var lastSeq uint64
		any := false
		for c := s.fr.Cursor(); ; {
			r, ok := c.Next()
			if !ok {
				break
			}
			if r.Type == format.TypeEvent {
				lastSeq, any = r.Event.Sequence, true
			}
		}
		if !any || lastSeq >= s.opts.FromSeq {
			return false, nil
		}
	}
	sr := &s.report.Segments[s.segIdx]
	sr.Sealed, sr.FromFooter, sr.Footer = true, true, "ok"
	base := s.doneSeg
	err := s.fr.Each(func(r *format.Record) error {
		s.done = base + r.Offset + int64(r.Size)
		return s.frame(r, nil, nil)
	})
	sr.DataEnd = format.FooterAt(f, size)
	return true, err
}

// segFinished marks the segment entered last as read to its end.
func (s *DirScanner) segFinished(size int64) {
	s.segDone = true
	s.doneSeg += size
	s.done = s.doneSeg
	s.progress(true)
}

// progress reports the bytes read, at most every MiB unless now.
func (s *DirScanner) progress(now bool) {
	if s.opts.Progress == nil || !now && s.done < s.tick {
		return
	}
	s.tick = s.done + 1<<20
	s.opts.Progress(s.done, max(s.total, s.done))
}

// damaged handles a scan of frames that stopped on err: damage in the
// frames (recorded, and the scan goes on with the next segment, when
// faults are collected), or an error to return.
func (s *DirScanner) damaged(err error, size int64) (bool, error) {
	var ve visitError
	var sf *ScanFault
	var ce *CorruptionError
	switch {
	case errors.As(err, &ve):
		return false, ve.err
	case errors.As(err, &sf), errors.Is(err, messages.ErrIO):
		return false, err
	case !errors.As(err, &ce):
		return false, fmt.Errorf("storage: %w: %w", messages.ErrIO, err)
	}
	f := ScanFault{Segment: ce.Segment, Offset: ce.Offset, Part: FaultFrame, Reason: ce.Reason}
	s.segDone = true
	s.afterDamage(&f)
	s.segFinished(size)
	return true, s.fault(f)
}

// afterDamage goes on after frames of the segment being read are lost
// from f's offset on: f names the entity of the first lost frame if the
// segment's footer says it; the chains start again at each entity's next
// event, the open batch is discarded, and no more checkpoints are checked
// (their index positions no longer line up with the events read).
func (s *DirScanner) afterDamage(f *ScanFault) {
	if s.compare { // the footer says what the damaged frame held
		for {
			r, ok := s.cur.Next()
			if !ok || r.Offset > f.Offset {
				break
			}
			if r.Offset == f.Offset && r.Type == format.TypeEvent {
				f.Entity = r.Event.Coordinate
				f.Reason += fmt.Sprintf(" (the footer says the frame holds sequence %d, version %d of the entity)", r.Event.Sequence, r.Event.Version)
			}
		}
		s.compare = false
	}
	s.epoch++
	s.applied = false
	s.batches.discard()
	if s.ckpt != nil {
		s.ckpt.stop()
	}
}

// visitError carries the visitor's error through a scan.
type visitError struct{ err error }

func (v visitError) Error() string { return v.err.Error() }

// fault records f (with Check or Summary, going on) or returns it.
func (s *DirScanner) fault(f ScanFault) error {
	if s.ents == nil {
		return &f
	}
	if s.stop != nil {
		return nil // MaxFaults reached: the scan is stopping
	}
	s.report.Faults = append(s.report.Faults, f)
	if len(s.report.Faults) >= s.opts.MaxFaults && s.stop == nil {
		s.stop = fmt.Errorf("storage: stopped after %d faults", len(s.report.Faults))
	}
	return nil
}
