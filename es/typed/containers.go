package typed

import (
	"fmt"
	"reflect"
	"unsafe"
)

// sliceHeader is the memory layout of every slice.
type sliceHeader struct {
	data unsafe.Pointer
	len  int
	cap  int
}

func (c *compiler) slice(tc *typeCodec) error {
	t := tc.typ
	tc.empty = func(p unsafe.Pointer) bool { return (*sliceHeader)(p).len == 0 }
	if t.Elem().Kind() == reflect.Uint8 { // msgpack: bin, whatever the element type
		tc.op = opBytes
		tc.enc = func(b []byte, p unsafe.Pointer) []byte {
			s := *(*[]byte)(p)
			if s == nil {
				return append(b, mpNil)
			}
			return append(appendBinLen(b, len(s)), s...)
		}
		return nil
	}
	elem, err := c.compile(t.Elem())
	if err != nil {
		return err
	}
	tc.op, tc.elem, tc.size = opSlice, elem, t.Elem().Size()
	if t.Elem() == stringType {
		tc.op = opStrings
	}
	tc.emptyData = reflect.MakeSlice(t, 0, 0).UnsafePointer() // non-nil, for empty slices
	tc.enc = func(b []byte, p unsafe.Pointer) []byte {
		h := (*sliceHeader)(p)
		if h.data == nil {
			return append(b, mpNil)
		}
		b = appendArrayLen(b, h.len)
		for i := range h.len {
			b = elem.enc(b, unsafe.Add(h.data, uintptr(i)*tc.size))
		}
		return b
	}
	return nil
}

func (c *compiler) array(tc *typeCodec) error {
	t := tc.typ
	n := t.Len()
	tc.n = n
	tc.empty = func(unsafe.Pointer) bool { return n == 0 }
	if t.Elem().Kind() == reflect.Uint8 { // msgpack: bin of the whole array
		tc.op = opByteArray
		tc.enc = func(b []byte, p unsafe.Pointer) []byte {
			return append(appendBinLen(b, n), unsafe.Slice((*byte)(p), n)...)
		}
		return nil
	}
	elem, err := c.compile(t.Elem())
	if err != nil {
		return err
	}
	tc.op, tc.elem, tc.size = opArray, elem, t.Elem().Size()
	tc.enc = func(b []byte, p unsafe.Pointer) []byte {
		b = appendArrayLen(b, n)
		for i := range n {
			b = elem.enc(b, unsafe.Add(p, uintptr(i)*tc.size))
		}
		return b
	}
	return nil
}

var stringType = reflect.TypeFor[string]()

func (c *compiler) mapping(tc *typeCodec) error {
	t := tc.typ
	switch t.Key().Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
	default:
		return fmt.Errorf("%s: map key kind %s", t, t.Key().Kind())
	}
	key, err := c.compile(t.Key())
	if err != nil {
		return err
	}
	val, err := c.compile(t.Elem())
	if err != nil {
		return err
	}
	tc.op, tc.key, tc.elem = opMap, key, val
	tc.empty = func(p unsafe.Pointer) bool { return reflect.NewAt(t, p).Elem().Len() == 0 }
	if t.Key() == stringType && t.Elem() == stringType {
		tc.op = opStringMap
		tc.enc = encodeStringMap
		return nil
	}
	kt, vt := t.Key(), t.Elem()
	tc.enc = func(b []byte, p unsafe.Pointer) []byte {
		m := reflect.NewAt(t, p).Elem()
		if m.IsNil() {
			return append(b, mpNil)
		}
		b = appendMapLen(b, m.Len())
		kp, vp := reflect.New(kt), reflect.New(vt)
		k, v := kp.Elem(), vp.Elem()
		for it := m.MapRange(); it.Next(); {
			k.SetIterKey(it)
			v.SetIterValue(it)
			b = key.enc(b, kp.UnsafePointer())
			b = val.enc(b, vp.UnsafePointer())
		}
		return b
	}
	return nil
}

// encodeStringMap encodes a map type whose key and element types are
// string itself (so that it converts to map[string]string).
func encodeStringMap(b []byte, p unsafe.Pointer) []byte {
	m := *(*map[string]string)(p)
	if m == nil {
		return append(b, mpNil)
	}
	b = appendMapLen(b, len(m))
	for k, v := range m {
		b = appendString(appendString(b, k), v)
	}
	return b
}

func (c *compiler) pointer(tc *typeCodec) error {
	elem, err := c.compile(tc.typ.Elem())
	if err != nil {
		return err
	}
	tc.op, tc.elem = opPointer, elem
	tc.enc = func(b []byte, p unsafe.Pointer) []byte {
		q := *(*unsafe.Pointer)(p)
		if q == nil {
			return append(b, mpNil)
		}
		return elem.enc(b, q)
	}
	tc.empty = func(p unsafe.Pointer) bool { return *(*unsafe.Pointer)(p) == nil }
	return nil
}
