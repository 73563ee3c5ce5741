package typed

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/messages"
)

// extDeep has an ext encoder and decoder registered with msgpack (in
// init), as an application may do for a type it does not own: msgpack
// writes it as ext 71, never as a map.
type extDeep struct{ A int8 }

// extDeepHolder holds an extDeep four pointers deep, below what the
// self-check's filled value reaches.
type extDeepHolder struct {
	P *struct {
		Q *struct{ R *struct{ S *extDeep } }
	}
}

func init() {
	msgpack.RegisterExtEncoder(71, extDeep{}, func(_ *msgpack.Encoder, v reflect.Value) ([]byte, error) {
		return []byte{byte(v.Field(0).Int())}, nil
	})
	msgpack.RegisterExtDecoder(71, extDeep{}, func(d *msgpack.Decoder, v reflect.Value, n int) error {
		b := make([]byte, n)
		if err := d.ReadFull(b); err != nil {
			return err
		}
		v.Field(0).SetInt(int64(int8(b[0])))
		return nil
	})
}

// TestReviewSelfCheckSeesNestedMsgpackEncoders: a type given its own
// encoder with msgpack.RegisterExtEncoder is left to msgpack however deep
// it sits in a registered type, so Encode still writes msgpack's bytes.
func TestReviewSelfCheckSeesNestedMsgpackEncoders(t *testing.T) {
	r := NewRegistry()
	kind := messages.MustKind(1, 1)
	require.NoError(t, Register[extDeepHolder](r, kind, "deep", 1))
	var v extDeepHolder
	v.P = &struct {
		Q *struct{ R *struct{ S *extDeep } }
	}{}
	v.P.Q = &struct{ R *struct{ S *extDeep } }{}
	v.P.Q.R = &struct{ S *extDeep }{S: &extDeep{A: 5}}
	want, err := msgpack.Marshal(v)
	require.NoError(t, err)
	_, p, err := Encode(r, v)
	require.NoError(t, err)
	require.Equal(t, want, p[headerLen:], "msgpack writes extDeep as an ext")
	got, err := DecodeAs[extDeepHolder](r, messages.Event{Kind: kind, Payload: p})
	require.NoError(t, err)
	require.Equal(t, int8(5), got.P.Q.R.S.A)
}
