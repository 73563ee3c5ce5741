package typed_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
)

func v3Registry(t *testing.T) *typed.Registry {
	t.Helper()
	r := typed.NewRegistry()
	require.NoError(t, typed.Register[OpenedV1](r, kindOpened, "account.opened", 1))
	require.NoError(t, typed.Register[DepositedV3](r, kindDeposited, "account.deposited", 3))
	require.NoError(t, r.RegisterUpcaster(kindDeposited, 1, upV1toV2))
	require.NoError(t, r.RegisterUpcaster(kindDeposited, 2, upV2toV3))
	return r
}

// TestEnvelopeBytes pins the documented payload layout: format byte 0x01,
// the schema version big-endian, then the value in msgpack.
func TestEnvelopeBytes(t *testing.T) {
	r := v3Registry(t)
	v := DepositedV3{Cents: 1200, By: Person{Name: "ann"}, Currency: "EUR"}
	kind, p, err := typed.Encode(r, v)
	require.NoError(t, err)
	require.Equal(t, kindDeposited, kind)
	body, err := msgpack.Marshal(v)
	require.NoError(t, err)
	require.Equal(t, append([]byte{0x01, 0x00, 0x03}, body...), p)
	ver, rest, err := typed.Envelope(kind, p)
	require.NoError(t, err)
	require.Equal(t, uint16(3), ver)
	require.Equal(t, body, rest)
}

// TestRoundTrip: a value and a pointer to it encode alike and decode back,
// through Decode (the registered type, as a value) and DecodeAs.
func TestRoundTrip(t *testing.T) {
	r := v3Registry(t)
	v := DepositedV3{Cents: 5, By: Person{Name: "bob"}, Currency: "CHF"}
	k1, p1, err := typed.Encode(r, v)
	require.NoError(t, err)
	k2, p2, err := typed.Encode(r, &v)
	require.NoError(t, err)
	require.Equal(t, k1, k2)
	require.Equal(t, p1, p2)
	ev := messages.Event{Kind: k1, Payload: p1}
	got, err := typed.Decode(r, ev)
	require.NoError(t, err)
	require.Equal(t, v, got)
	as, err := typed.DecodeAs[DepositedV3](r, ev)
	require.NoError(t, err)
	require.Equal(t, v, as)
}

// TestUnregisteredAndMismatch: an unregistered type cannot be encoded, an
// unregistered kind cannot be decoded, and an event of another kind does
// not decode into a type: each with its typed error.
func TestUnregisteredAndMismatch(t *testing.T) {
	r := v3Registry(t)
	_, _, err := typed.Encode(r, DepositedV2{})
	var ue *typed.UnregisteredError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, "typed_test.DepositedV2", ue.Type)

	_, err = typed.Decode(r, messages.Event{Kind: messages.MustKind(2, 2), Payload: []byte{1, 0, 1, 0x80}})
	require.ErrorAs(t, err, &ue)
	require.Equal(t, messages.MustKind(2, 2), ue.Kind)

	_, err = typed.DecodeAs[DepositedV2](r, messages.Event{Kind: kindDeposited})
	require.ErrorIs(t, err, typed.ErrUnregistered)

	_, p, err := typed.Encode(r, OpenedV1{Owner: "ann"})
	require.NoError(t, err)
	_, err = typed.DecodeAs[DepositedV3](r, messages.Event{Kind: kindOpened, Payload: p})
	var me *typed.MismatchError
	require.ErrorAs(t, err, &me)
	require.ErrorIs(t, err, typed.ErrMismatch)
	require.Equal(t, kindDeposited, me.Want)
	require.Equal(t, kindOpened, me.Got)
	require.Equal(t, "account.opened", me.GotName)
}

// TestBadPayloads: bytes that are not a typed envelope, or whose body does
// not fit the type, are a *PayloadError, never a panic.
func TestBadPayloads(t *testing.T) {
	r := v3Registry(t)
	notAString, err := msgpack.Marshal(map[string]any{"owner": []int{1, 2}})
	require.NoError(t, err)
	cases := []struct {
		name    string
		payload []byte
	}{
		{"empty", nil},
		{"short", []byte{0x01, 0x00}},
		{"unknown format", []byte{0x7b, 0x00, 0x01, 0x80}},
		{"version 0", []byte{0x01, 0x00, 0x00, 0x80}},
		{"truncated body", []byte{0x01, 0x00, 0x01, 0x81}},
		{"body of another shape", append([]byte{0x01, 0x00, 0x01}, notAString...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := typed.Decode(r, messages.Event{Kind: kindOpened, Payload: tc.payload})
			var pe *typed.PayloadError
			require.ErrorAs(t, err, &pe)
			require.ErrorIs(t, err, typed.ErrPayload)
			require.Equal(t, kindOpened, pe.Kind)
		})
	}
}

// TestEncodeRefusesAValueMsgpackCannotEncode: a func field is ErrInvalid.
func TestEncodeRefusesAValueMsgpackCannotEncode(t *testing.T) {
	type withFunc struct{ F func() }
	r := typed.NewRegistry()
	require.NoError(t, typed.Register[withFunc](r, messages.MustKind(3, 1), "bad", 1))
	_, _, err := typed.Encode(r, withFunc{F: func() {}})
	require.ErrorIs(t, err, typed.ErrInvalid)
}
