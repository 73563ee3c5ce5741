package storage

import (
	"crypto/rand"
	"encoding/binary"
	"io"
	"time"

	"github.com/batpak-go/batpak/messages"
)

// idSource makes the UUIDv7 ids of new events (RFC 9562): 48 bits of Unix
// milliseconds, the version, 12 bits that order ids made in the same
// millisecond (sub-millisecond time, kept strictly increasing from id to
// id, as google/uuid's NewV7 does), the variant and 62 random bits. The
// random bits come from a buffered read of the system's random source, one
// read for 512 ids; nothing is allocated per id. Like the rest of the write
// path, it is used by one goroutine.
type idSource struct {
	rnd  [4096]byte
	off  int   // next unused byte of rnd
	last int64 // milliseconds<<12 | sequence of the last id
}

func newIDSource() idSource { return idSource{off: len(idSource{}.rnd)} }

func (s *idSource) next() messages.ID {
	if s.off+8 > len(s.rnd) {
		if _, err := io.ReadFull(rand.Reader, s.rnd[:]); err != nil { // the system random source failed; let messages decide
			return messages.NewID()
		}
		s.off = 0
	}
	nano := time.Now().UnixNano()
	ms := nano / 1e6
	t := ms<<12 | (nano-ms*1e6)>>8 // the sub-millisecond part: 0..3906
	if t <= s.last {
		t = s.last + 1
	}
	s.last = t
	var id messages.ID
	binary.BigEndian.PutUint64(id[:8], uint64(t>>12)<<16|0x7000|uint64(t&0xfff))
	copy(id[8:], s.rnd[s.off:s.off+8])
	s.off += 8
	id[8] = id[8]&0x3f | 0x80 // variant 0b10
	return id
}
