package storage

import (
	"errors"
	"fmt"
	"io"

	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
)

// scanResult says where a frame-by-frame scan of a segment stopped.
type scanResult struct {
	end    int64  // offset after the last good data frame
	sealed bool   // the scan met a footer frame at end
	torn   int64  // bytes after end that were a torn tail (0 if none)
	reason string // why the tail was judged torn
}

const scanWindow = 4 << 20

// scanSegment reads the frames of a segment of the given size from the
// header on, calls visit for each, and stops at the end of the data.
//
// Sync marks (bodySynced frames) tell how far the segment was durable when
// each group was staged; the highest one read so far is the synced point.
// A frame that fails to decode at or after the synced point is where a torn
// write begins: a power cut can leave any mix of unsynced pages on the disk
// (old, new or zeros, in any order), so everything from there to the end of
// the file is a torn tail, whatever follows. A frame that fails before the
// synced point is in data that was durable: a *CorruptionError. (A segment
// that is not the last one holding data can have no torn tail at all: see
// recoverOnce.)
//
// from, if not 0, is where to start instead of the first frame: the offset
// of a frame known durable (recovery resumes there after checkpoints).
func scanSegment(f fs.File, id uint64, size, from int64, visit func(*format.Record) error) (scanResult, error) {
	return scanFrames(f, id, size, from, nil, false, withCoordinates(visit))
}

// withCoordinates adapts a record visitor to a frameVisitor: each event's
// record gets its coordinate (copied out of the frame's body).
func withCoordinates(visit func(*format.Record) error) frameVisitor {
	return func(r *format.Record, _ []byte, v *format.EventView) error {
		if r.Type == format.TypeEvent {
			r.Event.Coordinate.Entity, r.Event.Coordinate.Scope = string(v.Entity), string(v.Scope)
		}
		return visit(r)
	}
}

// scanLive is scanSegment for the last segment of a directory a writer may
// hold (a read-only engine's Refresh): it reads from from, in windows that
// start small (most refreshes find a few frames, or none), and the first
// bytes that do not decode end the visible data without a judgement: they
// may be a frame being written, or zeros written ahead. (They are judged
// once the segment is followed by another: see Refresh.)
func scanLive(f fs.File, id uint64, size, from int64, visit func(*format.Record) error) (scanResult, error) {
	return scanFrames(f, id, size, from, nil, true, withCoordinates(visit))
}

// liveWindow is scanLive's first read.
const liveWindow = 64 << 10

// frameVisitor receives each data frame a scan reads: its record (an
// event's without its coordinate and payload), its checked body, and for
// an event the view of its coordinate's and payload's bytes in the body.
// body and v are valid until it returns.
type frameVisitor func(r *format.Record, body []byte, v *format.EventView) error

// scanFrames is scanSegment handing each frame's body to visit too (see
// frameVisitor), with no allocation per frame; buf, if not nil, is used
// for the reads (one of less than a window's size is replaced). live makes
// it scanLive.
func scanFrames(f fs.File, id uint64, size, from int64, buf []byte, live bool, visit frameVisitor) (scanResult, error) {
	start := max(from, format.HeaderSize)
	window := int64(scanWindow)
	if live {
		window = liveWindow
	}
	spare := buf
	buf = nil
	var (
		view     format.EventView
		bufOff   = start // file offset of buf[0]
		off      = start
		synced   = start // the header (and what precedes from) is durable
		rec      format.Record
		footerAt = int64(-2) // what the trailer says, once read
	)
	for off < size {
		// Make sure buf holds the whole frame, or the rest of the file.
		pos := int(off - bufOff)
		for {
			need := format.FrameHeaderSize
			if n, err := format.FrameLen(buf[pos:]); err == nil {
				need += n
			}
			if len(buf)-pos >= need || bufOff+int64(len(buf)) >= size {
				break
			}
			if need > scanWindow && isFooterAt(f, off, size, &footerAt) {
				// The footer (a large frame) where the trailer says: sealed,
				// whether it checks or not (as below), without reading it.
				return scanResult{end: off, sealed: true}, nil
			}
			// The read starts at the frame: one buffer serves every read.
			n := min(max(int64(need), window), size-off)
			if int64(cap(spare)) < n {
				spare = make([]byte, n)
			}
			nb := spare[:n]
			if _, err := f.ReadAt(nb, off); err != nil {
				return scanResult{}, fmt.Errorf("read segment %d at %d: %w", id, off, err)
			}
			buf, bufOff, pos = nb, off, 0
			window = min(2*window, scanWindow)
		}
		body, fsize, err := format.DecodeFrame(buf[pos:])
		if err != nil {
			if format.FooterAt(f, size) == off { // a damaged footer where the trailer says
				return scanResult{end: off, sealed: true}, nil
			}
			if live {
				return scanResult{end: off, torn: size - off, reason: "not complete (yet)"}, nil
			}
			if later, lerr := syncMarkAfter(f, off+1, size); lerr != nil {
				return scanResult{}, fmt.Errorf("read segment %d: %w", id, lerr)
			} else if later > off {
				synced = later // a mark past the damage proves it was durable
			}
			return tornOrCorrupt(id, off, size, synced, err)
		}
		typ, err := format.BodyType(body)
		if err == nil && typ == format.TypeFooter {
			return scanResult{end: off, sealed: true}, nil
		}
		rec = format.Record{Type: typ, Offset: off, Size: fsize, Chained: true}
		switch {
		case err != nil:
		case typ == format.TypeEvent:
			err = format.DecodeEventView(body, &rec.Event, &view)
		case typ == format.TypeBegin || typ == format.TypeCommit:
			rec.Marker, err = format.DecodeMarker(body, typ)
		case typ == format.TypeSynced:
			if rec.Synced, err = format.DecodeSynced(body); err == nil && (rec.Synced > off || rec.Synced < format.HeaderSize) {
				err = fmt.Errorf("sync mark at %d names offset %d", off, rec.Synced)
			}
			synced = max(synced, rec.Synced)
		default:
			err = fmt.Errorf("unknown frame type %d", typ)
		}
		if err != nil {
			return scanResult{}, &CorruptionError{Segment: id, Offset: off, Reason: "frame passes its checksum but does not decode: " + err.Error()}
		}
		if err := visit(&rec, body, &view); err != nil {
			return scanResult{}, err
		}
		off += int64(fsize)
	}
	return scanResult{end: off}, nil
}

// tornOrCorrupt judges the bytes from off to the end of the file after a
// frame failed to decode with ferr, given the segment's synced point.
func tornOrCorrupt(id uint64, off, size, synced int64, ferr error) (scanResult, error) {
	if off >= synced {
		return scanResult{end: off, torn: size - off,
			reason: fmt.Sprintf("%v at or after the synced point %d: never made durable", ferr, synced)}, nil
	}
	return scanResult{}, &CorruptionError{Segment: id, Offset: off,
		Reason: fmt.Sprintf("%v, before the synced point %d", ferr, synced)}
}

// syncMarkAfter searches the bytes from off to size for sync marks (valid
// bodySynced frames, at any offset: after damage the frame boundaries are
// lost) and returns the highest offset they record, or 0. A mark that
// survives past damage and records a synced point beyond it proves the
// damage hit durable bytes. Only the damaged path pays for the search.
func syncMarkAfter(f fs.File, off, size int64) (int64, error) {
	const chunk = 256 << 10
	buf := make([]byte, chunk+format.MaxSyncedFrame)
	var best int64
	for ; off < size; off += chunk {
		n := min(int64(len(buf)), size-off)
		if _, err := f.ReadAt(buf[:n], off); err != nil {
			return 0, err
		}
		b := buf[:n]
		for i := 0; i+format.FrameHeaderSize < len(b) && i < chunk; i++ {
			l, err := format.FrameLen(b[i:])
			if err != nil || l > format.MaxSyncedFrame-format.FrameHeaderSize || i+format.FrameHeaderSize+l > len(b) {
				continue
			}
			body, _, err := format.DecodeFrame(b[i:])
			if err != nil {
				continue
			}
			if t, err := format.BodyType(body); err != nil || t != format.TypeSynced {
				continue
			}
			if w, err := format.DecodeSynced(body); err == nil && w <= off+int64(i) {
				best = max(best, w)
			}
		}
	}
	return best, nil
}

// zerosFrom reports whether the file holds only zero bytes from off to size.
func zerosFrom(f fs.File, off, size int64) (bool, error) {
	buf := make([]byte, 64<<10)
	for off < size {
		n := min(int64(len(buf)), size-off)
		if _, err := f.ReadAt(buf[:n], off); err != nil {
			return false, err
		}
		for _, c := range buf[:n] {
			if c != 0 {
				return false, nil
			}
		}
		off += n
	}
	return true, nil
}

// isFooterAt reports whether the trailer of a file of the given size
// names off as its footer's offset (*at caches what it names; -2: not read
// yet) and the frame there is of the footer's type, judged from its first
// bytes.
func isFooterAt(f fs.File, off, size int64, at *int64) bool {
	if *at == -2 {
		*at = format.FooterAt(f, size)
	}
	if *at != off {
		return false
	}
	var b [format.FrameHeaderSize + 16]byte
	if n, _ := f.ReadAt(b[:], off); n < len(b) {
		return false
	}
	t, err := format.BodyType(b[format.FrameHeaderSize:])
	return err == nil && t == format.TypeFooter
}

// eofZeros reads a file that may shrink while it is read (a segment a
// writer seals or cuts under a read-only engine): bytes past its end read
// as zeros, which the scan takes for the end of the data, as it takes
// preallocated zeros.
type eofZeros struct{ fs.File }

// ReadAt implements io.ReaderAt; it returns len(p) unless the read fails
// for another reason than the end of the file.
func (z eofZeros) ReadAt(p []byte, off int64) (int, error) {
	n, err := z.File.ReadAt(p, off)
	if errors.Is(err, io.EOF) {
		clear(p[n:])
		return len(p), nil
	}
	return n, err
}
