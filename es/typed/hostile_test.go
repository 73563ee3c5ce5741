package typed_test

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
)

// Tagged has a slice field, so a hostile array header in its body could
// ask the decoder for a huge slice.
type Tagged struct {
	Tags []int64 `msgpack:"tags"`
}

// Hostile has a field of each kind whose header claims a length: the
// compiled decoder reads it (typed.HasPlan), so its bounds are tested
// too.
type Hostile struct {
	S     string           `msgpack:"s"`
	B     []byte           `msgpack:"b"`
	M     map[string]int64 `msgpack:"m"`
	Items []Person         `msgpack:"items"`
	Grid  [][]int8         `msgpack:"grid"`
	P     *Person          `msgpack:"p"`
}

// TestHostileLengthHeadersAllocateLittle: a stored payload of a few bytes
// whose msgpack map, array, str or bin header claims billions of entries
// or bytes, or that nests 300 levels deep, is a *PayloadError, and
// decoding it allocates about what the payload holds, not what the header
// claims (on the compiled path, the msgpack path and the upcast path).
func TestHostileLengthHeadersAllocateLittle(t *testing.T) {
	kindTagged := messages.MustKind(1, 9)
	r := typed.NewRegistry()
	require.NoError(t, typed.Register[Tagged](r, kindTagged, "tagged", 1))
	require.NoError(t, typed.Register[DepositedV2](r, kindDeposited, "account.deposited", 2))
	require.NoError(t, r.RegisterUpcaster(kindDeposited, 1, upV1toV2))
	kindHostile := messages.MustKind(1, 10)
	require.NoError(t, typed.Register[Hostile](r, kindHostile, "hostile", 1))
	require.True(t, typed.HasPlan(r, kindTagged) && typed.HasPlan(r, kindHostile), "the compiled decoder is not used")
	env := func(v byte, body ...byte) []byte { return append([]byte{typed.FormatMsgpack, 0, v}, body...) }
	field := func(name string, value ...byte) []byte {
		return env(1, append(append([]byte{0x81, 0xa0 | byte(len(name))}, name...), value...)...)
	}
	deep := []byte{0x81, 0xa1, 'z'} // an unknown field nesting 300 arrays
	for range 300 {
		deep = append(deep, 0x91)
	}
	cases := []struct {
		name string
		kind messages.EventKind
		p    []byte
	}{
		{"array32 in a field", kindTagged, env(1, 0x81, 0xa4, 't', 'a', 'g', 's', 0xdd, 0x7f, 0xff, 0xff, 0xff)},
		{"map32 body", kindTagged, env(1, 0xdf, 0x7f, 0xff, 0xff, 0xff)},
		{"map32 body, upcast", kindDeposited, env(1, 0xdf, 0x7f, 0xff, 0xff, 0xff)},
		{"array32 in a map, upcast", kindDeposited, env(1, 0x81, 0xa1, 'a', 0xdd, 0x7f, 0xff, 0xff, 0xff)},
		{"bin32 in a map, upcast", kindDeposited, env(1, 0x81, 0xa1, 'a', 0xc6, 0x7f, 0xff, 0xff, 0xff)},
		{"str32 in a string field", kindHostile, field("s", 0xdb, 0x7f, 0xff, 0xff, 0xff)},
		{"bin32 in a []byte field", kindHostile, field("b", 0xc6, 0x7f, 0xff, 0xff, 0xff)},
		{"map32 in a map field", kindHostile, field("m", 0xdf, 0x7f, 0xff, 0xff, 0xff)},
		{"array32 of structs", kindHostile, field("items", 0xdd, 0x7f, 0xff, 0xff, 0xff)},
		{"array16 of structs, 3 bytes left", kindHostile, field("items", 0xdc, 0xff, 0xff, 0x80, 0x80, 0x80)},
		{"array32 in an array", kindHostile, field("grid", 0x91, 0xdd, 0x7f, 0xff, 0xff, 0xff)},
		{"map32 in a pointer to a struct", kindHostile, field("p", 0xdf, 0x7f, 0xff, 0xff, 0xff)},
		{"map32 body, compiled", kindHostile, env(1, 0xdf, 0x7f, 0xff, 0xff, 0xff)},
		{"nested 300 deep", kindHostile, env(1, deep...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			_, err := typed.DecodePayload(r, tc.kind, tc.p)
			runtime.ReadMemStats(&m1)
			require.ErrorIs(t, err, typed.ErrPayload)
			require.Less(t, m1.TotalAlloc-m0.TotalAlloc, uint64(1<<20), "allocated for a %d-byte payload", len(tc.p))
		})
	}
}
