package typed

import (
	"reflect"
	"unsafe"
)

// decOp says how reader.value decodes a type.
type decOp uint8

// The decode ops: one per scalar kind, then the containers.
const (
	opNone decOp = iota
	opBool
	opInt
	opInt8
	opInt16
	opInt32
	opInt64
	opUint
	opUint8
	opUint16
	opUint32
	opUint64
	opFloat32
	opFloat64
	opString
	opBytes     // a slice of a byte kind: bin (or str)
	opByteArray // an array of a byte kind: bin (or str)
	opSlice
	opStrings // []string (element type string itself)
	opArray
	opMap
	opStringMap // map[string]string (key and element types string itself)
	opPointer
	opStruct
)

// value decodes the next msgpack value into the zero value of tc's type
// at p. It reports false, leaving r and p in any state, on anything it
// does not expect: the caller then decodes the whole body again with
// msgpack v5. Scalars accept what msgpack v5's decoders accept for their
// kind (any integer code into any integer kind, truncated as reflect's
// SetInt does; nil as zero) and always write the whole value, so decoding
// a scalar over a decoded one overwrites it as msgpack does (see
// fieldPlan.rewritable).
func (r *reader) value(tc *typeCodec, p unsafe.Pointer) bool {
	switch tc.op {
	case opBool:
		v, ok := r.bool()
		*(*bool)(p) = v
		return ok
	case opInt, opInt8, opInt16, opInt32, opInt64:
		v, ok := r.int()
		setInt(tc.op, p, v)
		return ok
	case opUint, opUint8, opUint16, opUint32, opUint64:
		v, ok := r.int()
		setInt(tc.op-opUint+opInt, p, v)
		return ok
	case opFloat32:
		v, ok := r.float32()
		*(*float32)(p) = viaFloat64(v)
		return ok
	case opFloat64:
		v, ok := r.float64()
		*(*float64)(p) = v
		return ok
	case opString:
		s, _, ok := r.bytes()
		*(*string)(p) = string(s)
		return ok
	case opBytes:
		s, isNil, ok := r.bytes()
		if ok && !isNil {
			*(*[]byte)(p) = append(make([]byte, 0, len(s)), s...)
		}
		return ok
	case opByteArray:
		s, _, ok := r.bytes()
		if !ok || len(s) > tc.n {
			return false
		}
		copy(unsafe.Slice((*byte)(p), tc.n), s)
		return true
	case opSlice, opStrings:
		return r.slice(tc, p)
	case opArray:
		return r.array(tc, p)
	case opMap:
		return r.mapping(tc, p)
	case opStringMap:
		return r.stringMap(p)
	case opPointer:
		return r.pointer(tc, p)
	case opStruct:
		return r.structure(tc.st, p)
	}
	return false
}

// setInt stores v at p with the width of op (an int op; unsigned ops are
// mapped onto the signed op of their width: the bits are the same).
func setInt(op decOp, p unsafe.Pointer, v int64) {
	switch op {
	case opInt:
		*(*int)(p) = int(v)
	case opInt8:
		*(*int8)(p) = int8(v)
	case opInt16:
		*(*int16)(p) = int16(v)
	case opInt32:
		*(*int32)(p) = int32(v)
	case opInt64:
		*(*int64)(p) = v
	}
}

// slice decodes a slice (msgpack: nil stays nil, an empty array is an
// empty slice).
func (r *reader) slice(tc *typeCodec, p unsafe.Pointer) bool {
	n, isNil, ok := r.arrayLen()
	switch {
	case !ok:
		return false
	case isNil:
		return true
	case n == 0:
		*(*sliceHeader)(p) = sliceHeader{data: tc.emptyData}
		return true
	}
	if !r.enter() {
		return false
	}
	var data unsafe.Pointer
	if tc.op == opStrings {
		s := make([]string, n)
		data = unsafe.Pointer(unsafe.SliceData(s))
	} else {
		data = reflect.MakeSlice(tc.typ, n, n).UnsafePointer()
	}
	*(*sliceHeader)(p) = sliceHeader{data: data, len: n, cap: n}
	for i := range n {
		if !r.value(tc.elem, unsafe.Add(data, uintptr(i)*tc.size)) {
			return false
		}
	}
	r.leave()
	return true
}

// array decodes an array (msgpack: nil leaves it zero, a shorter array
// fills its first elements, a longer one is an error).
func (r *reader) array(tc *typeCodec, p unsafe.Pointer) bool {
	l, isNil, ok := r.arrayLen()
	switch {
	case !ok || l > tc.n:
		return false
	case isNil || l == 0:
		return true
	}
	if !r.enter() {
		return false
	}
	for i := range l {
		if !r.value(tc.elem, unsafe.Add(p, uintptr(i)*tc.size)) {
			return false
		}
	}
	r.leave()
	return true
}

// mapping decodes a map (msgpack: nil stays nil; a later key replaces an
// earlier one).
func (r *reader) mapping(tc *typeCodec, p unsafe.Pointer) bool {
	n, isNil, ok := r.mapLen()
	switch {
	case !ok:
		return false
	case isNil:
		return true
	}
	m := reflect.MakeMapWithSize(tc.typ, n)
	*(*unsafe.Pointer)(p) = m.UnsafePointer()
	if n == 0 {
		return true
	}
	if !r.enter() {
		return false
	}
	kp, vp := reflect.New(tc.key.typ), reflect.New(tc.elem.typ)
	k, v := kp.Elem(), vp.Elem()
	for range n {
		k.SetZero()
		v.SetZero()
		if !r.value(tc.key, kp.UnsafePointer()) || !r.value(tc.elem, vp.UnsafePointer()) {
			return false
		}
		m.SetMapIndex(k, v)
	}
	r.leave()
	return true
}

// stringMap decodes a map[string]string.
func (r *reader) stringMap(p unsafe.Pointer) bool {
	n, isNil, ok := r.mapLen()
	switch {
	case !ok:
		return false
	case isNil:
		return true
	}
	m := make(map[string]string, n)
	*(*map[string]string)(p) = m
	if n == 0 {
		return true
	}
	if !r.enter() {
		return false
	}
	for range n {
		k, _, ok := r.bytes()
		if !ok {
			return false
		}
		v, _, ok := r.bytes()
		if !ok {
			return false
		}
		m[string(k)] = string(v)
	}
	r.leave()
	return true
}

// pointer decodes a pointer (msgpack: nil stays nil, else a new value).
func (r *reader) pointer(tc *typeCodec, p unsafe.Pointer) bool {
	if r.off >= len(r.b) {
		return false
	}
	if r.b[r.off] == mpNil {
		r.off++
		return true
	}
	q := reflect.New(tc.elem.typ).UnsafePointer()
	*(*unsafe.Pointer)(p) = q
	return r.value(tc.elem, q)
}
