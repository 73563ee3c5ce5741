package messages_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
)

func TestKind(t *testing.T) {
	tests := []struct {
		name     string
		category uint8
		typ      uint16
		want     messages.EventKind
		wantErr  error
	}{
		{name: "category 1 type 0", category: 0x1, typ: 0x000, want: 0x1000},
		{name: "category 1 type 0x234", category: 0x1, typ: 0x234, want: 0x1234},
		{name: "category 0xC", category: 0xC, typ: 0x001, want: 0xC001},
		{name: "category 0xE", category: 0xE, typ: 0xABC, want: 0xEABC},
		{name: "max", category: 0xF, typ: 0xFFF, want: 0xFFFF},
		{name: "category 16 out of range", category: 0x10, typ: 0, wantErr: messages.ErrInvalidArgument},
		{name: "category 255 out of range", category: 0xFF, typ: 0, wantErr: messages.ErrInvalidArgument},
		{name: "type 4096 out of range", category: 0x1, typ: 0x1000, wantErr: messages.ErrInvalidArgument},
		{name: "type max uint16 out of range", category: 0x1, typ: 0xFFFF, wantErr: messages.ErrInvalidArgument},
		{name: "range checked before reservation", category: 0x0, typ: 0x1000, wantErr: messages.ErrInvalidArgument},
		{name: "system category refused", category: messages.CategorySystem, typ: 0x001, wantErr: messages.ErrReservedKind},
		{name: "system category type 0 refused", category: 0x0, typ: 0x000, wantErr: messages.ErrReservedKind},
		{name: "reserved category 0xD refused", category: messages.CategoryReserved, typ: 0x001, wantErr: messages.ErrReservedKind},
		{name: "reserved category 0xD max type refused", category: 0xD, typ: 0xFFF, wantErr: messages.ErrReservedKind},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := messages.Kind(tc.category, tc.typ)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				for _, other := range []error{messages.ErrInvalidArgument, messages.ErrReservedKind} {
					if other != tc.wantErr {
						require.NotErrorIs(t, err, other)
					}
				}
				require.Zero(t, k)
				require.Equal(t, tc.wantErr.(*messages.Error).Code, messages.CodeOf(err))
				require.Panics(t, func() { messages.MustKind(tc.category, tc.typ) })
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, k)
			require.Equal(t, tc.category, k.Category())
			require.Equal(t, tc.typ, k.Type())
			require.False(t, k.IsReserved())
			require.NoError(t, k.Validate())
			require.Equal(t, k, messages.MustKind(tc.category, tc.typ))
		})
	}
}

// Every category: only 0x0 and 0xD are reserved, and Kind agrees with
// IsReserved and Validate on a raw EventKind.
func TestKindEveryCategory(t *testing.T) {
	for c := uint8(0); c <= 0xF; c++ {
		reserved := c == 0x0 || c == 0xD
		for _, typ := range []uint16{0x000, 0x001, 0x7FF, 0xFFF} {
			raw := messages.EventKind(uint16(c)<<12 | typ)
			require.Equal(t, c, raw.Category())
			require.Equal(t, typ, raw.Type())
			require.Equal(t, reserved, raw.IsReserved(), "category %#x", c)
			k, err := messages.Kind(c, typ)
			if reserved {
				require.ErrorIs(t, err, messages.ErrReservedKind)
				require.ErrorIs(t, raw.Validate(), messages.ErrReservedKind)
			} else {
				require.NoError(t, err)
				require.Equal(t, raw, k)
				require.NoError(t, raw.Validate())
			}
		}
	}
}

func TestSystemKinds(t *testing.T) {
	tests := []struct {
		name     string
		kind     messages.EventKind
		typ      uint16
		wantText string
	}{
		{name: "batch begin", kind: messages.KindBatchBegin, typ: 0x006, wantText: "0:006"},
		{name: "batch commit", kind: messages.KindBatchCommit, typ: 0x007, wantText: "0:007"},
		{name: "tombstone", kind: messages.KindTombstone, typ: 0xFFE, wantText: "0:ffe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, messages.CategorySystem, tc.kind.Category())
			require.Equal(t, tc.typ, tc.kind.Type())
			require.True(t, tc.kind.IsReserved())
			err := tc.kind.Validate()
			require.ErrorIs(t, err, messages.ErrReservedKind)
			require.Contains(t, err.Error(), tc.wantText)
			require.Equal(t, messages.CodeReservedKind, messages.CodeOf(err))
			_, err = messages.Kind(tc.kind.Category(), tc.kind.Type())
			require.ErrorIs(t, err, messages.ErrReservedKind)
		})
	}
	require.NotEqual(t, messages.KindBatchBegin, messages.KindBatchCommit)
	require.NotEqual(t, messages.KindBatchCommit, messages.KindTombstone)
}

func TestEventKindString(t *testing.T) {
	tests := []struct {
		name string
		kind messages.EventKind
		want string
	}{
		{name: "zero", kind: 0, want: "0:000"},
		{name: "padded type", kind: 0x1002, want: "1:002"},
		{name: "lower-case hex", kind: 0xABCD, want: "a:bcd"},
		{name: "max", kind: 0xFFFF, want: "f:fff"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.kind.String())
		})
	}
}
