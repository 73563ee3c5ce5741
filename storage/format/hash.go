package format

import (
	"github.com/batpak-go/batpak/messages"
	"lukechampine.com/blake3"
)

// Hasher computes the blake3 digests of the hash chain with a reused state.
// A body of at most one blake3 chunk (1 KiB: an event with a payload of up
// to about 700 bytes) is hashed by sumChunk: on amd64 the compression
// function in SSE2 (blake3_amd64.s), about three times faster than the
// portable code, elsewhere lukechampine.com/blake3's Sum256. Longer input
// is fed to lukechampine.com/blake3 in pieces of at most one chunk: larger
// writes make it start a goroutine per subtree, and the engine starts no
// goroutines.
type Hasher struct {
	h   *blake3.Hasher
	out []byte
}

// NewHasher returns a Hasher. A Hasher is not safe for concurrent use.
func NewHasher() *Hasher { return &Hasher{h: blake3.New(32, nil), out: make([]byte, 0, 32)} }

const blake3Chunk = 1024

// blake3IV is BLAKE3's initial chaining value (SHA-256's).
var blake3IV = [8]uint32{0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19}

// Sum returns the 32-byte blake3 digest of p (the same as blake3.Sum256).
func (h *Hasher) Sum(p []byte) (d messages.Hash) {
	if len(p) <= blake3Chunk {
		return sumChunk(p)
	}
	h.h.Reset()
	for len(p) > 0 {
		n := min(len(p), blake3Chunk)
		h.h.Write(p[:n])
		p = p[n:]
	}
	copy(d[:], h.h.Sum(h.out[:0]))
	return d
}
