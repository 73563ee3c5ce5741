package format

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// A frame is one record in a segment:
//
//	+-----------------+------------------+----------------------+
//	| length word u32 | crc32c u32       | body (msgpack array) |
//	+-----------------+------------------+----------------------+
//	  little endian     over the length    length bytes
//	                    word and the body
//
// The length word holds the body length in its low 28 bits and, in its top
// 4 bits, the XOR of the seven nibbles of the length (xor 0x5), so a flipped
// bit in the length is recognised before the length is trusted. A length
// word of zero is never written: it marks the end of the data.
const (
	// FrameHeaderSize is the bytes before a frame's body: the length word
	// and the crc32c.
	FrameHeaderSize = 8
	// MaxFrameBytes is the largest frame body the format can describe.
	MaxFrameBytes = 1<<28 - 1
	// MaxSegmentSize is the largest segment a writer starts a new frame in.
	MaxSegmentSize = 1 << 30
)

// Castagnoli is the crc32c table of every checksum in the format.
var Castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Frame decoding outcomes other than success. ErrFrameShort and
// ErrFrameZero can be a torn tail; the others are damage.
var (
	ErrFrameShort  = errors.New("frame extends past the end of the data") // fewer bytes than the frame claims
	ErrFrameZero   = errors.New("zero length word")                       // the end of the data (never written)
	ErrFrameLength = errors.New("frame length word fails its check")      // a damaged length word
	ErrFrameCRC    = errors.New("frame checksum mismatch")                // a damaged header or body
)

func lenCheck(n uint32) uint32 {
	x := n & MaxFrameBytes
	x ^= x >> 16
	x ^= x >> 8
	x ^= x >> 4
	return (x ^ 0x5) & 0xf
}

// LenWord returns the length word of a frame whose body is n bytes
// (0 < n <= MaxFrameBytes): n with its check nibble on top.
func LenWord(n int) uint32 { return uint32(n) | lenCheck(uint32(n))<<28 }

// BeginFrame reserves a frame header in b and returns the extended buffer
// and the offset of the frame; append the body, then call FinishFrame.
func BeginFrame(b []byte) ([]byte, int) {
	return append(b, make([]byte, FrameHeaderSize)...), len(b)
}

// FinishFrame fills in the header of the frame that starts at start.
func FinishFrame(b []byte, start int) {
	n := len(b) - start - FrameHeaderSize
	binary.LittleEndian.PutUint32(b[start:], LenWord(n))
	crc := crc32.Update(0, Castagnoli, b[start:start+4])
	crc = crc32.Update(crc, Castagnoli, b[start+FrameHeaderSize:])
	binary.LittleEndian.PutUint32(b[start+4:], crc)
}

// FrameLen reads the length word at the start of b. It returns the body
// length, or ErrFrameShort when fewer than a header's bytes are present,
// ErrFrameZero for a zero word and ErrFrameLength for a word that fails its
// check.
func FrameLen(b []byte) (int, error) {
	if len(b) < FrameHeaderSize {
		return 0, ErrFrameShort
	}
	w := binary.LittleEndian.Uint32(b)
	if w == 0 {
		return 0, ErrFrameZero
	}
	n := w & MaxFrameBytes
	if w>>28 != lenCheck(n) {
		return 0, ErrFrameLength
	}
	return int(n), nil
}

// DecodeFrame checks the frame at the start of b and returns its body (a
// sub-slice of b) and the frame's total size.
func DecodeFrame(b []byte) (body []byte, size int, err error) {
	n, err := FrameLen(b)
	if err != nil {
		return nil, 0, err
	}
	size = FrameHeaderSize + n
	if len(b) < size {
		return nil, 0, ErrFrameShort
	}
	body = b[FrameHeaderSize:size]
	crc := crc32.Update(0, Castagnoli, b[:4])
	crc = crc32.Update(crc, Castagnoli, body)
	if crc != binary.LittleEndian.Uint32(b[4:]) {
		return nil, 0, ErrFrameCRC
	}
	return body, size, nil
}
