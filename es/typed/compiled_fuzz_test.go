package typed

import (
	"encoding/binary"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
)

// fuzzRegistry registers every shape, kind (1, i+1) for shapes[i].
func fuzzRegistry(t testing.TB) *Registry {
	r := NewRegistry()
	for i, sh := range shapes {
		kind := messages.MustKind(1, uint16(i+1))
		require.NoError(t, sh.register(r, kind))
		require.NotNil(t, r.kind(kind).codec, "%T has no plan", sh.new())
	}
	return r
}

// FuzzCompiledDecode: for arbitrary bytes, decoding into every shape
// gives what it gave before the compiled codec (checkBounds, then msgpack
// v5): the same value or the same error; and whenever the compiled
// decoder alone accepts the bytes, msgpack accepts them too and reads the
// same value.
//
//	go test ./es/typed -run '^$' -fuzz FuzzCompiledDecode -fuzztime 1m
func FuzzCompiledDecode(f *testing.F) {
	r := fuzzRegistry(f)
	rnd := rand.New(rand.NewPCG(7, 7))
	for _, sh := range shapes {
		for range 5 {
			v := reflect.ValueOf(sh.new())
			randomFill(v.Elem(), rnd, 3, 2)
			if b := msgpackEncode(f, v); len(b) <= 2048 { // small seeds mutate fast
				f.Add(b)
			}
		}
	}
	for _, hostile := range [][]byte{
		{0xdf, 0x7f, 0xff, 0xff, 0xff}, {0x81, 0xa4, 't', 'a', 'g', 's', 0xdd, 0x7f, 0xff, 0xff, 0xff},
		{0x81, 0xa1, 'S', 0xdb, 0x7f, 0xff, 0xff, 0xff}, {0x81, 0xa5, 'B', 'y', 't', 'e', 's', 0xc6, 0x7f, 0xff, 0xff, 0xff},
		deepArrays(300), deepArrays(199), deepArrays(256),
	} {
		f.Add(hostile)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		payload := append(putHeader(nil, 1), body...)
		for i := range shapes {
			kind := messages.MustKind(1, uint16(i+1))
			requireAsBefore(t, r, kind, payload)
			tc := r.kind(kind).codec
			if got, ok := compiledDecode(tc, body); ok {
				want, err := msgpackDecode(tc.typ, body)
				require.NoError(t, err, "the compiled decoder accepted what msgpack refuses")
				require.True(t, sameValue(want.Elem(), got.Elem()))
			}
		}
	})
}

// deepArrays is a struct body whose unknown field nests n arrays.
func deepArrays(n int) []byte {
	b := []byte{0x81, 0xa3, 'z', 'z', 'z'}
	for range n {
		b = append(b, 0x91)
	}
	return append(b, 0x01)
}

// FuzzCompiledEncode: random values of every shape (drawn from the fuzz
// input) encode to msgpack v5's bytes exactly, through Encode, and decode
// back through Decode to msgpack's value.
//
//	go test ./es/typed -run '^$' -fuzz FuzzCompiledEncode -fuzztime 1m
func FuzzCompiledEncode(f *testing.F) {
	r := fuzzRegistry(f)
	for i := range 16 {
		f.Add(uint64(i), uint8(i%len(shapes)))
	}
	f.Fuzz(func(t *testing.T, seed uint64, which uint8) {
		i := int(which) % len(shapes)
		kind := messages.MustKind(1, uint16(i+1))
		v := reflect.ValueOf(shapes[i].new())
		randomFill(v.Elem(), rand.New(rand.NewPCG(seed, binary.LittleEndian.Uint64([]byte("typedenc")))), 4, 1)
		want := msgpackEncode(t, v)
		for _, x := range []any{v.Interface(), v.Elem().Interface()} {
			k, p, err := Encode(r, x)
			require.NoError(t, err)
			require.Equal(t, kind, k)
			require.Equal(t, append(putHeader(nil, 1), want...), p)
		}
		requireAsBefore(t, r, kind, append(putHeader(nil, 1), want...))
	})
}
