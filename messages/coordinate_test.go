package messages_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
)

func TestCoordinateValidate(t *testing.T) {
	max := strings.Repeat("a", messages.MaxCoordinateBytes)
	over := strings.Repeat("a", messages.MaxCoordinateBytes+1)
	// 341 three-byte runes = 1023 bytes, plus one = 1024: the limit is in
	// bytes, not runes.
	maxMultibyte := strings.Repeat("€", 341) + "a"
	overMultibyte := strings.Repeat("€", 342) // 1026 bytes, 342 runes

	tests := []struct {
		name      string
		coord     messages.Coordinate
		wantField string // "" means valid
		wantIn    string // a fragment of the reason
	}{
		{name: "valid", coord: messages.Coordinate{Entity: "order/42", Scope: "tenant-7"}},
		{name: "valid multibyte", coord: messages.Coordinate{Entity: "commande/été", Scope: "租户"}},
		{name: "entity 1024 bytes ok", coord: messages.Coordinate{Entity: max, Scope: "s"}},
		{name: "scope 1024 bytes ok", coord: messages.Coordinate{Entity: "e", Scope: max}},
		{name: "both 1024 bytes ok", coord: messages.Coordinate{Entity: max, Scope: max}},
		{name: "entity 1024 multibyte bytes ok", coord: messages.Coordinate{Entity: maxMultibyte, Scope: "s"}},
		{name: "empty entity", coord: messages.Coordinate{Scope: "s"}, wantField: "entity", wantIn: "empty"},
		{name: "empty scope", coord: messages.Coordinate{Entity: "e"}, wantField: "scope", wantIn: "empty"},
		{name: "both empty reports entity first", coord: messages.Coordinate{}, wantField: "entity", wantIn: "empty"},
		{name: "entity 1025 bytes refused", coord: messages.Coordinate{Entity: over, Scope: "s"}, wantField: "entity", wantIn: "1025"},
		{name: "scope 1025 bytes refused", coord: messages.Coordinate{Entity: "e", Scope: over}, wantField: "scope", wantIn: "1025"},
		{name: "entity over limit in bytes though not in runes", coord: messages.Coordinate{Entity: overMultibyte, Scope: "s"}, wantField: "entity", wantIn: "1026"},
		{name: "entity invalid UTF-8", coord: messages.Coordinate{Entity: "order/\xff", Scope: "s"}, wantField: "entity", wantIn: "UTF-8"},
		{name: "scope invalid UTF-8", coord: messages.Coordinate{Entity: "e", Scope: "\xc3\x28"}, wantField: "scope", wantIn: "UTF-8"},
		{name: "entity truncated rune", coord: messages.Coordinate{Entity: "€"[:2], Scope: "s"}, wantField: "entity", wantIn: "UTF-8"},
		{name: "entity NUL byte", coord: messages.Coordinate{Entity: "order\x0042", Scope: "s"}, wantField: "entity", wantIn: "NUL"},
		{name: "scope NUL byte", coord: messages.Coordinate{Entity: "e", Scope: "\x00"}, wantField: "scope", wantIn: "NUL"},
		{name: "scope trailing NUL byte", coord: messages.Coordinate{Entity: "e", Scope: "tenant\x00"}, wantField: "scope", wantIn: "NUL"},
		{name: "bad entity reported before bad scope", coord: messages.Coordinate{Entity: "\x00", Scope: ""}, wantField: "entity", wantIn: "NUL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.coord.Validate()
			if tc.wantField == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.ErrorIs(t, err, messages.ErrInvalidCoordinate)
			require.NotErrorIs(t, err, messages.ErrInvalidArgument)
			var ce *messages.CoordinateError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, tc.wantField, ce.Field)
			require.Contains(t, ce.Reason, tc.wantIn)
			require.Equal(t, "invalid coordinate: "+tc.wantField+" "+ce.Reason, err.Error())
			require.Equal(t, messages.CodeInvalidCoordinate, messages.CodeOf(err))

			// Wrapped once more, as a caller would.
			wrapped := errors.Join(errors.New("append"), err)
			require.ErrorIs(t, wrapped, messages.ErrInvalidCoordinate)
			var ce2 *messages.CoordinateError
			require.ErrorAs(t, wrapped, &ce2)
			require.Equal(t, tc.wantField, ce2.Field)
		})
	}
}

func TestCoordinateString(t *testing.T) {
	tests := []struct {
		name  string
		coord messages.Coordinate
		want  string
	}{
		{name: "scope then entity", coord: messages.Coordinate{Entity: "order/42", Scope: "tenant-7"}, want: "tenant-7/order/42"},
		{name: "zero", coord: messages.Coordinate{}, want: "/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.coord.String())
		})
	}
}
