package typed

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/vmihailenco/tagparser/v2"
)

// layout is how msgpack v5 (with the settings this package uses: no
// custom struct tag, no forced omitempty) sees a struct type: the fields
// it encodes, in order, and the names it decodes. It mirrors msgpack's
// getFields, inlineFields and shouldInline step by step, so that the
// compiled codec writes and accepts exactly what msgpack does.
type layout struct {
	// list is what msgpack encodes, in order (its fields.List). Names may
	// repeat: msgpack then writes the name twice.
	list []*sfield
	// byName is what msgpack decodes (its fields.Map): the list's names,
	// aliases, and the names of inlined embedded structs (which decode
	// into the embedded struct as a whole).
	byName map[string]*sfield
	// names keeps byName's insertion order, for a deterministic compile.
	names []string
	// hasOmitEmpty is set when a field of list has omitempty.
	hasOmitEmpty bool
}

// sfield is one field of a layout.
type sfield struct {
	name      string
	index     []int // reflect's index path from the layout's struct
	omitEmpty bool
	typ       reflect.Type // the type at the end of index
}

func (l *layout) add(f *sfield) {
	l.set(f.name, f)
	l.list = append(l.list, f)
	if f.omitEmpty {
		l.hasOmitEmpty = true
	}
}

func (l *layout) set(name string, f *sfield) {
	if _, ok := l.byName[name]; !ok {
		l.names = append(l.names, name)
	}
	l.byName[name] = f
}

// structLayout returns t's layout, or an error naming what the compiled
// codec leaves to msgpack: a `_msgpack` field (array-encoded or
// omitempty-by-default structs), an `intern` option, an unexported
// embedded field that is not inlined or is a pointer, an explicit
// `inline` on a field that is not a struct, a struct that embeds itself
// (msgpack recurses without end on it).
func structLayout(t reflect.Type) (*layout, error) { return layoutIn(t, nil) }

// layoutIn is structLayout of t embedded in the structs outer (outermost
// first).
func layoutIn(t reflect.Type, outer []reflect.Type) (*layout, error) {
	if slices.Contains(outer, t) {
		return nil, fmt.Errorf("%s embeds itself", t)
	}
	outer = append(outer[:len(outer):len(outer)], t)
	l := &layout{byName: make(map[string]*sfield, t.NumField())}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := tagparser.Parse(f.Tag.Get("msgpack"))
		if tag.Name == "-" {
			continue
		}
		if f.Name == "_msgpack" {
			return nil, fmt.Errorf("%s has a _msgpack field", t)
		}
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		if tag.HasOption("intern") {
			return nil, fmt.Errorf("%s.%s has the intern option", t, f.Name)
		}
		sf := &sfield{name: tag.Name, index: f.Index, omitEmpty: tag.HasOption("omitempty"), typ: f.Type}
		if sf.name == "" {
			sf.name = f.Name
		}
		if f.Anonymous && !tag.HasOption("noinline") {
			inline, err := embed(l, f, sf, tag.HasOption("inline"), outer)
			if err != nil {
				return nil, err
			}
			if inline {
				l.set(sf.name, sf)
				continue
			}
		}
		if !f.IsExported() {
			return nil, fmt.Errorf("%s.%s is an unexported embedded field msgpack does not inline", t, f.Name)
		}
		l.add(sf)
		if alias, ok := tag.Options["alias"]; ok {
			l.set(alias, sf)
		}
	}
	return l, nil
}

// embed inlines the embedded field f into l as msgpack does: always with
// the inline option (skipping the embedded fields whose names l already
// has), else only for a struct or pointer to struct none of whose fields
// l already has. It reports whether it inlined. outer are the structs
// being laid out, l's own last.
func embed(l *layout, f reflect.StructField, sf *sfield, explicit bool, outer []reflect.Type) (bool, error) {
	t := f.Type
	if explicit {
		if t.Kind() != reflect.Struct {
			return false, fmt.Errorf("the inline option on %s (not a struct)", t)
		}
	} else {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return false, nil
		}
		if t != f.Type && !f.IsExported() {
			return false, fmt.Errorf("unexported embedded pointer %s", f.Type)
		}
		if f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Pointer {
			return false, fmt.Errorf("embedded pointer to pointer %s", f.Type)
		}
	}
	if err := noHooks(t); err != nil {
		return false, err
	}
	inner, err := layoutIn(t, outer)
	if err != nil {
		return false, err
	}
	if !explicit {
		for _, g := range inner.list {
			if _, ok := l.byName[g.name]; ok {
				return false, nil // msgpack does not auto-inline shadowed fields
			}
		}
	}
	for _, g := range inner.list {
		if _, ok := l.byName[g.name]; ok && explicit {
			continue // msgpack does not inline a shadowed field
		}
		h := *g
		h.index = append(append([]int(nil), sf.index...), g.index...)
		l.add(&h)
	}
	return true, nil
}
