package messages

import (
	"encoding/binary"

	"lukechampine.com/blake3"
)

// KeyOf derives an idempotency key from the parts that name an operation
// (say a command's source and its number): the first 16 bytes of a blake3
// hash over each part with its length, so that different parts never give
// the same key by accident (no truncation, no "ab"+"c" = "a"+"bc"), and
// the same parts always give the same key, which is what lets a retry be
// recognised.
func KeyOf(parts ...string) ID {
	h := blake3.New(32, nil)
	h.Write([]byte("batpak-key-v1"))
	var n [8]byte
	for _, p := range parts {
		binary.LittleEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	var k ID
	copy(k[:], h.Sum(nil))
	return k
}
