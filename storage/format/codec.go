package format

import (
	"encoding/binary"
	"errors"
	"math"
)

// A tiny msgpack codec for the hot path: frames and footers are encoded by
// appending bytes to a reused buffer and decoded from a byte slice without
// reflection. The output is standard msgpack (any decoder can read it); the
// reader accepts exactly the forms the writer produces plus the other
// standard widths, and never panics on malformed input.

// ErrMalformed is returned (or wrapped) by every decoder for bytes that
// are not the msgpack they expect.
var ErrMalformed = errors.New("malformed msgpack")

// AppendArrayLen appends a msgpack array header for n elements, in its
// shortest form.
func AppendArrayLen(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x90|byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xdc, byte(n>>8), byte(n))
	default:
		return append(b, 0xdd, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// AppendUint appends v as a msgpack unsigned integer, in its shortest form.
func AppendUint(b []byte, v uint64) []byte {
	switch {
	case v < 128:
		return append(b, byte(v))
	case v <= math.MaxUint8:
		return append(b, 0xcc, byte(v))
	case v <= math.MaxUint16:
		return append(b, 0xcd, byte(v>>8), byte(v))
	case v <= math.MaxUint32:
		return append(b, 0xce, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	default:
		return binary.BigEndian.AppendUint64(append(b, 0xcf), v)
	}
}

// AppendInt appends v as a msgpack integer: as AppendUint when v >= 0, a
// negative fixint from -32, else an int64.
func AppendInt(b []byte, v int64) []byte {
	if v >= 0 {
		return AppendUint(b, uint64(v))
	}
	if v >= -32 {
		return append(b, byte(v))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(v))
}

// AppendNil appends msgpack nil.
func AppendNil(b []byte) []byte { return append(b, 0xc0) }

// AppendBin appends v as msgpack bin (8, 16 or 32).
func AppendBin(b, v []byte) []byte {
	n := len(v)
	switch {
	case n <= math.MaxUint8:
		b = append(b, 0xc4, byte(n))
	case n <= math.MaxUint16:
		b = append(b, 0xc5, byte(n>>8), byte(n))
	default:
		b = append(b, 0xc6, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, v...)
}

// AppendOptID writes a 16-byte id, or nil for the zero id.
func AppendOptID(b []byte, id [16]byte) []byte {
	if id == ([16]byte{}) {
		return AppendNil(b)
	}
	return AppendBin(b, id[:])
}

// AppendStr appends s as a msgpack str, in its shortest form.
func AppendStr(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= math.MaxUint8:
		b = append(b, 0xd9, byte(n))
	case n <= math.MaxUint16:
		b = append(b, 0xda, byte(n>>8), byte(n))
	default:
		b = append(b, 0xdb, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, s...)
}

// reader decodes msgpack from b. The first error sticks; later reads return
// zero values, so callers check err once at the end.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail() { r.err = ErrMalformed }

func (r *reader) next(n int) []byte {
	if r.err != nil || n < 0 || len(r.b)-r.off < n {
		r.fail()
		return nil
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p
}

func (r *reader) byte1() byte {
	p := r.next(1)
	if p == nil {
		return 0
	}
	return p[0]
}

func (r *reader) beUint(n int) uint64 {
	p := r.next(n)
	var v uint64
	for _, c := range p {
		v = v<<8 | uint64(c)
	}
	return v
}

// isNil consumes a nil and reports true, or leaves the input untouched.
func (r *reader) isNil() bool {
	if r.err == nil && r.off < len(r.b) && r.b[r.off] == 0xc0 {
		r.off++
		return true
	}
	return false
}

func (r *reader) arrayLen() int {
	c := r.byte1()
	switch {
	case c&0xf0 == 0x90:
		return int(c & 0x0f)
	case c == 0xdc:
		return int(r.beUint(2))
	case c == 0xdd:
		n := r.beUint(4)
		if n > uint64(len(r.b)) { // every element takes at least one byte
			r.fail()
			return 0
		}
		return int(n)
	}
	r.fail()
	return 0
}

func (r *reader) uint() uint64 {
	c := r.byte1()
	switch {
	case c < 0x80:
		return uint64(c)
	case c == 0xcc:
		return r.beUint(1)
	case c == 0xcd:
		return r.beUint(2)
	case c == 0xce:
		return r.beUint(4)
	case c == 0xcf:
		return r.beUint(8)
	}
	r.fail()
	return 0
}

func (r *reader) int() int64 {
	if r.err != nil || r.off >= len(r.b) {
		r.fail()
		return 0
	}
	c := r.b[r.off]
	switch {
	case c >= 0xe0:
		r.off++
		return int64(int8(c))
	case c == 0xd3:
		r.off++
		return int64(r.beUint(8))
	}
	v := r.uint()
	if v > math.MaxInt64 {
		r.fail()
		return 0
	}
	return int64(v)
}

// bin returns a sub-slice of the input (no copy).
func (r *reader) bin() []byte {
	var n uint64
	switch r.byte1() {
	case 0xc4:
		n = r.beUint(1)
	case 0xc5:
		n = r.beUint(2)
	case 0xc6:
		n = r.beUint(4)
	default:
		r.fail()
		return nil
	}
	return r.take(n)
}

// take returns the next n bytes (no copy), or fails.
func (r *reader) take(n uint64) []byte {
	if n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	return r.next(int(n))
}

func (r *reader) fixed(dst []byte) {
	p := r.bin()
	if r.err == nil && len(p) != len(dst) {
		r.fail()
	}
	copy(dst, p)
}

func (r *reader) optID() (id [16]byte) {
	if !r.isNil() {
		r.fixed(id[:])
	}
	return id
}

func (r *reader) str() string { return string(r.strBytes()) }

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
	return r.take(n)
}

// corr reads a correlation id written by appendCorr: nil means id itself.
func (r *reader) corr(id [16]byte) [16]byte {
	if c := r.optID(); c != ([16]byte{}) {
		return c
	}
	return id
}
