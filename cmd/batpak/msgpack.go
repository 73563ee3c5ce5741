package main

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// A payload is shown as JSON when it is exactly one msgpack value: maps
// become JSON objects in their stored order (a key that is not a string is
// written as the JSON text of its value: 1 becomes "1", [1,2] "[1,2]"),
// binary data becomes {"$bin": base64}, an extension type {"$ext": type,
// "$data": base64}, a msgpack timestamp (extension -1) {"$time": RFC 3339},
// and a float that JSON cannot hold (NaN, ±Inf) its name as a string.

// errNotMsgpack: the bytes are not exactly one msgpack value.
var errNotMsgpack = errors.New("not msgpack")

// maxDepth bounds the nesting of a payload decoded as msgpack.
const maxDepth = 100

// msgpackJSON returns the JSON of the msgpack value b holds whole, or
// errNotMsgpack.
func msgpackJSON(b []byte) ([]byte, error) {
	var out jbuf
	if !appendMsgpackJSON(&out, b) {
		return nil, errNotMsgpack
	}
	return out.b, nil
}

// appendMsgpackJSON appends to out the JSON of the msgpack value b holds
// whole and reports whether it could (out is then cut back).
func appendMsgpackJSON(out *jbuf, b []byte) bool {
	d := mpDecoder{b: b}
	n := len(out.b)
	if !d.value(out, 0) || d.off != len(b) {
		out.b = out.b[:n]
		return false
	}
	return true
}

// mpDecoder converts msgpack to JSON, checking every length against the
// bytes it has.
type mpDecoder struct {
	b   []byte
	off int
}

func (d *mpDecoder) take(n int) ([]byte, bool) {
	if n < 0 || n > len(d.b)-d.off {
		return nil, false
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p, true
}

func (d *mpDecoder) uintN(n int) (uint64, bool) {
	p, ok := d.take(n)
	if !ok {
		return 0, false
	}
	var u uint64
	for _, c := range p {
		u = u<<8 | uint64(c)
	}
	return u, true
}

// value converts one value at d.off to JSON in out.
func (d *mpDecoder) value(out *jbuf, depth int) bool {
	if depth > maxDepth {
		return false
	}
	p, ok := d.take(1)
	if !ok {
		return false
	}
	c := p[0]
	switch {
	case c <= 0x7f:
		out.b = strconv.AppendInt(out.b, int64(c), 10)
		return true
	case c >= 0xe0:
		out.b = strconv.AppendInt(out.b, int64(int8(c)), 10)
		return true
	case c&0xf0 == 0x80:
		return d.mapN(out, int(c&0x0f), depth)
	case c&0xf0 == 0x90:
		return d.arrayN(out, int(c&0x0f), depth)
	case c&0xe0 == 0xa0:
		return d.str(out, int(c&0x1f))
	}
	switch c {
	case 0xc0:
		out.raw("null")
	case 0xc2:
		out.raw("false")
	case 0xc3:
		out.raw("true")
	case 0xc4, 0xc5, 0xc6:
		n, ok := d.uintN(1 << (c - 0xc4))
		return ok && d.bin(out, int(min(n, math.MaxInt32)))
	case 0xc7, 0xc8, 0xc9:
		n, ok := d.uintN(1 << (c - 0xc7))
		return ok && d.ext(out, int(min(n, math.MaxInt32)))
	case 0xca:
		u, ok := d.uintN(4)
		return ok && float(out, float64(math.Float32frombits(uint32(u))), 32)
	case 0xcb:
		u, ok := d.uintN(8)
		return ok && float(out, math.Float64frombits(u), 64)
	case 0xcc, 0xcd, 0xce, 0xcf:
		u, ok := d.uintN(1 << (c - 0xcc))
		out.b = strconv.AppendUint(out.b, u, 10)
		return ok
	case 0xd0, 0xd1, 0xd2, 0xd3:
		n := 1 << (c - 0xd0)
		u, ok := d.uintN(n)
		out.b = strconv.AppendInt(out.b, int64(u<<(64-8*n))>>(64-8*n), 10)
		return ok
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		return d.ext(out, 1<<(c-0xd4))
	case 0xd9, 0xda, 0xdb:
		n, ok := d.uintN(1 << (c - 0xd9))
		return ok && d.str(out, int(min(n, math.MaxInt32)))
	case 0xdc, 0xdd:
		n, ok := d.uintN(2 << (c - 0xdc))
		return ok && d.arrayN(out, int(min(n, math.MaxInt32)), depth)
	case 0xde, 0xdf:
		n, ok := d.uintN(2 << (c - 0xde))
		return ok && d.mapN(out, int(min(n, math.MaxInt32)), depth)
	default: // 0xc1 is never used
		return false
	}
	return true
}

func float(out *jbuf, f float64, bits int) bool {
	switch {
	case math.IsNaN(f):
		out.raw(`"NaN"`)
	case math.IsInf(f, 1):
		out.raw(`"+Inf"`)
	case math.IsInf(f, -1):
		out.raw(`"-Inf"`)
	default:
		out.b = strconv.AppendFloat(out.b, f, 'g', -1, bits)
	}
	return true
}

func (d *mpDecoder) str(out *jbuf, n int) bool {
	p, ok := d.take(n)
	if !ok {
		return false
	}
	if !utf8.Valid(p) { // not text: keep every byte
		out.bin(p)
		return true
	}
	out.str(p)
	return true
}

func (d *mpDecoder) bin(out *jbuf, n int) bool {
	p, ok := d.take(n)
	if ok {
		out.bin(p)
	}
	return ok
}

func (d *mpDecoder) ext(out *jbuf, n int) bool {
	t, ok := d.take(1)
	if !ok {
		return false
	}
	p, ok := d.take(n)
	if !ok {
		return false
	}
	if typ := int8(t[0]); typ != -1 {
		out.ext(int(typ), p)
		return true
	}
	var ts time.Time
	switch len(p) { // the msgpack timestamp extension
	case 4:
		ts = time.Unix(int64(binary.BigEndian.Uint32(p)), 0)
	case 8:
		v := binary.BigEndian.Uint64(p)
		ts = time.Unix(int64(v&(1<<34-1)), int64(v>>34))
	case 12:
		ts = time.Unix(int64(binary.BigEndian.Uint64(p[4:])), int64(binary.BigEndian.Uint32(p)))
	default:
		out.ext(-1, p)
		return true
	}
	out.raw(`{"$time":`)
	out.str(ts.UTC().AppendFormat(nil, time.RFC3339Nano))
	out.raw("}")
	return true
}

func (d *mpDecoder) arrayN(out *jbuf, n int, depth int) bool {
	if n > len(d.b)-d.off { // every element takes at least a byte
		return false
	}
	out.raw("[")
	for i := range n {
		if i > 0 {
			out.raw(",")
		}
		if !d.value(out, depth+1) {
			return false
		}
	}
	out.raw("]")
	return true
}

func (d *mpDecoder) mapN(out *jbuf, n int, depth int) bool {
	if n > (len(d.b)-d.off)/2 { // every entry takes at least two bytes
		return false
	}
	out.raw("{")
	for i := range n {
		if i > 0 {
			out.raw(",")
		}
		at := len(out.b)
		if !d.value(out, depth+1) {
			return false
		}
		if out.b[at] != '"' { // a key that is not a string: its JSON text, as a string
			k := string(out.b[at:])
			out.b = out.b[:at]
			out.str([]byte(k))
		}
		out.raw(":")
		if !d.value(out, depth+1) {
			return false
		}
	}
	out.raw("}")
	return true
}
