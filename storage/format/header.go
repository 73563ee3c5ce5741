package format

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"

	"io"
)

// A segment file starts with a fixed 32-byte header:
//
//	0  magic "BPKS"        4  format version u16   6  flags u16
//	8  segment id u64      16 created, unix ns i64  24 reserved u32
//	28 crc32c of bytes 0..27
//
// all little endian. Flag FlagContinuation marks a segment opened by
// rotation inside one engine session: an atomic batch may continue into it.
// A segment opened by Open is a fresh start: any batch still open at its
// boundary was never committed.
const (
	HeaderSize       = 32     // bytes; a segment's first frame starts here
	Version          = 1      // the segment format version this build writes and reads
	FlagContinuation = 1      // header flag: the segment was started by a rotation
	SegmentExt       = ".seg" // the extension of segment file names
)

var headerMagic = [4]byte{'B', 'P', 'K', 'S'}

// SegmentHeader is the decoded 32-byte header of a segment file.
type SegmentHeader struct {
	// ID is the segment's id, from 1, the same as in its file name
	// (SegmentName).
	ID uint64
	// Flags holds FlagContinuation or 0; other bits are kept as read.
	Flags uint16
	// CreatedNS is when the segment was created, in nanoseconds since the
	// Unix epoch (the engine's clock). Informational only.
	CreatedNS int64
}

// Continuation reports whether FlagContinuation is set: the segment was
// started by a rotation, and a batch may continue into it.
func (h SegmentHeader) Continuation() bool { return h.Flags&FlagContinuation != 0 }

// Encode returns the header's HeaderSize bytes, format Version, with its
// checksum.
func (h SegmentHeader) Encode() []byte {
	b := make([]byte, HeaderSize)
	copy(b, headerMagic[:])
	binary.LittleEndian.PutUint16(b[4:], Version)
	binary.LittleEndian.PutUint16(b[6:], h.Flags)
	binary.LittleEndian.PutUint64(b[8:], h.ID)
	binary.LittleEndian.PutUint64(b[16:], uint64(h.CreatedNS))
	binary.LittleEndian.PutUint32(b[28:], crc32.Checksum(b[:28], Castagnoli))
	return b
}

// DecodeHeader decodes and checks the header at the start of b: its
// length, magic, checksum and format version. Its errors say which check
// failed; they wrap no sentinel.
func DecodeHeader(b []byte) (SegmentHeader, error) {
	if len(b) < HeaderSize {
		return SegmentHeader{}, fmt.Errorf("header is %d bytes, want %d", len(b), HeaderSize)
	}
	if [4]byte(b[:4]) != headerMagic {
		return SegmentHeader{}, fmt.Errorf("bad magic %q", b[:4])
	}
	if crc32.Checksum(b[:28], Castagnoli) != binary.LittleEndian.Uint32(b[28:]) {
		return SegmentHeader{}, fmt.Errorf("header checksum mismatch")
	}
	if v := binary.LittleEndian.Uint16(b[4:]); v != Version {
		return SegmentHeader{}, fmt.Errorf("format version %d, this build reads %d", v, Version)
	}
	return SegmentHeader{
		Flags:     binary.LittleEndian.Uint16(b[6:]),
		ID:        binary.LittleEndian.Uint64(b[8:]),
		CreatedNS: int64(binary.LittleEndian.Uint64(b[16:])),
	}, nil
}

// ReadHeader reads and decodes the header of a segment file.
func ReadHeader(f io.ReaderAt) (SegmentHeader, error) {
	hb := make([]byte, HeaderSize)
	n, _ := f.ReadAt(hb, 0)
	return DecodeHeader(hb[:n])
}

// SegmentName returns the file name of segment id: ten digits, zero
// padded, and SegmentExt ("0000000007.seg").
func SegmentName(id uint64) string { return fmt.Sprintf("%010d%s", id, SegmentExt) }

// MaxSegmentID is the highest segment id. The index keeps a segment id in
// 32 bits; 2^31 segments are far more than a store reaches (128 PiB of
// 64 MiB segments), and every id up to it has a ten-digit name, so that
// segment names sort by id.
const MaxSegmentID = 1 << 31

// ParseSegmentName returns the id of a segment file name, or false. Only
// the name SegmentName gives is one (an id written with more digits, as
// in "00000000007.seg", names another file than segment 7's), and only
// for an id from 1 (the first segment's) to MaxSegmentID: a file named
// otherwise ("0000000000.seg", "9999999999.seg") is not a segment, which
// the engine neither reads nor counts when it numbers a new segment.
func ParseSegmentName(name string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, SegmentExt)
	if !ok || len(digits) != 10 {
		return 0, false
	}
	id, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || id == 0 || id > MaxSegmentID || SegmentName(id) != name {
		return 0, false
	}
	return id, true
}
