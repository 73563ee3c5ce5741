//go:build !purego

package format

import "encoding/binary"

// compressSSE2 compresses block into the chaining value cv (the first
// eight output words); d is the fourth row of the initial state: the
// counter (low, high), the block length and the flags. In blake3_amd64.s.
//
//go:noescape
func compressSSE2(cv *[8]uint32, block *[64]byte, d *[4]uint32)

// sumChunk returns the BLAKE3-256 digest of p, which is at most one chunk
// (1 KiB) long: the blocks of the one chunk compressed in a row (counter
// 0), the last one (zero-padded) as the root.
func sumChunk(p []byte) (out [32]byte) {
	const chunkStart, chunkEnd, root = 1, 2, 8
	cv := blake3IV
	d := [4]uint32{0, 0, 64, chunkStart}
	for len(p) > 64 {
		compressSSE2(&cv, (*[64]byte)(p), &d)
		d[3] = 0
		p = p[64:]
	}
	var last [64]byte
	copy(last[:], p)
	d[2], d[3] = uint32(len(p)), d[3]|chunkEnd|root
	compressSSE2(&cv, &last, &d)
	for i, w := range cv {
		binary.LittleEndian.PutUint32(out[4*i:], w)
	}
	return out
}
