package typed

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/messages"
)

// msgpackEncode is today's encoding of the value at v (a pointer): what
// encodeBody writes after the envelope.
func msgpackEncode(t testing.TB, v reflect.Value) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, msgpack.NewEncoder(&buf).Encode(v.Elem().Interface()))
	return buf.Bytes()
}

// compiledDecode decodes body into a new value of tc's type with the
// compiled plan alone (no fallback).
func compiledDecode(tc *typeCodec, body []byte) (reflect.Value, bool) {
	v := reflect.New(tc.typ)
	r := reader{b: body}
	return v, r.value(tc, v.UnsafePointer())
}

// msgpackDecode is today's decoding path: checkBounds, then msgpack v5.
func msgpackDecode(typ reflect.Type, body []byte) (reflect.Value, error) {
	v := reflect.New(typ)
	if err := checkBounds(body); err != nil {
		return v, err
	}
	return v, unmarshal(body, v.Interface())
}

// checkRoundTrip checks one value (a pointer) of a compiled type: the
// compiled encoding is msgpack's, byte for byte (when sameBytes: maps of
// one entry at most), and both decoders read it back to the same value.
func checkRoundTrip(t *testing.T, tc *typeCodec, v reflect.Value, sameBytes bool) {
	t.Helper()
	want := msgpackEncode(t, v)
	got := tc.enc(nil, v.UnsafePointer())
	if sameBytes {
		require.Equal(t, want, got, "encoding of %#v", v.Elem().Interface())
	}
	for _, body := range [][]byte{want, got} {
		viaMsgpack, err := msgpackDecode(tc.typ, body)
		require.NoError(t, err)
		compiled, ok := compiledDecode(tc, body)
		require.True(t, ok, "the compiled decoder refused % x", body)
		require.True(t, sameValue(viaMsgpack.Elem(), compiled.Elem()), "decoded %#v, msgpack %#v",
			compiled.Elem().Interface(), viaMsgpack.Elem().Interface())
	}
}

// TestCompiledCodecMatchesMsgpack: for every shape the compiled codec
// covers (scalars of every width, tags with -, omitempty, aliases and
// duplicates, slices, arrays, byte slices and arrays, maps, pointers,
// nested and recursive structs, embedded structs inlined or not), random
// values encode to msgpack v5's bytes exactly and decode to msgpack v5's
// values, with maps of one entry (byte order) and of many (values).
func TestCompiledCodecMatchesMsgpack(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 1))
	for _, sh := range shapes {
		typ := reflect.TypeOf(sh.new()).Elem()
		t.Run(typ.String(), func(t *testing.T) {
			tc, err := codecFor(typ)
			require.NoError(t, err, "left to msgpack")
			checkRoundTrip(t, tc, reflect.New(typ), true)
			for i := range 300 {
				v := reflect.New(typ)
				maxMap := 1
				if i%3 == 0 {
					maxMap = 20
				}
				randomFill(v.Elem(), rnd, 4, maxMap)
				checkRoundTrip(t, tc, v, maxMap == 1)
			}
		})
	}
}

// TestCompiledEmbedding pins msgpack v5's treatment of embedded structs,
// which the compiled codec follows: an exported or unexported struct is
// inlined, a pointer to one too (its fields written as nil while it is
// nil, and the struct allocated on decode); a struct with a field name
// already taken is not inlined but written under its type's name, unless
// tagged inline (then only its free names are); noinline writes it under
// its name.
func TestCompiledEmbedding(t *testing.T) {
	tc, err := codecFor(reflect.TypeFor[shapeEmbed]())
	require.NoError(t, err)
	v := shapeEmbed{Own: 1, Embedded: Embedded{E1: 2}, Shadow: Shadow{Own: 3, S2: 4}, Explicit: Explicit{Own: 5, X1: "x"},
		NoInline: NoInline{N1: 6}, Deep: Deep{Embedded2{7}, 8}}
	got := tc.enc(nil, reflectPtr(&v))
	var m map[string]any
	require.NoError(t, msgpack.Unmarshal(got, &m))
	require.Equal(t, map[string]any{
		"Own": int8(1), "E1": int8(2), "e2": "", "P1": nil, "P2": nil, "L1": int8(0),
		"L2":     map[string]any{"E1": int8(0), "e2": ""},
		"Shadow": map[string]any{"Own": int8(3), "S2": int8(4)}, "X1": "x",
		"NoInline": map[string]any{"N1": int8(6)}, "DD": int8(7), "D1": int8(8), "Last": "",
	}, m)
	back, ok := compiledDecode(tc, got)
	require.True(t, ok)
	want := v
	want.EmbeddedPtr = &EmbeddedPtr{} // msgpack allocates it to decode P1 and P2 (nil)
	want.Explicit.Own = 0             // shadowed by shapeEmbed.Own: not written
	require.Equal(t, want, back.Elem().Interface())
	checkRoundTrip(t, tc, reflect.ValueOf(&v), true)

	// With an omitempty field, msgpack omits the fields behind a nil
	// embedded pointer instead.
	tc, err = codecFor(reflect.TypeFor[shapeEmbedOmit]())
	require.NoError(t, err)
	require.Equal(t, []byte{0x80}, tc.enc(nil, reflectPtr(&shapeEmbedOmit{})))
	checkRoundTrip(t, tc, reflect.ValueOf(&shapeEmbedOmit{EmbeddedPtr: &EmbeddedPtr{P1: 1}}), true)
}

func reflectPtr[T any](p *T) unsafe.Pointer { return unsafe.Pointer(p) }

// Types the compiled codec leaves to msgpack v5 as a whole.
type (
	withTime    struct{ At time.Time }
	withAny     struct{ V any }
	withErr     struct{ E error }
	withRaw     struct{ R msgpack.RawMessage }
	withCustom  struct{ C customEnc }
	withAsArray struct {
		_msgpack struct{} `msgpack:",as_array"` //nolint:unused // msgpack reads its tag
		A        int
	}
	withIntern struct {
		S string `msgpack:"s,intern"`
	}
	withMapAny    struct{ M map[string]any }
	withUintptr   struct{ U uintptr }
	withComplex   struct{ C complex64 }
	withFunc      struct{ F func() }
	withChan      struct{ C chan int }
	withZeroer    struct{ Z zeroer }
	withStructKey struct{ M map[shapeInner]int }
	withLowPtr    struct{ *lowInner }
	withText      struct{ T textM }
	lowInner      struct{ A int }
	customEnc     struct{ A int }
	zeroer        struct{ A int }
	textM         int
)

func (customEnc) EncodeMsgpack(e *msgpack.Encoder) error  { return e.EncodeInt(7) }
func (*customEnc) DecodeMsgpack(d *msgpack.Decoder) error { _, err := d.DecodeInt(); return err }
func (zeroer) IsZero() bool                               { return true }
func (textM) MarshalText() ([]byte, error)                { return []byte("t"), nil }

// TestUnsupportedTypesFallBack: types with interfaces, time.Time, custom
// encoders or decoders, text marshalers, IsZero methods, array-encoded or
// interned fields, unsupported kinds or map keys, unexported embedded
// pointers get no compiled plan; registered, they encode and decode
// exactly as msgpack v5 (the path they always took).
func TestUnsupportedTypesFallBack(t *testing.T) {
	for _, v := range []any{withTime{At: time.Unix(5, 0).UTC()}, withAny{V: "x"}, withErr{}, withRaw{R: msgpack.RawMessage{0xc0}},
		withCustom{}, withAsArray{A: 1}, withIntern{S: "s"}, withMapAny{M: map[string]any{"a": int8(1)}}, withUintptr{}, withComplex{},
		withFunc{}, withChan{}, withZeroer{}, withStructKey{}, withLowPtr{}, withText{}, time.Duration(0)} {
		typ := reflect.TypeOf(v)
		t.Run(typ.String(), func(t *testing.T) {
			if typ == reflect.TypeFor[time.Duration]() {
				_, err := codecFor(typ)
				require.NoError(t, err, "a plain int64 kind is compiled")
				return
			}
			_, err := codecFor(typ)
			require.Error(t, err)
			if typ == reflect.TypeFor[withUintptr]() {
				return // msgpack v5 panics encoding a uintptr, as it always did
			}
			r := NewRegistry()
			b := &binding{kind: messages.MustKind(1, 1), name: "x", version: 1, typ: typ, decode: func(*Registry, *binding, messages.EventKind, []byte) (any, error) { return nil, nil }}
			require.NoError(t, r.register(b))
			require.Nil(t, b.codec)
			_, p, err := Encode(r, v)
			want, werr := msgpack.Marshal(v)
			if werr != nil {
				require.ErrorIs(t, err, ErrInvalid)
				return
			}
			require.NoError(t, err)
			require.Equal(t, want, p[headerLen:])
		})
	}
}

// TestRegisteredTypesUseTheirPlan: registering a covered type compiles
// its plan, and Encode, Decode and DecodeAs go through it and give what
// msgpack gives.
func TestRegisteredTypesUseTheirPlan(t *testing.T) {
	r := NewRegistry()
	kind := messages.MustKind(1, 1)
	require.NoError(t, Register[shapeContainers](r, kind, "containers", 1))
	b := r.kind(kind)
	require.NotNil(t, b.codec)
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		var v shapeContainers
		randomFill(reflect.ValueOf(&v).Elem(), rnd, 3, 1)
		k, p, err := Encode(r, v)
		require.NoError(t, err)
		require.Equal(t, kind, k)
		want, err := msgpack.Marshal(v)
		require.NoError(t, err)
		require.Equal(t, append(putHeader(nil, 1), want...), p)
		_, p2, err := Encode(r, &v)
		require.NoError(t, err)
		require.Equal(t, p, p2)
		got, err := Decode(r, messages.Event{Kind: kind, Payload: p})
		require.NoError(t, err)
		viaMsgpack, err := msgpackDecode(b.typ, want)
		require.NoError(t, err)
		require.True(t, sameValue(viaMsgpack.Elem(), reflect.ValueOf(got)))
		as, err := DecodeAs[shapeContainers](r, messages.Event{Kind: kind, Payload: p})
		require.NoError(t, err)
		require.True(t, sameValue(viaMsgpack.Elem(), reflect.ValueOf(as)))
	}
}

// pointerShaped types (a map, a struct of one pointer) are held in an
// interface by value: Encode reads them from the interface word.
type onePointer struct{ P *int }

func TestPointerShapedTypes(t *testing.T) {
	require.True(t, pointerShaped[map[string]int]())
	require.True(t, pointerShaped[onePointer]())
	require.False(t, pointerShaped[shapeInner]())
	require.False(t, pointerShaped[int64]())
	r := NewRegistry()
	require.NoError(t, Register[map[string]int](r, messages.MustKind(1, 1), "m", 1))
	require.NoError(t, Register[onePointer](r, messages.MustKind(1, 2), "p", 1))
	x := 5
	for _, v := range []any{map[string]int{"a": 1}, onePointer{P: &x}, onePointer{}} {
		k, p, err := Encode(r, v)
		require.NoError(t, err)
		want, err := msgpack.Marshal(v)
		require.NoError(t, err)
		require.Equal(t, want, p[headerLen:])
		got, err := Decode(r, messages.Event{Kind: k, Payload: p})
		require.NoError(t, err)
		require.Equal(t, v, got)
	}
}

// TestDecodeFallsBackOnTheUnexpected: bodies the compiled decoder does
// not read (a struct as an array, a key as bin, an ext, a repeated key
// whose values msgpack merges, a float64 into a float32) go the msgpack
// path and give exactly its value or error.
func TestDecodeFallsBackOnTheUnexpected(t *testing.T) {
	r := NewRegistry()
	kind := messages.MustKind(1, 1)
	require.NoError(t, Register[shapeTags](r, kind, "tags", 1))
	tc := r.kind(kind).codec
	require.NotNil(t, tc)
	enc := func(v any) []byte {
		b, err := msgpack.Marshal(v)
		require.NoError(t, err)
		return b
	}
	cases := map[string][]byte{
		"struct as an array": {0x92, 0x01, 0x02},
		"key as bin":         append([]byte{0x81, 0xc4, 0x01, 'a'}, enc("x")...),
		"ext value":          {0x81, 0xa1, 'z', 0xd4, 0x01, 0x02},
		"repeated map key":   append(append(append([]byte{0x82, 0xa2, 'o', 'm'}, enc(map[string]int{"a": 1})...), 0xa2, 'o', 'm'), enc(map[string]int{"b": 2})...),
		"repeated slice key": {0x82, 0xa3, 'o', 's', 'l', 0x91, 0x01, 0xa3, 'o', 's', 'l', 0x90},
		"float64 into int":   {0x81, 0xa1, 'o', 0xcb, 0, 0, 0, 0, 0, 0, 0, 0},
		"str into int":       {0x81, 0xa1, 'o', 0xa1, '1'},
		"truncated":          {0x82, 0xa1, 'a'},
		"0xc1":               {0xc1},
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			_, ok := compiledDecode(tc, body)
			require.False(t, ok, "the compiled decoder took it")
			requireAsBefore(t, r, kind, append(putHeader(nil, 1), body...))
		})
	}
	// A scalar named twice (or under its alias and its name) is
	// overwritten, by msgpack and by the compiled decoder alike.
	for name, body := range map[string][]byte{
		"repeated scalar key": {0x82, 0xa1, 'o', 0x01, 0xa1, 'o', 0x02},
		"alias then name":     {0x82, 0xa1, 'x', 0x01, 0xa2, 'a', 'l', 0x02},
		"repeated string":     {0x82, 0xa1, 'a', 0xa1, 'z', 0xa1, 'a', 0xc0},
	} {
		t.Run(name, func(t *testing.T) {
			_, ok := compiledDecode(tc, body)
			require.True(t, ok)
			requireAsBefore(t, r, kind, append(putHeader(nil, 1), body...))
		})
	}
}

// decodeAsBefore is DecodePayload as it was before the compiled codec:
// checkBounds, then msgpack v5, into a new value of kind's type.
func decodeAsBefore(r *Registry, kind messages.EventKind, payload []byte) (reflect.Value, error) {
	b := r.kind(kind)
	v := reflect.New(b.typ)
	return v.Elem(), r.decodeInto(b, kind, payload, v.Interface())
}

// requireAsBefore checks that DecodePayload gives what it gave before the
// compiled codec: the same value, or the same error.
func requireAsBefore(t testing.TB, r *Registry, kind messages.EventKind, payload []byte) {
	t.Helper()
	want, werr := decodeAsBefore(r, kind, payload)
	got, err := DecodePayload(r, kind, payload)
	if werr != nil {
		require.Error(t, err)
		require.Equal(t, werr.Error(), err.Error())
		return
	}
	require.NoError(t, err)
	require.True(t, sameValue(want, reflect.ValueOf(got)), "decoded %#v, before %#v", got, want.Interface())
}
