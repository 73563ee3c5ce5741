package typed

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"

	"github.com/batpak-go/batpak/messages"
)

// Shapes the compiled codec covers, for the differential tests: each is
// encoded and decoded by the compiled plan and by msgpack v5, which must
// agree.

type shapeScalars struct {
	B   bool
	I   int
	I8  int8
	I16 int16
	I32 int32
	I64 int64
	U   uint
	U8  uint8
	U16 uint16
	U32 uint32
	U64 uint64
	F32 float32
	F64 float64
	S   string
}

type shapeInner struct {
	X int    `msgpack:"x,omitempty"`
	Y string `msgpack:"y,omitempty"`
}

type shapeTags struct {
	A          string            `msgpack:"a"`
	Skip       int               `msgpack:"-"`
	O          int               `msgpack:"o,omitempty"`
	OS         string            `msgpack:",omitempty"`
	OP         *int              `msgpack:"op,omitempty"`
	OSl        []int             `msgpack:"osl,omitempty"`
	OM         map[string]int    `msgpack:"om,omitempty"`
	ON         shapeInner        `msgpack:"on,omitempty"`
	OF         float64           `msgpack:"of,omitempty"`
	OB         bool              `msgpack:"ob,omitempty"`
	OA         [0]int            `msgpack:"oa,omitempty"`
	OA2        [2]int            `msgpack:"oa2,omitempty"`
	Al         int               `msgpack:"al,alias:x"`
	Spaced     uint16            `msgpack:" spaced , omitempty"`
	Dup1       int               `msgpack:"dup"`
	Dup2       int8              `msgpack:"dup"`
	Unknown    int               `msgpack:"u,unknownoption"`
	unexported int               //nolint:unused // msgpack skips it
	Long       string            `msgpack:"a-name-longer-than-thirty-one-bytes-for-str8"`
	MSS        map[string]string `msgpack:"mss,omitempty"`
}

type shapeContainers struct {
	Bytes  []byte
	Arr    [3]byte
	Ints   []int64
	Arr2   [2]int16
	Strs   []string
	Nested [][]string
	M      map[string]int32
	MS     map[string]string
	MI     map[int]string
	MU     map[uint8]bool
	MB     map[bool]uint
	MP     map[string]*shapeInner
	P      *int
	PP     **string
	PS     *shapeInner
	SS     []shapeInner
	SP     []*shapeInner
	Named  namedSlice
	NM     namedMap
	NB     namedBytes
	NS     namedString
	MyB    []myByte
	Big    []uint64
}

type (
	namedSlice  []namedString
	namedMap    map[namedString]namedSlice
	namedBytes  []byte
	namedString string
	myByte      uint8
)

// Embedding, as msgpack v5 inlines it.

// Embedded is inlined (exported, by value).
type Embedded struct {
	E1 int
	E2 string `msgpack:"e2"`
}

// EmbeddedPtr is inlined through a pointer.
type EmbeddedPtr struct {
	P1 int
	P2 []string
}

type embeddedLow struct {
	L1 int
	L2 Embedded // not embedded: a field
}

// Shadow has a field named like shapeEmbed's own, so it is not inlined.
type Shadow struct {
	Own int
	S2  int
}

// Explicit is inlined with the inline option despite a shadowed field.
type Explicit struct {
	Own int
	X1  string
}

// NoInline is embedded with noinline.
type NoInline struct{ N1 int }

// Deep embeds another level.
type Deep struct {
	Embedded2
	D1 int
}

// Embedded2 is inlined two levels down.
type Embedded2 struct{ DD int }

type shapeEmbed struct {
	Own int
	Embedded
	*EmbeddedPtr
	embeddedLow
	Shadow
	Explicit `msgpack:",inline"`
	NoInline `msgpack:",noinline"`
	Deep
	Last string
}

type shapeEmbedOmit struct {
	*EmbeddedPtr
	O int `msgpack:"o,omitempty"`
}

type node struct {
	V    int
	Kids []node
	Next *node `msgpack:"next,omitempty"`
}

// shape is one compiled shape: a new value of it, and its registration.
type shape struct {
	new      func() any
	register func(r *Registry, kind messages.EventKind) error
}

func shapeOf[T any]() shape {
	return shape{
		new: func() any { return new(T) },
		register: func(r *Registry, kind messages.EventKind) error {
			return Register[T](r, kind, reflect.TypeFor[T]().String(), 1)
		},
	}
}

// shapes are the compiled shapes.
var shapes = []shape{
	shapeOf[shapeScalars](),
	shapeOf[shapeTags](),
	shapeOf[shapeContainers](),
	shapeOf[shapeEmbed](),
	shapeOf[shapeEmbedOmit](),
	shapeOf[node](),
	shapeOf[shapeInner](),
	shapeOf[struct{}](),
	shapeOf[[]string](),
	shapeOf[map[string]int](),
	shapeOf[int64](),
	shapeOf[namedString](),
	shapeOf[[4]int8](),
	shapeOf[[]byte](),
}

// randomFill sets v to a random value; maps get at most maxMap entries
// (byte-identical encodings need one entry at most: Go iterates maps in
// random order, so msgpack writes their entries in random order too).
func randomFill(v reflect.Value, rnd *rand.Rand, depth, maxMap int) {
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(rnd.IntN(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(randomInt(rnd))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(randomInt(rnd)))
	case reflect.Float32, reflect.Float64:
		v.SetFloat([]float64{0, math.Copysign(0, -1), 1.5, -3, math.Inf(1), math.MaxFloat64, rnd.NormFloat64()}[rnd.IntN(7)])
	case reflect.String:
		v.SetString(randomString(rnd))
	case reflect.Pointer:
		if depth > 0 && rnd.IntN(3) > 0 {
			v.Set(reflect.New(v.Type().Elem()))
			randomFill(v.Elem(), rnd, depth-1, maxMap)
		}
	case reflect.Slice:
		switch x := rnd.IntN(4); {
		case x == 0 || depth == 0:
		case x == 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			n := []int{1, 2, 15, 16, 17}[rnd.IntN(5)]
			if v.Type().Elem().Kind() == reflect.Uint8 {
				n = []int{1, 31, 32, 255, 256, 70000}[rnd.IntN(6)]
			}
			v.Set(reflect.MakeSlice(v.Type(), n, n))
			for i := range n {
				randomFill(v.Index(i), rnd, depth-1, maxMap)
			}
		}
	case reflect.Array:
		for i := range v.Len() {
			randomFill(v.Index(i), rnd, depth, maxMap)
		}
	case reflect.Map:
		switch x := rnd.IntN(3); {
		case x == 0 || depth == 0:
		default:
			m := reflect.MakeMap(v.Type())
			for range rnd.IntN(maxMap + 1) {
				k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
				randomFill(k, rnd, depth-1, maxMap)
				randomFill(e, rnd, depth-1, maxMap)
				m.SetMapIndex(k, e)
			}
			v.Set(m)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() && rnd.IntN(5) > 0 {
				randomFill(f, rnd, depth, maxMap)
			}
		}
	}
}

func randomInt(rnd *rand.Rand) int64 {
	edges := []int64{0, 1, -1, 31, -32, -33, 127, 128, -128, -129, 255, 256, 32767, -32768, 65535, 65536,
		math.MaxInt32, math.MinInt32, math.MaxUint32, math.MaxInt64, math.MinInt64}
	if rnd.IntN(3) == 0 {
		return int64(rnd.Uint64())
	}
	return edges[rnd.IntN(len(edges))]
}

func randomString(rnd *rand.Rand) string {
	n := []int{0, 1, 5, 31, 32, 255, 256, 65535, 65536}[rnd.IntN(9)]
	if n > 300 && rnd.IntN(4) > 0 {
		n = 3
	}
	return strings.Repeat(string(rune('a'+rnd.IntN(26))), n)
}

// sameValue is reflect.DeepEqual with floats compared by their bits (so
// that a NaN equals itself).
func sameValue(a, b reflect.Value) bool {
	if a.Kind() != b.Kind() || a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		return math.Float64bits(a.Float()) == math.Float64bits(b.Float()) ||
			a.Kind() == reflect.Float32 && math.Float32bits(float32(a.Float())) == math.Float32bits(float32(b.Float()))
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameValue(a.Elem(), b.Elem())
	case reflect.Slice:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		fallthrough
	case reflect.Array:
		for i := range a.Len() {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for it := a.MapRange(); it.Next(); {
			w := b.MapIndex(it.Key())
			if !w.IsValid() || !sameValue(it.Value(), w) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := range a.NumField() {
			if !sameValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.String:
		return a.String() == b.String()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return a.Uint() == b.Uint()
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}
