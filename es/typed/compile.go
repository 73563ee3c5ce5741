package typed

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"unsafe"

	"github.com/vmihailenco/msgpack/v5"
)

// typeCodec is the compiled plan of one Go type: how to write a value of
// it as msgpack v5 writes it, how to read it back from bytes, and (for
// omitempty) whether msgpack counts it as empty. Values are addressed by
// unsafe.Pointer; the plan was built from the type, so each function only
// ever sees memory of that type.
//
// Encoding goes through function values; decoding is reader.value's
// switch on op, so that the reader and the target stay on the caller's
// stack (a function value's arguments escape).
type typeCodec struct {
	typ   reflect.Type
	enc   encFn
	empty func(p unsafe.Pointer) bool
	op    decOp
	// What op needs: the element (of a slice, array, pointer or map) and
	// its size, a map's key, an array's length, a struct's plan, the data
	// pointer of an empty slice.
	elem      *typeCodec
	size      uintptr
	key       *typeCodec
	n         int
	st        *structPlan
	emptyData unsafe.Pointer
}

// encFn appends the msgpack encoding of the value at p to b.
type encFn func(b []byte, p unsafe.Pointer) []byte

// hookTypes are the interfaces through which msgpack v5 lets a type take
// over its own encoding, decoding or emptiness: a type that has one (or
// whose pointer has one) is left to msgpack as a whole.
var hookTypes = []reflect.Type{
	reflect.TypeFor[msgpack.CustomEncoder](),
	reflect.TypeFor[msgpack.CustomDecoder](),
	reflect.TypeFor[msgpack.Marshaler](),
	reflect.TypeFor[msgpack.Unmarshaler](),
	reflect.TypeFor[encoding.BinaryMarshaler](),
	reflect.TypeFor[encoding.BinaryUnmarshaler](),
	reflect.TypeFor[encoding.TextMarshaler](),
	reflect.TypeFor[encoding.TextUnmarshaler](),
	reflect.TypeFor[interface{ IsZero() bool }](),
}

// noHooks returns an error when t or *t implements one of hookTypes.
func noHooks(t reflect.Type) error {
	for _, h := range hookTypes {
		if t.Implements(h) || reflect.PointerTo(t).Implements(h) {
			return fmt.Errorf("%s implements %s", t, h)
		}
	}
	return nil
}

var float32Type = reflect.TypeFor[float32]()

// codecs caches compiled plans by type: *codecEntry.
var codecs sync.Map

type codecEntry struct {
	tc  *typeCodec
	err error
}

// codecFor returns the compiled plan of t, built once and cached, or the
// reason t is left to msgpack v5.
func codecFor(t reflect.Type) (*typeCodec, error) {
	if e, ok := codecs.Load(t); ok {
		return e.(*codecEntry).tc, e.(*codecEntry).err
	}
	var tc *typeCodec
	var err error
	if t == float32Type {
		err = errors.New("float32 itself: msgpack keeps its bits at the top, unlike below (see viaFloat64)")
	} else {
		tc, err = (&compiler{seen: make(map[reflect.Type]*typeCodec)}).compile(t)
	}
	if err == nil {
		err = selfCheck(tc)
	}
	if err != nil {
		tc = nil
	}
	e, _ := codecs.LoadOrStore(t, &codecEntry{tc: tc, err: err})
	return e.(*codecEntry).tc, e.(*codecEntry).err
}

// compiler builds the plans of a type graph; seen holds the plans under
// construction, so that recursive types refer to their own plan.
type compiler struct {
	seen map[reflect.Type]*typeCodec
}

func (c *compiler) compile(t reflect.Type) (*typeCodec, error) {
	if tc, ok := c.seen[t]; ok {
		return tc, nil
	}
	if err := noHooks(t); err != nil {
		return nil, err
	}
	tc := &typeCodec{typ: t}
	c.seen[t] = tc
	var err error
	switch k := t.Kind(); {
	case scalarKind(k):
		scalar(tc, k)
	case k == reflect.Slice:
		err = c.slice(tc)
	case k == reflect.Array:
		err = c.array(tc)
	case k == reflect.Map:
		err = c.mapping(tc)
	case k == reflect.Pointer:
		err = c.pointer(tc)
	case k == reflect.Struct:
		err = c.structure(tc)
	default:
		err = fmt.Errorf("%s: kind %s", t, k)
	}
	if err != nil {
		return nil, err
	}
	return tc, nil
}
