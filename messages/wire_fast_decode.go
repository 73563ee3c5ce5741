package messages

import "encoding/binary"

// Hand-written msgpack decoders for the messages of an append. They read
// what msgpack.Marshal writes for these messages, in any field order, and
// give the value msgpack.Unmarshal gives. On anything they do not expect
// (an unknown or repeated field, a nil or a type code where msgpack would
// convert, an array-encoded struct, trailing bytes) they give up, and
// Deserialize decodes the body with msgpack.Unmarshal instead; so every
// body msgpack accepts is still accepted, with the same result.

// decodeFast decodes body into msg, a new empty message, and reports
// whether it did; when it did not, msg is untouched. A decoded payload
// shares memory with body.
func decodeFast(body []byte, msg any) bool {
	r := &wireReader{b: body}
	switch m := msg.(type) {
	case *Append:
		v := r.append()
		if r.done() {
			*m = v
			return true
		}
	case *AppendReply:
		v := r.appendReply()
		if r.done() {
			*m = v
			return true
		}
	case *AppendBatch:
		v := r.appendBatch()
		if r.done() {
			*m = v
			return true
		}
	case *AppendBatchReply:
		v := r.appendBatchReply()
		if r.done() {
			*m = v
			return true
		}
	}
	return false
}

// wireReader reads msgpack from b. Its methods return zero values once
// something unexpected was met; done tells whether all went well.
type wireReader struct {
	b   []byte // what is left to read
	bad bool   // something unexpected was met
}

// done reports whether everything was read as expected, to the last byte.
func (r *wireReader) done() bool { return !r.bad && len(r.b) == 0 }

func (r *wireReader) fail() {
	r.bad = true
	r.b = nil
}

// once marks field bit of *seen, failing if it was already marked: a
// repeated field is left to msgpack.
func (r *wireReader) once(seen *uint16, bit uint16) {
	if *seen&bit != 0 {
		r.fail()
	}
	*seen |= bit
}

func (r *wireReader) code() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// take returns the next n bytes, with no spare capacity.
func (r *wireReader) take(n uint64) []byte {
	if n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

// isNil consumes a nil if one comes next.
func (r *wireReader) isNil() bool {
	if len(r.b) > 0 && r.b[0] == 0xc0 {
		r.b = r.b[1:]
		return true
	}
	return false
}

// be reads an n-byte big-endian unsigned number (n is 1, 2, 4 or 8).
func (r *wireReader) be(n uint64) uint64 {
	p := r.take(n)
	switch len(p) {
	case 1:
		return uint64(p[0])
	case 2:
		return uint64(binary.BigEndian.Uint16(p))
	case 4:
		return uint64(binary.BigEndian.Uint32(p))
	case 8:
		return binary.BigEndian.Uint64(p)
	}
	return 0
}

// mapLen reads a map header (not nil).
func (r *wireReader) mapLen() int {
	switch c := r.code(); {
	case c >= 0x80 && c <= 0x8f:
		return r.count(uint64(c & 0x0f))
	case c == 0xde:
		return r.count(r.be(2))
	case c == 0xdf:
		return r.count(r.be(4))
	}
	r.fail()
	return 0
}

// arrayLen reads an array header (not nil).
func (r *wireReader) arrayLen() int {
	switch c := r.code(); {
	case c >= 0x90 && c <= 0x9f:
		return r.count(uint64(c & 0x0f))
	case c == 0xdc:
		return r.count(r.be(2))
	case c == 0xdd:
		return r.count(r.be(4))
	}
	r.fail()
	return 0
}

// count checks a map's or array's length against the bytes left (each
// entry takes at least one).
func (r *wireReader) count(n uint64) int {
	if n > uint64(len(r.b)) {
		r.fail()
		return 0
	}
	return int(n)
}

// str reads a str (not bin, not nil) and returns its bytes.
func (r *wireReader) str() []byte {
	switch c := r.code(); {
	case c >= 0xa0 && c <= 0xbf:
		return r.take(uint64(c & 0x1f))
	case c == 0xd9:
		return r.take(r.be(1))
	case c == 0xda:
		return r.take(r.be(2))
	case c == 0xdb:
		return r.take(r.be(4))
	}
	r.fail()
	return nil
}

func (r *wireReader) string() string { return string(r.str()) }

// bin reads a bin (not str, not nil) and returns its bytes, non-nil.
func (r *wireReader) bin() []byte {
	var n uint64
	switch r.code() {
	case 0xc4:
		n = r.be(1)
	case 0xc5:
		n = r.be(2)
	case 0xc6:
		n = r.be(4)
	default:
		r.fail()
		return nil
	}
	if n == 0 {
		return []byte{} // as msgpack: empty, not nil
	}
	return r.take(n)
}

// bytes reads a []byte: nil or a bin.
func (r *wireReader) bytes() []byte {
	if r.isNil() {
		return nil
	}
	return r.bin()
}

// array fills dst with a bin of at most len(dst) bytes, as msgpack fills a
// byte array (a shorter bin leaves the rest zero).
func (r *wireReader) array(dst []byte) {
	if p := r.bin(); len(p) <= len(dst) {
		copy(dst, p)
	} else {
		r.fail()
	}
}

func (r *wireReader) id() (id ID) {
	r.array(id[:])
	return id
}

// num reads any msgpack integer as msgpack does: the number's two's
// complement bits, converted to the field's type by the caller.
func (r *wireReader) num() uint64 {
	switch c := r.code(); {
	case c <= 0x7f || c >= 0xe0: // positive and negative fixint
		return uint64(int64(int8(c)))
	case c == 0xcc:
		return r.be(1)
	case c == 0xcd:
		return r.be(2)
	case c == 0xce:
		return r.be(4)
	case c == 0xcf, c == 0xd3:
		return r.be(8)
	case c == 0xd0:
		return uint64(int64(int8(r.be(1))))
	case c == 0xd1:
		return uint64(int64(int16(r.be(2))))
	case c == 0xd2:
		return uint64(int64(int32(r.be(4))))
	}
	r.fail()
	return 0
}

func (r *wireReader) bool() bool {
	switch r.code() {
	case 0xc2:
		return false
	case 0xc3:
		return true
	}
	r.fail()
	return false
}

// strMap reads a Metadata or TraceCarrier (their DecodeMsgpack's result).
func (r *wireReader) strMap() map[string]string {
	n := r.mapLen()
	m := make(map[string]string, min(n, 8))
	for i := 0; i < n && !r.bad; i++ {
		k := r.string()
		m[k] = r.string()
	}
	return m
}

func (r *wireReader) append() (m Append) {
	var seen uint16
	for n, i := r.mapLen(), 0; i < n && !r.bad; i++ {
		switch string(r.str()) {
		case "coord":
			r.once(&seen, 1<<0)
			m.Coordinate = r.coordinate()
		case "kind":
			r.once(&seen, 1<<1)
			m.Kind = EventKind(r.num())
		case "payload":
			r.once(&seen, 1<<2)
			m.Payload = r.bytes()
		case "corr":
			r.once(&seen, 1<<3)
			m.CorrelationID = r.id()
		case "cause":
			r.once(&seen, 1<<4)
			m.CausationID = r.id()
		case "expected":
			r.once(&seen, 1<<5)
			m.Expected = r.expected()
		case "key":
			r.once(&seen, 1<<6)
			m.IdempotencyKey = r.id()
		case "trace":
			r.once(&seen, 1<<7)
			m.Trace = r.strMap()
		case "meta":
			r.once(&seen, 1<<8)
			m.Metadata = r.strMap()
		case "bypass":
			r.once(&seen, 1<<9)
			m.Bypass = r.bypass()
		default:
			r.fail()
		}
	}
	return m
}

func (r *wireReader) coordinate() (c Coordinate) {
	var seen uint16
	for n, i := r.mapLen(), 0; i < n && !r.bad; i++ {
		switch string(r.str()) {
		case "entity":
			r.once(&seen, 1<<0)
			c.Entity = r.string()
		case "scope":
			r.once(&seen, 1<<1)
			c.Scope = r.string()
		default:
			r.fail()
		}
	}
	return c
}

func (r *wireReader) expected() (e ExpectedVersion) {
	var seen uint16
	for n, i := r.mapLen(), 0; i < n && !r.bad; i++ {
		switch string(r.str()) {
		case "mode":
			r.once(&seen, 1<<0)
			e.Mode = ExpectMode(r.num())
		case "version":
			r.once(&seen, 1<<1)
			e.Version = r.num()
		default:
			r.fail()
		}
	}
	return e
}

func (r *wireReader) bypass() *Bypass {
	if r.isNil() {
		return nil
	}
	var b Bypass
	var seen uint16
	for n, i := r.mapLen(), 0; i < n && !r.bad; i++ {
		switch string(r.str()) {
		case "reason":
			r.once(&seen, 1<<0)
			b.Reason = r.string()
		case "justification":
			r.once(&seen, 1<<1)
			b.Justification = r.string()
		default:
			r.fail()
		}
	}
	return &b
}

func (r *wireReader) appendReply() (m AppendReply) {
	var seen uint16
	for n, i := r.mapLen(), 0; i < n && !r.bad; i++ {
		switch string(r.str()) {
		case "receipt":
			r.once(&seen, 1<<0)
			m.Receipt = r.receipt()
		case "err":
			r.once(&seen, 1<<1)
			if !r.isNil() { // a failure: left to msgpack
				r.fail()
			}
		default:
			r.fail()
		}
	}
	return m
}

func (r *wireReader) receipt() (c Receipt) {
	var seen uint16
	for n, i := r.mapLen(), 0; i < n && !r.bad; i++ {
		switch string(r.str()) {
		case "id":
			r.once(&seen, 1<<0)
			c.EventID = r.id()
		case "seq":
			r.once(&seen, 1<<1)
			c.Sequence = r.num()
		case "version":
			r.once(&seen, 1<<2)
			c.Version = r.num()
		case "hash":
			r.once(&seen, 1<<3)
			r.array(c.Hash[:])
		case "segment":
			r.once(&seen, 1<<4)
			c.Segment = r.num()
		case "offset":
			r.once(&seen, 1<<5)
			c.Offset = int64(r.num())
		case "replayed":
			r.once(&seen, 1<<6)
			c.Replayed = r.bool()
		default:
			r.fail()
		}
	}
	return c
}
