package typed_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
)

// TestStoredV1EventsReadByV2Code reads the committed version-1 store with
// the version-2 type and its one upcaster.
func TestStoredV1EventsReadByV2Code(t *testing.T) {
	evs := openFixture(t)
	r := typed.NewRegistry()
	require.NoError(t, typed.Register[OpenedV1](r, kindOpened, "account.opened", 1))
	require.NoError(t, typed.Register[DepositedV2](r, kindDeposited, "account.deposited", 2))
	require.NoError(t, r.RegisterUpcaster(kindDeposited, 1, upV1toV2))
	o, err := typed.DecodeAs[OpenedV1](r, evs[0])
	require.NoError(t, err)
	require.Equal(t, OpenedV1{Owner: "ann"}, o)
	for i, ev := range evs[1:] {
		ver, _, err := typed.Envelope(ev.Kind, ev.Payload)
		require.NoError(t, err)
		require.Equal(t, uint16(1), ver, "the fixture was written at version 1")
		d, err := typed.DecodeAs[DepositedV2](r, ev)
		require.NoError(t, err)
		require.Equal(t, DepositedV2{Cents: int64(v1Deposits[i].Amount) * 100, Who: v1Deposits[i].Who}, d)
	}
}

// TestStoredV1EventsReadByV3Code chains two upcasters over the committed
// version-1 store, and reads a version-3 event beside them.
func TestStoredV1EventsReadByV3Code(t *testing.T) {
	evs := openFixture(t)
	r := v3Registry(t)
	for i, ev := range evs[1:] {
		got, err := typed.Decode(r, ev)
		require.NoError(t, err)
		want := DepositedV3{Cents: int64(v1Deposits[i].Amount) * 100, By: Person{Name: v1Deposits[i].Who}, Currency: "EUR"}
		require.Equal(t, want, got)
	}
	v3 := DepositedV3{Cents: 1, By: Person{Name: "cy"}, Currency: "USD"}
	k, p, err := typed.Encode(r, v3)
	require.NoError(t, err)
	got, err := typed.Decode(r, messages.Event{Kind: k, Payload: p})
	require.NoError(t, err)
	require.Equal(t, v3, got)
}

// TestUpcastFailures: a failing, panicking or missing upcaster, and a
// version newer than the registry's, are *UpcastErrors naming the kind and
// the version; never a panic.
func TestUpcastFailures(t *testing.T) {
	evs := openFixture(t)
	boom := errors.New("boom")
	cases := []struct {
		name       string
		up2        typed.Upcaster // the 2 -> 3 step; nil: not registered
		ev         messages.Event
		wantFrom   uint16
		wantReason string
		wantErr    error
	}{
		{"upcaster fails", func(typed.Fields) (typed.Fields, error) { return nil, boom }, evs[1], 2, "upcaster failed", boom},
		{"upcaster panics", func(f typed.Fields) (typed.Fields, error) { return f["x"].(typed.Fields), nil }, evs[1], 2, "upcaster panicked", nil},
		{"no upcaster", nil, evs[1], 2, "no upcaster", nil},
		{"v1 upcaster on a wrong shape", upV2toV3, messages.Event{Kind: kindDeposited,
			Payload: []byte{0x01, 0x00, 0x01, 0x81, 0xa6, 'a', 'm', 'o', 'u', 'n', 't', 0xa1, 'x'}}, 1, "upcaster failed", errNotInt},
		{"newer than registered", upV2toV3, messages.Event{Kind: kindDeposited, Payload: []byte{0x01, 0x00, 0x04, 0x80}}, 4, "version newer than registered", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := typed.NewRegistry()
			require.NoError(t, typed.Register[DepositedV3](r, kindDeposited, "account.deposited", 3))
			require.NoError(t, r.RegisterUpcaster(kindDeposited, 1, upV1toV2))
			if tc.up2 != nil {
				require.NoError(t, r.RegisterUpcaster(kindDeposited, 2, tc.up2))
			}
			_, err := typed.DecodeAs[DepositedV3](r, tc.ev)
			var ue *typed.UpcastError
			require.ErrorAs(t, err, &ue)
			require.ErrorIs(t, err, typed.ErrUpcast)
			require.Equal(t, kindDeposited, ue.Kind)
			require.Equal(t, "account.deposited", ue.Name)
			require.Equal(t, tc.wantFrom, ue.From)
			require.Equal(t, uint16(3), ue.Current)
			require.Equal(t, tc.wantReason, ue.Reason)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			}
		})
	}
}

// TestRegisterUpcasterRefuses: an upcaster for an unregistered kind, from
// version 0 or from the current version, a second one for a step, and a
// nil one are refused.
func TestRegisterUpcasterRefuses(t *testing.T) {
	r := v3Registry(t)
	require.ErrorIs(t, r.RegisterUpcaster(messages.MustKind(4, 4), 1, upV1toV2), typed.ErrUnregistered)
	require.ErrorIs(t, r.RegisterUpcaster(kindDeposited, 0, upV1toV2), typed.ErrInvalid)
	require.ErrorIs(t, r.RegisterUpcaster(kindDeposited, 3, upV1toV2), typed.ErrInvalid)
	require.ErrorIs(t, r.RegisterUpcaster(kindDeposited, 1, upV1toV2), typed.ErrInvalid)
	require.ErrorIs(t, r.RegisterUpcaster(kindOpened, 1, nil), typed.ErrInvalid)
	var re *typed.RegistrationError
	require.ErrorAs(t, r.RegisterUpcaster(kindDeposited, 1, upV1toV2), &re)
	require.Equal(t, "account.deposited", re.Name)
}
