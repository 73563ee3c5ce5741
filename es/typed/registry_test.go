package typed_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
)

// TestRegisterRefuses: every refused registration is a
// *RegistrationError matching its own sentinel, and changes nothing.
func TestRegisterRefuses(t *testing.T) {
	other := messages.MustKind(1, 9)
	cases := []struct {
		name string
		reg  func(r *typed.Registry) error
		want error
	}{
		{"second type for a kind", func(r *typed.Registry) error {
			return typed.Register[DepositedV2](r, kindOpened, "x", 1)
		}, typed.ErrKindTaken},
		{"second kind for a type", func(r *typed.Registry) error {
			return typed.Register[OpenedV1](r, other, "x", 1)
		}, typed.ErrTypeTaken},
		{"same type and kind again", func(r *typed.Registry) error {
			return typed.Register[OpenedV1](r, kindOpened, "account.opened", 1)
		}, typed.ErrKindTaken},
		{"name taken", func(r *typed.Registry) error {
			return typed.Register[DepositedV2](r, other, "account.opened", 1)
		}, typed.ErrNameTaken},
		{"system category", func(r *typed.Registry) error {
			return typed.Register[DepositedV2](r, messages.EventKind(0x0042), "x", 1)
		}, messages.ErrReservedKind},
		{"reserved category 0xD", func(r *typed.Registry) error {
			return typed.Register[DepositedV2](r, messages.EventKind(0xD001), "x", 1)
		}, messages.ErrReservedKind},
		{"zero kind", func(r *typed.Registry) error {
			return typed.Register[DepositedV2](r, 0, "x", 1)
		}, messages.ErrReservedKind},
		{"pointer type", func(r *typed.Registry) error {
			return typed.Register[*DepositedV2](r, other, "x", 1)
		}, typed.ErrInvalid},
		{"interface type", func(r *typed.Registry) error {
			return typed.Register[error](r, other, "x", 1)
		}, typed.ErrInvalid},
		{"empty name", func(r *typed.Registry) error {
			return typed.Register[DepositedV2](r, other, "", 1)
		}, typed.ErrInvalid},
		{"version 0", func(r *typed.Registry) error {
			return typed.Register[DepositedV2](r, other, "x", 0)
		}, typed.ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := typed.NewRegistry()
			require.NoError(t, typed.Register[OpenedV1](r, kindOpened, "account.opened", 1))
			err := tc.reg(r)
			require.ErrorIs(t, err, tc.want)
			var re *typed.RegistrationError
			require.ErrorAs(t, err, &re)
			require.NotEmpty(t, re.Type)
			// Nothing changed: the kinds and the names are as before.
			require.Equal(t, []messages.EventKind{kindOpened}, r.Kinds())
			_, err = typed.KindFor[DepositedV2](r)
			require.ErrorIs(t, err, typed.ErrUnregistered)
		})
	}
	require.ErrorIs(t, typed.ErrInvalid, messages.ErrInvalidArgument)
}

// TestNameAndLookup: r.Name gives the human name of a registered kind and
// "" for another; Lookup and KindOf agree with the registration.
func TestNameAndLookup(t *testing.T) {
	r := typed.NewRegistry()
	require.NoError(t, typed.Register[DepositedV2](r, kindDeposited, "account.deposited", 2))
	require.Equal(t, "account.deposited", r.Name(kindDeposited))
	require.Equal(t, "", r.Name(kindOpened))
	info, ok := r.Lookup(kindDeposited)
	require.True(t, ok)
	require.Equal(t, uint16(2), info.Version)
	require.Equal(t, "typed_test.DepositedV2", info.Type.String())
	_, ok = r.Lookup(kindOpened)
	require.False(t, ok)
	for _, v := range []any{DepositedV2{}, &DepositedV2{}} {
		k, err := r.KindOf(v)
		require.NoError(t, err)
		require.Equal(t, kindDeposited, k)
	}
	_, err := r.KindOf((*DepositedV2)(nil))
	require.ErrorIs(t, err, typed.ErrUnregistered)
	_, err = r.KindOf(nil)
	require.ErrorIs(t, err, typed.ErrUnregistered)
}

// TestMustRegisterPanicsOnARefusal: the start-up variant panics with the
// registration error.
func TestMustRegisterPanicsOnARefusal(t *testing.T) {
	r := typed.NewRegistry()
	typed.MustRegister[OpenedV1](r, kindOpened, "account.opened", 1)
	defer func() {
		err, _ := recover().(error)
		require.True(t, errors.Is(err, typed.ErrKindTaken), "got %v", err)
	}()
	typed.MustRegister[DepositedV1](r, kindOpened, "other", 1)
}

// TestRegistryConcurrentUse: registrations, encodes, decodes and lookups
// from several goroutines at once (run with -race).
func TestRegistryConcurrentUse(t *testing.T) {
	r := v3Registry(t)
	_, p, err := typed.Encode(r, DepositedV3{Cents: 1})
	require.NoError(t, err)
	done := make(chan error, 4)
	for g := range 4 {
		go func() {
			var err error
			for i := range 200 {
				switch g {
				case 0:
					type local struct{ N int }
					if i == 0 {
						err = typed.Register[local](r, messages.MustKind(7, 1), "local", 1)
					}
					_ = r.Name(messages.MustKind(7, 1))
				case 1:
					_, _, err = typed.Encode(r, OpenedV1{Owner: "x"})
				case 2:
					_, err = typed.Decode(r, messages.Event{Kind: kindDeposited, Payload: p})
				case 3:
					_ = r.Kinds()
				}
				if err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range 4 {
		require.NoError(t, <-done)
	}
}
