package format

import (
	"fmt"

	"github.com/batpak-go/batpak/messages"
)

// EventView holds what DecodeEventView leaves in the body instead of
// copying: sub-slices of the body, valid as long as the body is.
type EventView struct {
	Entity, Scope []byte // the coordinate's bytes
	Payload       []byte
}

// DecodeEventView decodes an event body as DecodeEvent does, without
// allocating: every field of e but Coordinate and Payload is set, and the
// coordinate's and payload's bytes are left in v as sub-slices of body. A
// reader that knows which coordinate the frame must hold compares v's
// bytes with it instead of building strings.
func DecodeEventView(body []byte, e *messages.Event, v *EventView) error {
	r := reader{b: body}
	if n := r.arrayLen(); r.err == nil && n != EventFields {
		return fmt.Errorf("event body has %d fields, want %d: %w", n, EventFields, ErrMalformed)
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
	r.fixed(e.Hash[:])
	if r.err != nil {
		return r.err
	}
	if r.off != len(body) || kind > 0xFFFF {
		return ErrMalformed
	}
	return nil
}

// strBytes reads a msgpack str and returns its bytes (no copy).
func (r *reader) strBytes() []byte {
	c := r.byte1()
	var n uint64
	switch {
	case c&0xe0 == 0xa0:
		n = uint64(c & 0x1f)
	case c == 0xd9:
		n = r.beUint(1)
	case c == 0xda:
		n = r.beUint(2)
	case c == 0xdb:
		n = r.beUint(4)
	default:
		r.fail()
		return nil
	}
	if n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	return r.next(int(n))
}
