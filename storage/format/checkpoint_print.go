package format

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
)

// ParseCheckpointName returns the segment id of a checkpoint file name, or
// false.
func ParseCheckpointName(name string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, CheckpointExt)
	if !ok || len(digits) != 10 {
		return 0, false
	}
	id, err := strconv.ParseUint(digits, 10, 64)
	return id, err == nil
}

// ReadSegmentPrint reads the fingerprint of sealed segment id, a file of
// the given size: its header (which must decode and name id), its trailer
// and its footer frame's header, whose length must end the footer at the
// trailer. With verify it also reads the whole footer frame and checks its
// checksum, so that a footer damaged after the print was taken no longer
// matches it. buf is reused for the footer and returned.
func ReadSegmentPrint(f io.ReaderAt, id uint64, size int64, verify bool, buf []byte) (SegmentPrint, []byte, error) {
	var hb [HeaderSize]byte
	if _, err := f.ReadAt(hb[:], 0); err != nil {
		return SegmentPrint{}, buf, fmt.Errorf("read header: %w", err)
	}
	h, err := DecodeHeader(hb[:])
	if err != nil {
		return SegmentPrint{}, buf, err
	}
	if h.ID != id {
		return SegmentPrint{}, buf, fmt.Errorf("header names segment %d", h.ID)
	}
	off := FooterAt(f, size)
	if off < HeaderSize || off > size-FrameHeaderSize-TrailerSize {
		return SegmentPrint{}, buf, ErrNoFooter
	}
	n := size - TrailerSize - off
	var fh [FrameHeaderSize]byte
	if _, err := f.ReadAt(fh[:], off); err != nil {
		return SegmentPrint{}, buf, fmt.Errorf("read footer: %w", err)
	}
	if l, err := FrameLen(fh[:]); err != nil || int64(l)+FrameHeaderSize != n {
		return SegmentPrint{}, buf, fmt.Errorf("%w: footer frame length", ErrNoFooter)
	}
	if verify { // the footer's checksum, over its length word and body, a MiB at a time
		const chunk = 1 << 20
		if cap(buf) < chunk {
			buf = make([]byte, chunk)
		}
		crc := crc32.Update(0, Castagnoli, fh[:4])
		for at := off + FrameHeaderSize; at < off+n; {
			b := buf[:min(chunk, off+n-at)]
			if _, err := f.ReadAt(b, at); err != nil {
				return SegmentPrint{}, buf, fmt.Errorf("read footer: %w", err)
			}
			crc = crc32.Update(crc, Castagnoli, b)
			at += int64(len(b))
		}
		if crc != binary.LittleEndian.Uint32(fh[4:]) {
			return SegmentPrint{}, buf, fmt.Errorf("%w: footer frame: %v", ErrNoFooter, ErrFrameCRC)
		}
	}
	return SegmentPrint{Size: size, HeaderCRC: binary.LittleEndian.Uint32(hb[28:]), FooterOffset: off,
		FooterCRC: binary.LittleEndian.Uint32(fh[4:])}, buf, nil
}
