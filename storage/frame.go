package storage

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
	frameHeaderSize = 8
	// MaxFrameBytes is the largest frame body the format can describe.
	MaxFrameBytes = 1<<28 - 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Frame decoding outcomes other than success. errFrameShort and
// errFrameZero can be a torn tail; the others are damage.
var (
	errFrameShort  = errors.New("frame extends past the end of the data")
	errFrameZero   = errors.New("zero length word")
	errFrameLength = errors.New("frame length word fails its check")
	errFrameCRC    = errors.New("frame checksum mismatch")
)

func lenCheck(n uint32) uint32 {
	x := n & MaxFrameBytes
	x ^= x >> 16
	x ^= x >> 8
	x ^= x >> 4
	return (x ^ 0x5) & 0xf
}

func lenWord(n int) uint32 { return uint32(n) | lenCheck(uint32(n))<<28 }

// beginFrame reserves a frame header in b and returns the extended buffer
// and the offset of the frame; append the body, then call finishFrame.
func beginFrame(b []byte) ([]byte, int) {
	return append(b, make([]byte, frameHeaderSize)...), len(b)
}

// finishFrame fills in the header of the frame that starts at start.
func finishFrame(b []byte, start int) {
	n := len(b) - start - frameHeaderSize
	binary.LittleEndian.PutUint32(b[start:], lenWord(n))
	crc := crc32.Update(0, castagnoli, b[start:start+4])
	crc = crc32.Update(crc, castagnoli, b[start+frameHeaderSize:])
	binary.LittleEndian.PutUint32(b[start+4:], crc)
}

// frameLen reads the length word at the start of b. It returns the body
// length, or errFrameShort when fewer than a header's bytes are present,
// errFrameZero for a zero word and errFrameLength for a word that fails its
// check.
func frameLen(b []byte) (int, error) {
	if len(b) < frameHeaderSize {
		return 0, errFrameShort
	}
	w := binary.LittleEndian.Uint32(b)
	if w == 0 {
		return 0, errFrameZero
	}
	n := w & MaxFrameBytes
	if w>>28 != lenCheck(n) {
		return 0, errFrameLength
	}
	return int(n), nil
}

// decodeFrame checks the frame at the start of b and returns its body (a
// sub-slice of b) and the frame's total size.
func decodeFrame(b []byte) (body []byte, size int, err error) {
	n, err := frameLen(b)
	if err != nil {
		return nil, 0, err
	}
	size = frameHeaderSize + n
	if len(b) < size {
		return nil, 0, errFrameShort
	}
	body = b[frameHeaderSize:size]
	crc := crc32.Update(0, castagnoli, b[:4])
	crc = crc32.Update(crc, castagnoli, body)
	if crc != binary.LittleEndian.Uint32(b[4:]) {
		return nil, 0, errFrameCRC
	}
	return body, size, nil
}
