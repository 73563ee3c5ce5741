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

// TestHostileLengthHeadersAllocateLittle: a stored payload of a few bytes
// whose msgpack map or array header claims billions of entries is a
// *PayloadError, and decoding it allocates about what the payload holds,
// not what the header claims (on the direct path and on the upcast path).
func TestHostileLengthHeadersAllocateLittle(t *testing.T) {
	kindTagged := messages.MustKind(1, 9)
	r := typed.NewRegistry()
	require.NoError(t, typed.Register[Tagged](r, kindTagged, "tagged", 1))
	require.NoError(t, typed.Register[DepositedV2](r, kindDeposited, "account.deposited", 2))
	require.NoError(t, r.RegisterUpcaster(kindDeposited, 1, upV1toV2))
	env := func(v byte, body ...byte) []byte { return append([]byte{typed.FormatMsgpack, 0, v}, body...) }
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
