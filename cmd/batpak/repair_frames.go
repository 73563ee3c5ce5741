package main

import (
	"io"

	"github.com/batpak-go/batpak/storage/format"
)

// frameCount says what a range of segment bytes that repair cuts held,
// frame by frame from its start (with the format package's decoder).
type frameCount struct {
	// Events counts the event frames that pass their checksum.
	Events int `json:"events"`
	// Damaged counts the frames whose length word holds but whose
	// checksum fails (skipped, the count goes on after them).
	Damaged int `json:"damaged_frames"`
	// Other counts the intact frames of other types (batch markers, sync
	// marks).
	Other int `json:"other_frames"`
	// Footer is the length of the segment's footer and trailer, when the
	// range ends with them.
	Footer int64 `json:"footer_bytes"`
	// Undecodable is the length of the bytes from the first frame whose
	// length word fails (where frame boundaries are lost) to the end.
	Undecodable int64 `json:"undecodable_bytes"`
}

// countFrames walks the frames of r from offset from (a frame start) to
// offset to.
func countFrames(r io.ReaderAt, from, to int64) (frameCount, error) {
	var c frameCount
	w := frameWindow{r: r, end: to}
	off := from
	for off < to {
		hdr, err := w.at(off, format.FrameHeaderSize)
		if err != nil {
			return c, err
		}
		n, lerr := format.FrameLen(hdr)
		if lerr != nil || n > int(to-off)-format.FrameHeaderSize {
			break
		}
		frame, err := w.at(off, format.FrameHeaderSize+n)
		if err != nil {
			return c, err
		}
		off += int64(len(frame))
		body, _, derr := format.DecodeFrame(frame)
		if derr != nil {
			c.Damaged++
			continue
		}
		switch typ, _ := format.BodyType(body); typ {
		case format.TypeEvent:
			c.Events++
		case format.TypeFooter:
			c.Footer = to - (off - int64(len(frame)))
			return c, nil
		default:
			c.Other++
		}
	}
	c.Undecodable = to - off
	return c, nil
}

// frameWindow reads a file through a buffer of at least 1 MiB, so that walking
// small frames costs few reads.
type frameWindow struct {
	r   io.ReaderAt
	end int64 // nothing is read past it
	off int64 // file offset of buf[0]
	buf []byte
}

// at returns the n bytes at offset off (fewer if the end comes first),
// valid until the next call.
func (w *frameWindow) at(off int64, n int) ([]byte, error) {
	n = int(min(int64(n), w.end-off))
	if off >= w.off && off+int64(n) <= w.off+int64(len(w.buf)) {
		return w.buf[off-w.off : off-w.off+int64(n)], nil
	}
	size := int(min(max(int64(n), 1<<20), w.end-off))
	if cap(w.buf) < size {
		w.buf = make([]byte, size)
	}
	w.buf, w.off = w.buf[:size], off
	if _, err := w.r.ReadAt(w.buf, off); err != nil && err != io.EOF {
		return nil, err
	}
	return w.buf[:n], nil
}
