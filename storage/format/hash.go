package format

import (
	"github.com/batpak-go/batpak/messages"
	"lukechampine.com/blake3"
)

// Hasher computes the blake3 digests of the hash chain with a reused state.
// Input is fed in pieces of at most one blake3 chunk (1 KiB): larger writes
// make lukechampine.com/blake3 start a goroutine per subtree, and the
// engine starts no goroutines.
type Hasher struct {
	h   *blake3.Hasher
	out []byte
}

func NewHasher() *Hasher { return &Hasher{h: blake3.New(32, nil), out: make([]byte, 0, 32)} }

const blake3Chunk = 1024

func (h *Hasher) Sum(p []byte) (d messages.Hash) {
	if len(p) <= blake3Chunk {
		return blake3.Sum256(p)
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
