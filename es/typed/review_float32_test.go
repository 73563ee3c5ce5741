package typed

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/messages"
)

type float32Fields struct {
	F float32
	S []float32
	P *float32
}

// TestReviewFloat32SignalingNaN: msgpack v5 reads and writes a float32
// field through reflect's float64, which turns a signaling NaN quiet; the
// compiled codec writes the same bytes and reads the same bits. A float32
// at the top (msgpack's own float32 path) keeps its bits, as it did.
func TestReviewFloat32SignalingNaN(t *testing.T) {
	snan := math.Float32frombits(0x7f800001)
	r := NewRegistry()
	kind, kindTop := messages.MustKind(1, 1), messages.MustKind(1, 2)
	require.NoError(t, Register[float32Fields](r, kind, "f", 1))
	require.NoError(t, Register[float32](r, kindTop, "top", 1))
	for _, v := range []any{float32Fields{F: snan, S: []float32{snan}, P: &snan}, snan} {
		want, err := msgpack.Marshal(v)
		require.NoError(t, err)
		k, p, err := Encode(r, v)
		require.NoError(t, err)
		require.Equal(t, want, p[headerLen:], "encoding of %T", v)
		// Decoding stored bytes that hold the signaling NaN.
		stored := append(putHeader(nil, 1), bytesReplace(want, []byte{0xca, 0x7f, 0xc0, 0, 1}, []byte{0xca, 0x7f, 0x80, 0, 1})...)
		viaMsgpack, err := decodeAsBefore(r, k, stored)
		require.NoError(t, err)
		got, err := DecodePayload(r, k, stored)
		require.NoError(t, err)
		require.Equal(t, float32Bits(viaMsgpack.Interface()), float32Bits(got), "decoding % x", stored)
	}
}

func bytesReplace(b, old, repl []byte) []byte {
	out := append([]byte(nil), b...)
	for i := 0; i+len(old) <= len(out); i++ {
		if string(out[i:i+len(old)]) == string(old) {
			copy(out[i:], repl)
		}
	}
	return out
}

// float32Bits lists the bits of the float32s in v.
func float32Bits(v any) []uint32 {
	switch v := v.(type) {
	case float32:
		return []uint32{math.Float32bits(v)}
	case float32Fields:
		out := []uint32{math.Float32bits(v.F)}
		for _, f := range v.S {
			out = append(out, math.Float32bits(f))
		}
		return append(out, math.Float32bits(*v.P))
	}
	panic("unexpected type")
}
