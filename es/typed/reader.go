package typed

import (
	"encoding/binary"
	"math"
)

// maxFastDepth bounds the nesting of containers the compiled decoder
// reads; deeper bodies go to the msgpack path (whose checkBounds refuses
// nesting at maxDepth). Kept well below maxDepth so that whatever the
// compiled decoder accepts, checkBounds accepts too.
const maxFastDepth = maxDepth - 56

// reader reads msgpack values from a body held in memory. Every method
// checks the bytes left before it reads, and every length is checked
// against them before anything is allocated for it: a container of n
// entries needs at least n bytes (2n for a map), a string of n bytes n
// bytes. Anything it does not expect makes it report false.
type reader struct {
	b     []byte
	off   int
	depth int // containers open
}

func (r *reader) left() int { return len(r.b) - r.off }

// code returns the next byte.
func (r *reader) code() (byte, bool) {
	if r.off >= len(r.b) {
		return 0, false
	}
	c := r.b[r.off]
	r.off++
	return c, true
}

// raw returns the next n bytes.
func (r *reader) raw(n int) ([]byte, bool) {
	if n < 0 || n > r.left() {
		return nil, false
	}
	b := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return b, true
}

func (r *reader) u8() (uint64, bool) {
	c, ok := r.code()
	return uint64(c), ok
}

func (r *reader) u16() (uint64, bool) {
	b, ok := r.raw(2)
	if !ok {
		return 0, false
	}
	return uint64(binary.BigEndian.Uint16(b)), true
}

func (r *reader) u32() (uint64, bool) {
	b, ok := r.raw(4)
	if !ok {
		return 0, false
	}
	return uint64(binary.BigEndian.Uint32(b)), true
}

func (r *reader) u64() (uint64, bool) {
	b, ok := r.raw(8)
	if !ok {
		return 0, false
	}
	return binary.BigEndian.Uint64(b), true
}

// intCode is msgpack's int(c): the integer codes and nil (0) as int64.
func (r *reader) intCode(c byte) (int64, bool) {
	if c <= 0x7f || c >= 0xe0 {
		return int64(int8(c)), true
	}
	var n uint64
	ok := true
	switch c {
	case mpNil:
		return 0, true
	case mpUint8:
		n, ok = r.u8()
	case mpUint16:
		n, ok = r.u16()
	case mpUint32:
		n, ok = r.u32()
	case mpUint64, mpInt64:
		n, ok = r.u64()
	case mpInt8:
		n, ok = r.u8()
		n = uint64(int8(n))
	case mpInt16:
		n, ok = r.u16()
		n = uint64(int16(n))
	case mpInt32:
		n, ok = r.u32()
		n = uint64(int32(n))
	default:
		return 0, false
	}
	return int64(n), ok
}

// int reads what msgpack's DecodeInt64 accepts. (DecodeUint64 accepts the
// same codes and returns the same bits: uint64 of this.)
func (r *reader) int() (int64, bool) {
	c, ok := r.code()
	if !ok {
		return 0, false
	}
	return r.intCode(c)
}

// float32 reads what msgpack's DecodeFloat32 accepts: a float32 or an
// integer (a float64 is an error there).
func (r *reader) float32() (float32, bool) {
	c, ok := r.code()
	if !ok {
		return 0, false
	}
	if c == mpFloat {
		n, ok := r.u32()
		return math.Float32frombits(uint32(n)), ok
	}
	n, ok := r.intCode(c)
	return float32(n), ok
}

// float64 reads what msgpack's DecodeFloat64 accepts.
func (r *reader) float64() (float64, bool) {
	c, ok := r.code()
	if !ok {
		return 0, false
	}
	switch c {
	case mpFloat:
		n, ok := r.u32()
		return float64(math.Float32frombits(uint32(n))), ok
	case mpDouble:
		n, ok := r.u64()
		return math.Float64frombits(n), ok
	}
	n, ok := r.intCode(c)
	return float64(n), ok
}

// bool reads what msgpack's DecodeBool accepts (nil is false).
func (r *reader) bool() (bool, bool) {
	c, ok := r.code()
	switch {
	case !ok:
		return false, false
	case c == mpTrue:
		return true, true
	case c == mpFalse || c == mpNil:
		return false, true
	}
	return false, false
}

// bytes reads a str or bin value (what msgpack's bytesLen accepts); nil
// reports isNil. The slice aliases the body.
func (r *reader) bytes() (b []byte, isNil, ok bool) {
	c, ok := r.code()
	if !ok {
		return nil, false, false
	}
	var n uint64
	switch {
	case c&0xe0 == 0xa0:
		n = uint64(c & 0x1f)
	case c == mpStr8 || c == mpBin8:
		n, ok = r.u8()
	case c == mpStr16 || c == mpBin16:
		n, ok = r.u16()
	case c == mpStr32 || c == mpBin32:
		n, ok = r.u32()
	case c == mpNil:
		return nil, true, true
	default:
		return nil, false, false
	}
	if !ok || n > uint64(r.left()) {
		return nil, false, false
	}
	b, ok = r.raw(int(n))
	return b, false, ok
}

// key reads a struct key: a str value only (msgpack also takes bin and
// nil there; those go the msgpack path).
func (r *reader) key() ([]byte, bool) {
	c, ok := r.code()
	if !ok {
		return nil, false
	}
	var n uint64
	switch {
	case c&0xe0 == 0xa0:
		n = uint64(c & 0x1f)
	case c == mpStr8:
		n, ok = r.u8()
	case c == mpStr16:
		n, ok = r.u16()
	case c == mpStr32:
		n, ok = r.u32()
	default:
		return nil, false
	}
	if !ok || n > uint64(r.left()) {
		return nil, false
	}
	return r.raw(int(n))
}

// arrayLen reads an array header (or nil) whose entries fit in the bytes
// left.
func (r *reader) arrayLen() (n int, isNil, ok bool) {
	return r.containerLen(0x90, mpArray16, mpArray32, 1)
}

// mapLen reads a map header (or nil) whose entries fit in the bytes left.
func (r *reader) mapLen() (n int, isNil, ok bool) {
	return r.containerLen(0x80, mpMap16, mpMap32, 2)
}

// containerLen reads the header of an array or a map: fix is its fixed
// form's high nibble, c16 and c32 its 16- and 32-bit codes, per the msgpack
// values each entry holds at least (one byte each); nil is isNil.
func (r *reader) containerLen(fix, c16, c32 byte, per uint64) (n int, isNil, ok bool) {
	c, ok := r.code()
	if !ok {
		return 0, false, false
	}
	var l uint64
	switch {
	case c&0xf0 == fix:
		l = uint64(c & 0x0f)
	case c == c16:
		l, ok = r.u16()
	case c == c32:
		l, ok = r.u32()
	case c == mpNil:
		return 0, true, true
	default:
		return 0, false, false
	}
	if !ok || per*l > uint64(r.left()) {
		return 0, false, false
	}
	return int(l), false, true
}

// enter opens a container; false when it nests too deep.
func (r *reader) enter() bool {
	r.depth++
	return r.depth < maxFastDepth
}

func (r *reader) leave() { r.depth-- }

// skip reads past one value: what msgpack's Skip accepts, but ext values
// (and the never-used 0xc1) report false.
func (r *reader) skip() bool {
	c, ok := r.code()
	if !ok {
		return false
	}
	var n, kids uint64
	switch {
	case c <= 0x7f || c >= 0xe0 || c == mpNil || c == mpFalse || c == mpTrue:
		return true
	case c&0xf0 == 0x80:
		kids = 2 * uint64(c&0x0f)
	case c&0xf0 == 0x90:
		kids = uint64(c & 0x0f)
	case c&0xe0 == 0xa0:
		n = uint64(c & 0x1f)
	case c == mpUint8 || c == mpInt8:
		n = 1
	case c == mpUint16 || c == mpInt16:
		n = 2
	case c == mpUint32 || c == mpInt32 || c == mpFloat:
		n = 4
	case c == mpUint64 || c == mpInt64 || c == mpDouble:
		n = 8
	case c == mpStr8 || c == mpBin8:
		n, ok = r.u8()
	case c == mpStr16 || c == mpBin16:
		n, ok = r.u16()
	case c == mpStr32 || c == mpBin32:
		n, ok = r.u32()
	case c == mpArray16:
		kids, ok = r.u16()
	case c == mpArray32:
		kids, ok = r.u32()
	case c == mpMap16:
		kids, ok = r.u16()
		kids *= 2
	case c == mpMap32:
		kids, ok = r.u32()
		kids *= 2
	default:
		return false
	}
	if !ok || n > uint64(r.left()) || kids > uint64(r.left()) {
		return false
	}
	r.off += int(n)
	if kids == 0 {
		return true
	}
	if !r.enter() {
		return false
	}
	for range kids {
		if !r.skip() {
			return false
		}
	}
	r.leave()
	return true
}
