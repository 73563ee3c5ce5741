package storage

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
)

// LogChangedError is returned by a DirScanner's Scan when the segment
// files no longer hold events the scanner read: a writer read while it
// wrote crashed, and its recovery (Open with Options.CutAfter, or
// Engine.CutUnpublished and Reopen) cut events it had written but never
// acknowledged; or an operator repaired the store (batpak repair), which
// cuts the log at the damage. It matches ErrLogChanged (and so
// messages.ErrIO).
//
// The scanner has then gone back to the end of what the log still holds
// of what it read: the next Scan reads what was written since, which may
// hold other events under the sequences of the ones cut (a writer goes on
// from the last event it recovered).
type LogChangedError struct {
	// FromSeq: every event read with a lower sequence is still in the
	// log; none read from FromSeq on is. After a cut by a writer's
	// recovery it is also the sequence the writer goes on from.
	FromSeq uint64
	// Cut is how many of the events read are gone.
	Cut int
	// Segment and Offset say where the scanner had read to: its last
	// frame ended there.
	Segment uint64
	Offset  int64
	// Reason says what the scanner found there.
	Reason string
}

// Error implements error.
func (e *LogChangedError) Error() string {
	return fmt.Sprintf("storage: the log changed under the scanner: the %d events read from sequence %d on are gone (%s)",
		e.Cut, e.FromSeq, e.Reason)
}

// Unwrap returns ErrLogChanged.
func (e *LogChangedError) Unwrap() error { return ErrLogChanged }

// segMark is what the scanner knew when it entered a segment: what it had
// read before it, and the header it found, so that it can tell later
// whether the file is still the one it read, and read it again alone.
type segMark struct {
	header   [format.HeaderSize]byte // as read (zero until then)
	events   int                     // committed events read before it
	last     messages.Event          // the last of them (no payload)
	held     format.Marker           // the batch open when it was entered, if open
	open     bool
	heldEvts []messages.Event // its items read before it (no payload)
}

// mark returns the segMark of the segment entered now.
func (s *DirScanner) mark() segMark {
	m := segMark{events: s.report.Events, last: s.report.Last, open: s.batches.open, held: s.batches.batch}
	for i := range s.batches.items {
		ev := s.batches.items[i].ev
		ev.Payload, ev.Metadata = nil, nil
		ev.Segment, ev.Offset = s.batches.items[i].seg, s.batches.items[i].off
		m.heldEvts = append(m.heldEvts, ev)
	}
	return m
}

// readGone returns why segment id, a file of size bytes whose frames a
// reader read up to end, no longer holds all it read ("" if it does): the
// file is shorter than end, or a footer now starts before end (a cut, then
// a recovery sealed the segment where the cut ended; a writer only ever
// writes a footer after the frames it wrote). Refresh and DirScanner
// share the rule.
func readGone(f fs.File, id uint64, size, end int64) string {
	if size < end {
		return fmt.Sprintf("segment %d is %d bytes long, %d were read", id, size, end)
	}
	if fa := format.FooterAt(f, size); fa >= 0 && fa < end {
		return fmt.Sprintf("segment %d now ends at %d (its footer), %d were read", id, fa, end)
	}
	return ""
}

// sameHeader reports whether the file f (named as a segment that was read
// before) starts with the header want: a segment made again under the
// same name (a cut removed it, a writer created it again) has another
// creation time; one whose header is not written yet reads as zeros.
// Refresh and DirScanner share the rule.
func sameHeader(f fs.File, want [format.HeaderSize]byte) (bool, error) {
	var got [format.HeaderSize]byte
	if _, err := (eofZeros{f}).ReadAt(got[:], 0); err != nil {
		return false, err
	}
	return got == want, nil
}

// checkLog checks that the segment the scanner read its last record from
// still holds it (see readGone and sameHeader): a cut of the log always
// removes, replaces or shortens that segment when it cuts anything the
// scanner read (it cuts a segment from an offset on and removes the later
// ones). If it does not, the scanner goes back to what the log still holds
// (see resync) and changed is true.
func (s *DirScanner) checkLog() (changed bool, err error) {
	if s.lastSeg == 0 {
		return false, nil // nothing read yet
	}
	f, err := s.openSegment(s.lastSeg)
	if err != nil {
		return false, err
	}
	why := fmt.Sprintf("segment %d, read up to offset %d, is gone", s.lastSeg, s.lastEnd)
	if f != nil {
		why, err = s.stillHolds(f, s.lastSeg, s.marks[s.markOf(s.lastSeg)].header, s.lastEnd)
		f.Close()
		if err != nil || why == "" {
			return false, err
		}
	}
	return true, s.resync(why)
}

// stillHolds returns why segment id (file f, header want when it was
// read) no longer holds what was read up to end, or "".
func (s *DirScanner) stillHolds(f fs.File, id uint64, want [format.HeaderSize]byte, end int64) (string, error) {
	same, err := sameHeader(f, want)
	if err != nil {
		return "", fmt.Errorf("storage: read segment %d: %w: %w", id, messages.ErrIO, err)
	}
	if !same {
		return fmt.Sprintf("segment %d, read up to offset %d, was replaced (another header)", id, end), nil
	}
	size, err := f.Size()
	if err != nil {
		return "", fmt.Errorf("storage: size of segment %d: %w: %w", id, messages.ErrIO, err)
	}
	return readGone(f, id, size, end), nil
}

// openSegment opens segment id's file, or returns nil if it is gone.
func (s *DirScanner) openSegment(id uint64) (fs.File, error) {
	f, err := s.fs.OpenFile(filepath.Join(s.dir, format.SegmentName(id)), os.O_RDONLY, 0)
	switch {
	case errors.Is(err, iofs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("storage: open segment %d: %w: %w", id, messages.ErrIO, err)
	}
	return f, nil
}

// markOf returns the index in s.marks (and s.report.Segments) of segment
// id, entered earlier.
func (s *DirScanner) markOf(id uint64) int {
	i := s.segIdx
	for i > 0 && s.report.Segments[i].ID != id {
		i--
	}
	return i
}

// forget drops the segment entered last, from which nothing was read: it
// is gone (a writer's Close removed it empty, or a cut removed it). The
// scanner is back at the end of the segment before, which it read whole;
// a later Scan lists the directory again.
func (s *DirScanner) forget() {
	n := len(s.report.Segments) - 1
	s.report.Bytes -= s.report.Segments[n].Bytes
	s.report.Segments, s.marks = s.report.Segments[:n], s.marks[:n]
	s.segIdx = n - 1
	s.seg, s.off, s.segDone = 0, 0, false
	if n > 0 {
		s.seg, s.off, s.segDone = s.report.Segments[n-1].ID, s.report.Segments[n-1].DataEnd, true
	}
}
