package format

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/batpak-go/batpak/messages"
)

// EventView holds what DecodeEventView leaves in the body instead of
// copying: sub-slices of the body, valid as long as the body is.
type EventView struct {
	Entity, Scope []byte // the coordinate's bytes
	// Payload is the event's payload bytes: a sub-slice of the body, not
	// a copy.
	Payload []byte
}

// DecodeEventView decodes an event body as DecodeEvent does, without
// allocating for an event without metadata: every field of e but
// Coordinate and Payload is set, and the coordinate's and payload's bytes
// are left in v as sub-slices of body. A reader that knows which coordinate
// the frame must hold compares v's bytes with it instead of building
// strings. An event's metadata is decoded into a new map (e.Metadata; nil
// when the body has none).
func DecodeEventView(body []byte, e *messages.Event, v *EventView) error {
	if decodeEventFast(body, e, v) {
		return nil
	}
	return decodeEventView(body, e, v)
}

// decodeEventView is DecodeEventView with the general reader: every
// encoding the reader accepts, and the reader's errors.
func decodeEventView(body []byte, e *messages.Event, v *EventView) error {
	r := reader{b: body}
	n := r.arrayLen()
	if r.err == nil && n != EventFields && n != EventFieldsMeta {
		return fmt.Errorf("event body has %d fields, want %d or %d: %w", n, EventFields, EventFieldsMeta, ErrMalformed)
	}
	if t := r.uint(); r.err == nil && t != TypeEvent {
		return fmt.Errorf("body type %d is not an event: %w", t, ErrMalformed)
	}
	e.Sequence = r.uint()
	r.fixed(e.ID[:])
	v.Entity = r.strBytes()
	v.Scope = r.strBytes()
	kind := r.uint()
	e.Kind = messages.EventKind(kind)
	e.Version = r.uint()
	e.WallMS = r.int()
	e.TimestampUS = r.int()
	e.CorrelationID = r.corr(e.ID)
	e.CausationID = r.optID()
	e.BatchID = r.optID()
	r.fixed(e.PrevHash[:])
	v.Payload = r.bin()
	e.Metadata = nil
	if n == EventFieldsMeta {
		e.Metadata = r.metadata()
	}
	r.fixed(e.Hash[:])
	if r.err != nil {
		return r.err
	}
	if r.off != len(body) || kind > 0xFFFF {
		return ErrMalformed
	}
	return nil
}

// decodeEventFast decodes an event body written the way AppendEventFrame
// writes an event without metadata (a fixarray of 15, a fixint type, bin8
// ids and hashes), with plain
// bounds checks and no sticky error, and reports whether it could: any
// other shape, valid or not, is left to decodeEventView, so both decode
// every body alike (FuzzDecodeEventView checks it against DecodeEvent).
func decodeEventFast(b []byte, e *messages.Event, v *EventView) bool {
	if len(b) < 2 || b[0] != 0x90|EventFields || b[1] != TypeEvent {
		return false
	}
	p, ok := 2, true
	var kind uint64
	e.Sequence, p, ok = fastUint(b, p, ok)
	p, ok = fastFixed(b, p, ok, e.ID[:])
	v.Entity, p, ok = fastStr(b, p, ok)
	v.Scope, p, ok = fastStr(b, p, ok)
	kind, p, ok = fastUint(b, p, ok)
	e.Version, p, ok = fastUint(b, p, ok)
	e.WallMS, p, ok = fastInt(b, p, ok)
	e.TimestampUS, p, ok = fastInt(b, p, ok)
	e.CorrelationID, p, ok = fastOptID(b, p, ok)
	e.CausationID, p, ok = fastOptID(b, p, ok)
	e.BatchID, p, ok = fastOptID(b, p, ok)
	p, ok = fastFixed(b, p, ok, e.PrevHash[:])
	v.Payload, p, ok = fastBin(b, p, ok)
	p, ok = fastFixed(b, p, ok, e.Hash[:])
	if !ok || p != len(b) || kind > 0xFFFF {
		return false
	}
	e.Kind = messages.EventKind(kind)
	e.Metadata = nil
	if e.CorrelationID == (messages.ID{}) {
		e.CorrelationID = e.ID
	}
	return true
}

// The fast decoders read one value at p when ok, and return it, the next
// offset and whether it was read.

func fastUint(b []byte, p int, ok bool) (uint64, int, bool) {
	if !ok || p >= len(b) {
		return 0, p, false
	}
	switch c := b[p]; {
	case c < 0x80:
		return uint64(c), p + 1, true
	case c == 0xcc && p+2 <= len(b):
		return uint64(b[p+1]), p + 2, true
	case c == 0xcd && p+3 <= len(b):
		return uint64(binary.BigEndian.Uint16(b[p+1:])), p + 3, true
	case c == 0xce && p+5 <= len(b):
		return uint64(binary.BigEndian.Uint32(b[p+1:])), p + 5, true
	case c == 0xcf && p+9 <= len(b):
		return binary.BigEndian.Uint64(b[p+1:]), p + 9, true
	}
	return 0, p, false
}

func fastInt(b []byte, p int, ok bool) (int64, int, bool) {
	if !ok || p >= len(b) {
		return 0, p, false
	}
	switch c := b[p]; {
	case c >= 0xe0:
		return int64(int8(c)), p + 1, true
	case c == 0xd3 && p+9 <= len(b):
		return int64(binary.BigEndian.Uint64(b[p+1:])), p + 9, true
	}
	u, p, ok := fastUint(b, p, ok)
	return int64(u), p, ok && u <= math.MaxInt64
}

// fastLen reads a str (str=true) or bin header and checks that its bytes
// follow.
func fastLen(b []byte, p int, ok, str bool) (int, int, bool) {
	if !ok || p >= len(b) {
		return 0, p, false
	}
	c, n, h := b[p], 0, 0
	switch {
	case str && c&0xe0 == 0xa0:
		n, h = int(c&0x1f), 1
	case (str && c == 0xd9 || !str && c == 0xc4) && p+2 <= len(b):
		n, h = int(b[p+1]), 2
	case (str && c == 0xda || !str && c == 0xc5) && p+3 <= len(b):
		n, h = int(binary.BigEndian.Uint16(b[p+1:])), 3
	case (str && c == 0xdb || !str && c == 0xc6) && p+5 <= len(b):
		n, h = int(binary.BigEndian.Uint32(b[p+1:])), 5
	default:
		return 0, p, false
	}
	p += h
	if n < 0 || n > len(b)-p {
		return 0, p, false
	}
	return n, p, true
}

func fastStr(b []byte, p int, ok bool) ([]byte, int, bool) {
	n, p, ok := fastLen(b, p, ok, true)
	if !ok {
		return nil, p, false
	}
	return b[p : p+n], p + n, true
}

func fastBin(b []byte, p int, ok bool) ([]byte, int, bool) {
	n, p, ok := fastLen(b, p, ok, false)
	if !ok {
		return nil, p, false
	}
	return b[p : p+n], p + n, true
}

func fastFixed(b []byte, p int, ok bool, dst []byte) (int, bool) {
	if !ok || p+2+len(dst) > len(b) || b[p] != 0xc4 || int(b[p+1]) != len(dst) {
		return p, false
	}
	copy(dst, b[p+2:])
	return p + 2 + len(dst), true
}

func fastOptID(b []byte, p int, ok bool) (id messages.ID, _ int, _ bool) {
	if ok && p < len(b) && b[p] == 0xc0 {
		return id, p + 1, true
	}
	p, ok = fastFixed(b, p, ok, id[:])
	return id, p, ok
}
