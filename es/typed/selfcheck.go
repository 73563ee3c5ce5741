package typed

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"

	"github.com/vmihailenco/msgpack/v5"
)

// selfCheck runs a compiled plan beside msgpack v5 before the plan is
// used: for its type and every type in it (each element, key, field and
// pointed-to type, however deep), on two values, the zero value and one
// with every field, pointer, slice and map filled, both must write the
// same bytes and read them back to equal values. It catches what the
// plan cannot see in the type (an encoder registered with
// msgpack.Register or RegisterExtEncoder for a type in it, before the
// registration), so such a type is left to msgpack.
func selfCheck(tc *typeCodec) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("self-check of %s panicked: %v", tc.typ, p)
		}
	}()
	for _, node := range planNodes(tc) {
		zero := reflect.New(node.typ)
		full := reflect.New(node.typ)
		n := 0
		fill(full.Elem(), 3, &n)
		for _, v := range []reflect.Value{zero, full} {
			if err := checkOne(node, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// planNodes returns tc and every plan reachable from it, once each.
func planNodes(tc *typeCodec) []*typeCodec {
	seen := make(map[*typeCodec]bool)
	var out []*typeCodec
	var walk func(*typeCodec)
	walk = func(n *typeCodec) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		out = append(out, n)
		walk(n.elem)
		walk(n.key)
		if n.st != nil {
			for _, f := range n.st.enc {
				walk(f.tc)
			}
			for _, f := range n.st.byPos {
				walk(f.tc)
			}
		}
	}
	walk(tc)
	return out
}

func checkOne(tc *typeCodec, v reflect.Value) error {
	want, err := msgpack.Marshal(v.Elem().Interface())
	if err != nil {
		return err
	}
	got := tc.enc(nil, v.UnsafePointer())
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%s: compiled encoding % x, msgpack % x", tc.typ, got, want)
	}
	viaMsgpack := reflect.New(tc.typ)
	if err := msgpack.NewDecoder(bytes.NewReader(want)).Decode(viaMsgpack.Interface()); err != nil {
		return err
	}
	compiled := reflect.New(tc.typ)
	r := reader{b: want}
	if !r.value(tc, compiled.UnsafePointer()) || r.off != len(want) {
		return fmt.Errorf("%s: compiled decoder refused msgpack's encoding", tc.typ)
	}
	if !reflect.DeepEqual(viaMsgpack.Elem().Interface(), compiled.Elem().Interface()) {
		return fmt.Errorf("%s: compiled decoder read another value than msgpack", tc.typ)
	}
	return nil
}

// fill sets every settable part of v to a non-zero value (numbered by n),
// depth levels of pointers, slices and maps deep.
func fill(v reflect.Value, depth int, n *int) {
	*n++
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(-*n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n) + 0.5)
	case reflect.String:
		v.SetString("s" + strconv.Itoa(*n))
	case reflect.Pointer:
		if depth > 0 {
			v.Set(reflect.New(v.Type().Elem()))
			fill(v.Elem(), depth-1, n)
		}
	case reflect.Slice:
		if depth > 0 {
			v.Set(reflect.MakeSlice(v.Type(), 2, 2))
			for i := range 2 {
				fill(v.Index(i), depth-1, n)
			}
		}
	case reflect.Array:
		for i := range v.Len() {
			fill(v.Index(i), depth, n)
		}
	case reflect.Map:
		if depth > 0 {
			m := reflect.MakeMap(v.Type())
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(k, depth-1, n)
			fill(e, depth-1, n)
			m.SetMapIndex(k, e)
			v.Set(m)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				fill(f, depth, n)
			}
		}
	}
}
