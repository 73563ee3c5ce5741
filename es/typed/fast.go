package typed

import (
	"bytes"
	"sync"
	"unsafe"
)

// eface is the memory layout of an interface value of type any.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

// pointerShaped reports whether an interface holding a T holds the value
// itself in its data word (a pointer-shaped T: a map, a struct of one
// pointer...) rather than a pointer to a copy: the zero T then leaves the
// word nil, which a copy's address never is.
func pointerShaped[T any]() bool {
	var z T
	var v any = z
	return (*eface)(unsafe.Pointer(&v)).data == nil
}

// scratch buffers for encodeFast.
var scratch = sync.Pool{New: func() any { return new([]byte) }}

// maxScratch is the largest buffer kept for reuse.
const maxScratch = 64 << 10

// encodeFast encodes v (b's type, or a pointer to it when ptr) with b's
// compiled plan.
func encodeFast(b *binding, v any, ptr bool) []byte {
	data := (*eface)(unsafe.Pointer(&v)).data
	if !ptr && b.direct {
		return encodeWord(b, data)
	}
	return encodeAt(b, data)
}

// encodeWord encodes a pointer-shaped value held in an interface's word.
func encodeWord(b *binding, word unsafe.Pointer) []byte {
	return encodeAt(b, unsafe.Pointer(&word))
}

// encodeAt encodes the value at p.
func encodeAt(b *binding, p unsafe.Pointer) []byte {
	buf := scratch.Get().(*[]byte)
	out := b.codec.enc(putHeader((*buf)[:0], b.version), p)
	res := bytes.Clone(out)
	if cap(out) <= maxScratch {
		*buf = out
		scratch.Put(buf)
	}
	return res
}

// decodeFast decodes body into the zero value at p with the compiled plan
// tc; false when the body holds anything the plan does not expect (then
// the caller decodes it with msgpack).
func decodeFast(tc *typeCodec, body []byte, p unsafe.Pointer) bool {
	r := reader{b: body}
	return r.value(tc, p)
}
