package typed

import (
	"fmt"
	"reflect"
	"unsafe"
)

// maxFields bounds the distinct decodable fields of a compiled struct
// (the width of the decoder's seen set); larger structs go to msgpack.
const maxFields = 256

// fieldPlan is one field of a compiled struct.
type fieldPlan struct {
	name      string
	key       []byte // name, msgpack-encoded
	tc        *typeCodec
	omitEmpty bool
	// hops locate the field: hops[0] from the struct, then each next one
	// from the target of the embedded pointer the previous hop reached.
	hops []uintptr
	// ptrs are the struct types those embedded pointers point to.
	ptrs []reflect.Type
	id   int // bit in the decoder's seen set; aliases share it
	// rewritable: the field is a scalar, which msgpack overwrites when a
	// body names it twice (the compiled decoder then does the same);
	// anything else msgpack merges into, which only msgpack reproduces.
	rewritable bool
	// overlaps are the ids of the decodable fields whose memory contains,
	// or is contained in, this one's (an inlined struct also decodes
	// under its own name): a body naming both goes to msgpack.
	overlaps []int
	pos      int // index in structPlan.byPos
}

// at returns the field's address in the struct at p, or false when an
// embedded pointer on the way is nil.
func (f *fieldPlan) at(p unsafe.Pointer) (unsafe.Pointer, bool) {
	q := unsafe.Add(p, f.hops[0])
	for _, h := range f.hops[1:] {
		q = *(*unsafe.Pointer)(q)
		if q == nil {
			return nil, false
		}
		q = unsafe.Add(q, h)
	}
	return q, true
}

// alloc returns the field's address in the struct at p, allocating the
// embedded structs on the way as msgpack does.
func (f *fieldPlan) alloc(p unsafe.Pointer) unsafe.Pointer {
	q := unsafe.Add(p, f.hops[0])
	for i, h := range f.hops[1:] {
		next := *(*unsafe.Pointer)(q)
		if next == nil {
			next = reflect.New(f.ptrs[i]).UnsafePointer()
			*(*unsafe.Pointer)(q) = next
		}
		q = unsafe.Add(next, h)
	}
	return q
}

// structPlan is a compiled struct: enc is msgpack's field list, byPos
// the decodable names (the list's first, in its order).
type structPlan struct {
	enc          []*fieldPlan
	hasOmitEmpty bool
	byPos        []*fieldPlan
	byName       map[string]*fieldPlan // when byPos is long
}

func (c *compiler) structure(tc *typeCodec) error {
	l, err := structLayout(tc.typ)
	if err != nil {
		return err
	}
	s := &structPlan{hasOmitEmpty: l.hasOmitEmpty}
	plans := make(map[*sfield]*fieldPlan)
	plan := func(name string, f *sfield) (*fieldPlan, error) {
		if p := plans[f]; p != nil {
			q := *p
			q.name = name
			return &q, nil
		}
		ftc, err := c.compile(f.typ)
		if err != nil {
			return nil, err
		}
		hops, ptrs, err := locate(tc.typ, f.index)
		if err != nil {
			return nil, err
		}
		p := &fieldPlan{name: name, key: appendString(nil, name), tc: ftc, omitEmpty: f.omitEmpty,
			hops: hops, ptrs: ptrs, id: len(plans), rewritable: scalarKind(f.typ.Kind())}
		plans[f] = p
		return p, nil
	}
	for _, f := range l.list {
		p, err := plan(f.name, f)
		if err != nil {
			return err
		}
		s.enc = append(s.enc, p)
	}
	if err := s.decodable(l, plan); err != nil {
		return err
	}
	tc.enc = s.encode
	tc.op, tc.st = opStruct, s
	tc.empty = s.isEmpty
	return nil
}

// decodable fills byPos and byName from the layout's names.
func (s *structPlan) decodable(l *layout, plan func(string, *sfield) (*fieldPlan, error)) error {
	var fields []*sfield
	add := func(name string) error {
		f := l.byName[name]
		p, err := plan(name, f)
		if err != nil {
			return err
		}
		p.pos = len(s.byPos)
		s.byPos = append(s.byPos, p)
		fields = append(fields, f)
		return nil
	}
	done := make(map[string]bool)
	for _, f := range l.list {
		if !done[f.name] {
			done[f.name] = true
			if err := add(f.name); err != nil {
				return err
			}
		}
	}
	for _, name := range l.names {
		if !done[name] {
			done[name] = true
			if err := add(name); err != nil {
				return err
			}
		}
	}
	for i, p := range s.byPos {
		if p.id >= maxFields {
			return fmt.Errorf("more than %d fields", maxFields)
		}
		for j, q := range fields {
			if q != fields[i] && (prefix(q.index, fields[i].index) || prefix(fields[i].index, q.index)) {
				p.overlaps = append(p.overlaps, s.byPos[j].id)
			}
		}
	}
	if len(s.byPos) > 8 {
		s.byName = make(map[string]*fieldPlan, len(s.byPos))
		for _, p := range s.byPos {
			s.byName[p.name] = p
		}
	}
	return nil
}

func prefix(a, b []int) bool {
	if len(a) > len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// locate turns an index path from t into hops (see fieldPlan).
func locate(t reflect.Type, index []int) (hops []uintptr, ptrs []reflect.Type, err error) {
	var off uintptr
	for i, idx := range index {
		if i > 0 && t.Kind() == reflect.Pointer {
			if t.Elem().Kind() != reflect.Struct {
				return nil, nil, fmt.Errorf("embedded %s", t)
			}
			hops = append(hops, off)
			ptrs = append(ptrs, t.Elem())
			off, t = 0, t.Elem()
		}
		f := t.Field(idx)
		off += f.Offset
		t = f.Type
	}
	return append(hops, off), ptrs, nil
}

// omit is msgpack's field.Omit (without forced omitempty).
func (f *fieldPlan) omit(p unsafe.Pointer) bool {
	q, ok := f.at(p)
	return !ok || f.omitEmpty && f.tc.empty(q)
}

func (s *structPlan) encode(b []byte, p unsafe.Pointer) []byte {
	n := len(s.enc)
	if s.hasOmitEmpty {
		n = 0
		for _, f := range s.enc {
			if !f.omit(p) {
				n++
			}
		}
	}
	b = appendMapLen(b, n)
	for _, f := range s.enc {
		if s.hasOmitEmpty && f.omit(p) {
			continue
		}
		b = append(b, f.key...)
		q, ok := f.at(p)
		if !ok {
			b = append(b, mpNil)
			continue
		}
		b = f.tc.enc(b, q)
	}
	return b
}

// isEmpty is msgpack's isEmptyValue of a struct: no field left to write.
func (s *structPlan) isEmpty(p unsafe.Pointer) bool {
	if !s.hasOmitEmpty {
		return len(s.enc) == 0
	}
	for _, f := range s.enc {
		if !f.omit(p) {
			return false
		}
	}
	return true
}

// structure decodes a struct: a map of its fields' names (or nil, or an
// empty array: msgpack's zero value).
func (r *reader) structure(s *structPlan, p unsafe.Pointer) bool {
	c, ok := r.code()
	if !ok {
		return false
	}
	var n uint64
	switch {
	case c&0xf0 == 0x80:
		n = uint64(c & 0x0f)
	case c == mpMap16:
		n, ok = r.u16()
	case c == mpMap32:
		n, ok = r.u32()
	case c == mpNil || c == 0x90: // msgpack: the zero value
		return true
	default:
		return false
	}
	if !ok || 2*n > uint64(r.left()) {
		return false
	}
	if n == 0 {
		return true
	}
	if !r.enter() {
		return false
	}
	var seen [maxFields / 64]uint64
	next := 0
	for range n {
		k, ok := r.key()
		if !ok {
			return false
		}
		var f *fieldPlan
		if next < len(s.byPos) && string(k) == s.byPos[next].name {
			f = s.byPos[next]
		} else {
			f = s.lookup(k)
		}
		if f == nil {
			if !r.skip() {
				return false
			}
			continue
		}
		next = f.pos + 1
		w, bit := uint(f.id)/64, uint64(1)<<(uint(f.id)%64)
		if seen[w]&bit != 0 && !f.rewritable {
			return false // decoding over a decoded field: msgpack merges
		}
		for _, o := range f.overlaps {
			if seen[uint(o)/64]&(1<<(uint(o)%64)) != 0 {
				return false
			}
		}
		seen[w] |= bit
		if !r.value(f.tc, f.alloc(p)) {
			return false
		}
	}
	r.leave()
	return true
}

func (s *structPlan) lookup(k []byte) *fieldPlan {
	if s.byName != nil {
		return s.byName[string(k)]
	}
	for _, f := range s.byPos {
		if f.name == string(k) {
			return f
		}
	}
	return nil
}

// scalarKind reports a bool, number or string kind.
func scalarKind(k reflect.Kind) bool {
	switch k {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.String:
		return true
	}
	return false
}
