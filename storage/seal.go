package storage

import (
	"fmt"

	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
)

// Sealing a segment: its footer (records of every frame) and trailer go
// after its data, so that Open can rebuild the index without reading the
// frames. Recovery trusts a footer only if it checks and exactly covers the
// data, and it accepts a damaged footer where the trailer points (it scans
// the segment instead); any other damage after the data of a segment that
// is followed by another is corruption. Hence the orders below.
//
// At rotation (sealRotating) a segment is sealed in two phases, so that
// the footer's bytes (about a fifth of the data) are not written and
// flushed in series with the group that rotates:
//
//  1. The file is cut (or extended) to its final size, the 16-byte trailer
//     written at its end, and the file synced: the data (if not yet
//     durable) and the trailer are on the disk. From here on, whatever a
//     power cut leaves between the data and the trailer is "a damaged
//     footer where the trailer points": Open scans the segment.
//  2. Once the next segment is in place (created, or prepared and
//     renamed, and synced), the footer frame is written between them (over
//     zeros, when the segment was preallocated) and its writeback started,
//     but not waited for: the next segment's groups go on meanwhile. It is
//     synced at the next rotation or at Close (syncSealedFooters), long
//     after the system wrote it back, so that the footer is durable by
//     then.
//
// Sealing at Close, without fsyncs (SyncNone), or without a footer (one
// too large for a frame) is done in one phase, as before: data durable,
// then footer and trailer, then one sync.

// sealRotating runs phase 1 of sealing the active segment before a
// rotation and returns the footer frame (head and records) that phase 2
// writes (finishSeal), or nil when the segment was sealed in one phase.
// The records are the footer builder's: phase 2 must run before the next
// record is added.
func (e *Engine) sealRotating() (*pendingFooter, error) {
	s := e.active
	if e.opts.SyncMode == SyncNone || !e.footer.Fits() {
		return nil, e.sealActive(false)
	}
	if err := e.syncSealedFooters(); err != nil {
		return nil, err
	}
	head, recs, trailer := e.footer.SealParts(e.sealBuf[:0], s.id, s.size)
	e.sealBuf = head[:0]
	end := s.size + int64(len(head)+len(recs)) + format.TrailerSize
	if err := e.cutTo(s, end); err != nil {
		return nil, err
	}
	if _, err := s.f.WriteAt(trailer[:], end-format.TrailerSize); err != nil {
		return nil, ioError(fmt.Sprintf("write the trailer of segment %d", s.id), err, false)
	}
	if err := e.syncFile(s); err != nil {
		return nil, err
	}
	return &pendingFooter{s: s, head: head, recs: recs}, nil
}

// pendingFooter is the footer frame of a segment whose trailer is durable.
type pendingFooter struct {
	s          *segment
	head, recs []byte
}

// finishSeal is phase 2: the footer frame written and its writeback
// started. The rotation runs it once the next segment is in place, so that
// the next segment's fsyncs do not wait for the footer's writeback.
func (e *Engine) finishSeal(p *pendingFooter) error {
	if err := e.writeFooter(p.s, p.head, p.recs); err != nil {
		return err
	}
	fs.StartWriteback(p.s.f, p.s.size, int64(len(p.head)+len(p.recs)))
	e.sealedUnsynced = append(e.sealedUnsynced, p.s)
	return nil
}

// sealActive writes the active segment's footer and fsyncs it, in one
// phase. On Close (closing=true) the prepared file is removed, the footers
// of earlier segments synced, and an active segment without frames is
// removed instead of sealed.
func (e *Engine) sealActive(closing bool) error {
	s := e.active
	if closing {
		if err := e.dropPrepared(); err != nil {
			return err
		}
		if err := e.syncSealedFooters(); err != nil {
			return err
		}
		if s.size == format.HeaderSize {
			return e.removeEmptyActive()
		}
	}
	// The data must be durable before the footer that indexes it: a power
	// cut could otherwise keep the footer's page and lose a data page, and
	// Open would trust a footer over frames that are not there.
	if e.synced.Segment != s.id || e.synced.Offset < s.size {
		if err := e.syncFile(s); err != nil {
			return err
		}
	}
	if !e.footer.Fits() {
		if err := e.trim(s); err != nil {
			return err
		}
		return e.syncFile(s)
	}
	head, recs, trailer := e.footer.SealParts(e.sealBuf[:0], s.id, s.size)
	e.sealBuf = head[:0]
	end := s.size + int64(len(head)+len(recs)) + format.TrailerSize
	if err := e.cutTo(s, end); err != nil {
		return err
	}
	if err := e.writeFooter(s, head, recs); err != nil {
		return err
	}
	if _, err := s.f.WriteAt(trailer[:], end-format.TrailerSize); err != nil {
		return ioError(fmt.Sprintf("write the trailer of segment %d", s.id), err, false)
	}
	return e.syncFile(s)
}

// cutTo cuts the zeros preallocated past end off segment s, which is about
// to be sealed with a footer that ends at end. Zeros before end stay: the
// footer overwrites them.
func (e *Engine) cutTo(s *segment, end int64) error {
	if s.allocated <= end {
		return nil
	}
	if err := s.f.Truncate(end); err != nil {
		return ioError(fmt.Sprintf("trim segment %d", s.id), err, false)
	}
	s.allocated = end
	return nil
}

// writeFooter writes the footer frame of s (head, then the records) right
// after its data.
func (e *Engine) writeFooter(s *segment, head, recs []byte) error {
	if _, err := s.f.WriteAt(head, s.size); err != nil {
		return ioError(fmt.Sprintf("write the footer of segment %d", s.id), err, false)
	}
	if _, err := s.f.WriteAt(recs, s.size+int64(len(head))); err != nil {
		return ioError(fmt.Sprintf("write the footer of segment %d", s.id), err, false)
	}
	return nil
}

// syncSealedFooters syncs the segments sealed in two phases whose footer
// is not yet known durable.
func (e *Engine) syncSealedFooters() error {
	for len(e.sealedUnsynced) > 0 {
		s := e.sealedUnsynced[0]
		if err := s.f.Sync(); err != nil {
			return ioError(fmt.Sprintf("fsync the footer of segment %d", s.id), err, true)
		}
		e.fsyncs++
		e.sealedUnsynced[0] = nil
		e.sealedUnsynced = e.sealedUnsynced[1:]
	}
	return nil
}

// footerRoom makes room in the footer builder for the records of k frames
// before they are added, so that the records never grow by small steps (a
// copy of all of them each time): by doubling up to 64 KiB, then to what the
// segment will need at the rate its data has needed so far, but at most
// four times what it holds (a session that writes little reserves little).
// The builder keeps the room from segment to segment.
func (e *Engine) footerRoom(k int) {
	need := k * format.MaxRecordBytes
	if e.footer.Spare() >= need {
		return
	}
	have := e.footer.RecordBytes()
	want := max(2*have, 64<<10)
	if data := e.active.size - format.HeaderSize; have >= 64<<10 && data > 0 {
		projected := int(float64(have) / float64(data) * float64(e.opts.SegmentSize) * 1.05)
		want = max(have+have/4, min(projected, 4*have))
	}
	e.footer.Reserve(max(want, have+need) - have)
}
