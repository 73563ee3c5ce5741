package messages

import (
	"encoding/hex"

	"github.com/google/uuid"
	"lukechampine.com/blake3"
)

// ID is a 16-byte identifier: event ids, correlation and causation ids,
// batch ids and idempotency keys. The zero ID means "none".
type ID [16]byte

// NewID returns a fresh UUIDv7 (time-ordered) identifier.
func NewID() ID {
	u, err := uuid.NewV7()
	if err != nil {
		// uuid.NewV7 fails only when the system's random source fails;
		// fall back to a v4, which reads the same source, so this is
		// practically unreachable.
		return ID(uuid.New())
	}
	return ID(u)
}

// IDFromKey derives the event id used for an append carrying the
// idempotency key k. The result is a version-8 UUID, so it can never equal
// a UUIDv7 made by NewID; equal keys give equal ids, which is how a retry
// finds the event it already wrote.
func IDFromKey(k ID) ID {
	var in [len("batpak-idempotency-v1:") + 16]byte
	n := copy(in[:], "batpak-idempotency-v1:")
	copy(in[n:], k[:])
	sum := blake3.Sum256(in[:])
	var id ID
	copy(id[:], sum[:16])
	id[6] = (id[6] & 0x0f) | 0x80 // version 8
	id[8] = (id[8] & 0x3f) | 0x80 // RFC 4122 variant
	return id
}

// ParseID parses the canonical 36-character UUID form (or 32 hex digits).
func ParseID(s string) (ID, error) {
	u, err := uuid.Parse(s)
	if err != nil {
		return ID{}, err
	}
	return ID(u), nil
}

// IsZero reports whether id is the zero ID ("none").
func (id ID) IsZero() bool { return id == ID{} }

// String returns the canonical UUID form, or "" for the zero ID.
func (id ID) String() string {
	if id.IsZero() {
		return ""
	}
	return uuid.UUID(id).String()
}

// Hash is a 32-byte blake3 digest, the link of an entity's hash chain.
type Hash [32]byte

// IsZero reports whether h is all zeros (the prev_hash of a first event).
func (h Hash) IsZero() bool { return h == Hash{} }

// String returns the digest in hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }
