package storage

import (
	"encoding/binary"
	"errors"
	"fmt"

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
// header on, calls visit for each, and stops at the end of the data. What
// follows the last good frame is a torn tail if it is an incomplete frame
// reaching the end of the file, a run of zeros to the end of the file, or a
// last frame (ending exactly at the end of the file, or followed only by
// zeros) whose checksum fails; anything else is a *CorruptionError.
func scanSegment(f fs.File, id uint64, size int64, visit func(*record) error) (scanResult, error) {
	var (
		buf    []byte
		bufOff int64 = headerSize // file offset of buf[0]
		off    int64 = headerSize
		rec    record
	)
	for off < size {
		// Make sure buf holds the whole frame, or the rest of the file.
		pos := int(off - bufOff)
		for {
			need := frameHeaderSize
			if n, err := frameLen(buf[pos:]); err == nil {
				need += n
			}
			if len(buf)-pos >= need || bufOff+int64(len(buf)) >= size {
				break
			}
			nb := make([]byte, min(max(int64(need), scanWindow), size-off))
			if _, err := f.ReadAt(nb, off); err != nil {
				return scanResult{}, fmt.Errorf("read segment %d at %d: %w", id, off, err)
			}
			buf, bufOff, pos = nb, off, 0
		}
		body, fsize, err := decodeFrame(buf[pos:])
		if err != nil {
			if footerAt(f, size) == off { // a damaged footer where the trailer says
				return scanResult{end: off, sealed: true}, nil
			}
			return tornOrCorrupt(f, id, off, size, buf[pos:], err)
		}
		typ, err := bodyType(body)
		if err == nil && typ == bodyFooter {
			return scanResult{end: off, sealed: true}, nil
		}
		rec = record{typ: typ, offset: off, size: fsize, chained: true}
		switch {
		case err != nil:
		case typ == bodyEvent:
			err = decodeEvent(body, &rec.ev, false)
		case typ == bodyBegin || typ == bodyCommit:
			rec.m, err = decodeMarker(body, typ)
		default:
			err = fmt.Errorf("unknown frame type %d", typ)
		}
		if err != nil {
			return scanResult{}, &CorruptionError{Segment: id, Offset: off, Reason: "frame passes its checksum but does not decode: " + err.Error()}
		}
		if err := visit(&rec); err != nil {
			return scanResult{}, err
		}
		off += int64(fsize)
	}
	return scanResult{end: off}, nil
}

// tornOrCorrupt judges the bytes from off to the end of the file after a
// frame failed to decode with ferr.
func tornOrCorrupt(f fs.File, id uint64, off, size int64, b []byte, ferr error) (scanResult, error) {
	res := scanResult{end: off, torn: size - off}
	switch {
	case errors.Is(ferr, errFrameShort):
		res.reason = "incomplete frame at the end of the file"
		return res, nil
	case errors.Is(ferr, errFrameZero) || errors.Is(ferr, errFrameLength):
		// A length word cut short by a torn write, then zeros.
		zero, err := zerosFrom(f, off+min(frameHeaderSize, size-off), size)
		if err != nil {
			return scanResult{}, err
		}
		if zero {
			res.reason = "zeros to the end of the file"
			return res, nil
		}
	case errors.Is(ferr, errFrameCRC):
		n, _ := frameLen(b)
		end := off + frameHeaderSize + int64(n)
		zero, err := zerosFrom(f, end, size)
		if err != nil {
			return scanResult{}, err
		}
		if zero {
			res.reason = "last frame fails its checksum"
			return res, nil
		}
	}
	return scanResult{}, &CorruptionError{Segment: id, Offset: off, Reason: ferr.Error() + ", and data follows"}
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

// footerAt returns the footer offset a segment's trailer names, or -1.
func footerAt(f fs.File, size int64) int64 {
	var tr [trailerSize]byte
	if size < trailerSize {
		return -1
	}
	if _, err := f.ReadAt(tr[:], size-trailerSize); err != nil || [8]byte(tr[8:]) != trailerMagic {
		return -1
	}
	return int64(binary.LittleEndian.Uint64(tr[:8]))
}
