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
		tc.enc = func(b []byte, p unsafe.Pointer) []byte {
			s := *(*[]byte)(p)
			if s == nil {
				return append(b, mpNil)
			}
			return append(appendBinLen(b, len(s)), s...)
		}
		tc.dec = func(r *reader, p unsafe.Pointer) bool {
			s, isNil, ok := r.bytes()
			if ok && !isNil {
				*(*[]byte)(p) = append(make([]byte, 0, len(s)), s...)
			}
			return ok
		}
		return nil
	}
	elem, err := c.compile(t.Elem())
	if err != nil {
		return err
	}
	size := t.Elem().Size()
	empty := reflect.MakeSlice(t, 0, 0).UnsafePointer() // non-nil, for empty slices
	tc.enc = func(b []byte, p unsafe.Pointer) []byte {
		h := (*sliceHeader)(p)
		if h.data == nil {
			return append(b, mpNil)
		}
		b = appendArrayLen(b, h.len)
		for i := range h.len {
			b = elem.enc(b, unsafe.Add(h.data, uintptr(i)*size))
		}
		return b
	}
	tc.dec = func(r *reader, p unsafe.Pointer) bool {
		n, isNil, ok := r.arrayLen()
		switch {
		case !ok:
			return false
		case isNil:
			return true
		case n == 0:
			*(*sliceHeader)(p) = sliceHeader{data: empty}
			return true
		}
		if !r.enter() {
			return false
		}
		data := makeSlice(t, p, n)
		for i := range n {
			if !elem.dec(r, unsafe.Add(data, uintptr(i)*size)) {
				return false
			}
		}
		r.leave()
		return true
	}
	return nil
}

func (c *compiler) array(tc *typeCodec) error {
	t := tc.typ
	n := t.Len()
	tc.empty = func(unsafe.Pointer) bool { return n == 0 }
	if t.Elem().Kind() == reflect.Uint8 { // msgpack: bin of the whole array
		tc.enc = func(b []byte, p unsafe.Pointer) []byte {
			return append(appendBinLen(b, n), unsafe.Slice((*byte)(p), n)...)
		}
		tc.dec = func(r *reader, p unsafe.Pointer) bool {
			s, _, ok := r.bytes()
			if !ok || len(s) > n {
				return false
			}
			copy(unsafe.Slice((*byte)(p), n), s)
			return true
		}
		return nil
	}
	elem, err := c.compile(t.Elem())
	if err != nil {
		return err
	}
	size := t.Elem().Size()
	tc.enc = func(b []byte, p unsafe.Pointer) []byte {
		b = appendArrayLen(b, n)
		for i := range n {
			b = elem.enc(b, unsafe.Add(p, uintptr(i)*size))
		}
		return b
	}
	tc.dec = func(r *reader, p unsafe.Pointer) bool {
		l, isNil, ok := r.arrayLen()
		switch {
		case !ok || l > n:
			return false
		case isNil || l == 0:
			return true
		}
		if !r.enter() {
			return false
		}
		for i := range l {
			if !elem.dec(r, unsafe.Add(p, uintptr(i)*size)) {
				return false
			}
		}
		r.leave()
		return true
	}
	return nil
}

var stringType = reflect.TypeFor[string]()

// makeSlice sets the nil slice of type t at p to n zero elements and
// returns its data pointer (one allocation: reflect.MakeSlice would add
// one for the header).
func makeSlice(t reflect.Type, p unsafe.Pointer, n int) unsafe.Pointer {
	if t.Elem() == stringType {
		*(*[]string)(p) = make([]string, n)
	} else {
		v := reflect.NewAt(t, p).Elem()
		v.Grow(n)
		v.SetLen(n)
	}
	return (*sliceHeader)(p).data
}

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
	tc.empty = func(p unsafe.Pointer) bool { return reflect.NewAt(t, p).Elem().Len() == 0 }
	if t.Key() == stringType && t.Elem() == stringType {
		stringMap(tc)
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
	tc.dec = func(r *reader, p unsafe.Pointer) bool {
		n, isNil, ok := r.mapLen()
		switch {
		case !ok:
			return false
		case isNil:
			return true
		}
		m := reflect.MakeMapWithSize(t, n)
		reflect.NewAt(t, p).Elem().Set(m)
		if n == 0 {
			return true
		}
		if !r.enter() {
			return false
		}
		kp, vp := reflect.New(kt), reflect.New(vt)
		k, v := kp.Elem(), vp.Elem()
		for range n {
			k.SetZero()
			v.SetZero()
			if !key.dec(r, kp.UnsafePointer()) || !val.dec(r, vp.UnsafePointer()) {
				return false
			}
			m.SetMapIndex(k, v)
		}
		r.leave()
		return true
	}
	return nil
}

// stringMap fills tc for a map type whose key and element types are
// string itself, so that it converts to map[string]string.
func stringMap(tc *typeCodec) {
	tc.enc = func(b []byte, p unsafe.Pointer) []byte {
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
	tc.dec = func(r *reader, p unsafe.Pointer) bool {
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
}
