package messages_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
)

func TestReadLimit(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		want  int // 0: refused
	}{
		{"zero is the default page", 0, messages.DefaultReadPage},
		{"one", 1, 1},
		{"the largest", messages.MaxReadPage, messages.MaxReadPage},
		{"over the largest", messages.MaxReadPage + 1, 0},
		{"negative", -1, 0},
		{"most negative", -1 << 62, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := messages.ReadLimit(tc.limit)
			if tc.want == 0 {
				require.ErrorIs(t, err, messages.ErrInvalidArgument)
				require.Contains(t, err.Error(), "read limit")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestReadStreamValidate(t *testing.T) {
	ok := messages.Coordinate{Entity: "order/1", Scope: "s"}
	tests := []struct {
		name    string
		req     *messages.ReadStream
		want    *messages.Error // nil: valid
		wantBad *messages.CoordinateError
	}{
		{"valid", &messages.ReadStream{Coordinate: ok}, nil, nil},
		{"valid backward at a version", &messages.ReadStream{Coordinate: ok, From: 9, Backward: true, Limit: messages.MaxReadPage}, nil, nil},
		{"nil", nil, messages.ErrInvalidArgument, nil},
		{"no entity", &messages.ReadStream{Coordinate: messages.Coordinate{Scope: "s"}}, messages.ErrInvalidCoordinate,
			&messages.CoordinateError{Field: "entity", Reason: "is empty"}},
		{"no scope", &messages.ReadStream{Coordinate: messages.Coordinate{Entity: "e"}}, messages.ErrInvalidCoordinate,
			&messages.CoordinateError{Field: "scope", Reason: "is empty"}},
		{"NUL in entity", &messages.ReadStream{Coordinate: messages.Coordinate{Entity: "a\x00b", Scope: "s"}}, messages.ErrInvalidCoordinate,
			&messages.CoordinateError{Field: "entity", Reason: "contains a NUL byte"}},
		{"limit too large", &messages.ReadStream{Coordinate: ok, Limit: messages.MaxReadPage + 1}, messages.ErrInvalidArgument, nil},
		{"negative limit", &messages.ReadStream{Coordinate: ok, Limit: -5}, messages.ErrInvalidArgument, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.req.Validate()
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
			if tc.wantBad != nil {
				var ce *messages.CoordinateError
				require.True(t, errors.As(err, &ce))
				require.Equal(t, tc.wantBad, ce)
				// The same error an Append with this coordinate gets.
				require.Equal(t, tc.req.Coordinate.Validate(), err)
			}
		})
	}
}

func TestReadQueryValidate(t *testing.T) {
	long := strings.Repeat("x", messages.MaxCoordinateBytes)
	tests := []struct {
		name      string
		req       *messages.ReadQuery
		want      *messages.Error // nil: valid
		wantField string
	}{
		{"zero selects everything", &messages.ReadQuery{}, nil, ""},
		{"every field", &messages.ReadQuery{EntityPrefix: "order/", Scope: "s", Kinds: messages.EventKinds{messages.MustKind(1, 1)},
			FromSeq: 4, BeforeSeq: 9, Backward: true, Limit: 3}, nil, ""},
		{"longest prefix", &messages.ReadQuery{EntityPrefix: long, Scope: long}, nil, ""},
		{"a range that is empty is not an error", &messages.ReadQuery{FromSeq: 9, BeforeSeq: 3}, nil, ""},
		{"nil", nil, messages.ErrInvalidArgument, ""},
		{"prefix too long", &messages.ReadQuery{EntityPrefix: long + "x"}, messages.ErrInvalidCoordinate, "entity"},
		{"prefix not UTF-8", &messages.ReadQuery{EntityPrefix: "\xff"}, messages.ErrInvalidCoordinate, "entity"},
		{"prefix with NUL", &messages.ReadQuery{EntityPrefix: "a\x00"}, messages.ErrInvalidCoordinate, "entity"},
		{"scope with NUL", &messages.ReadQuery{Scope: "\x00"}, messages.ErrInvalidCoordinate, "scope"},
		{"scope too long", &messages.ReadQuery{Scope: long + "x"}, messages.ErrInvalidCoordinate, "scope"},
		{"limit too large", &messages.ReadQuery{Limit: messages.MaxReadPage + 1}, messages.ErrInvalidArgument, ""},
		{"negative limit", &messages.ReadQuery{Limit: -1}, messages.ErrInvalidArgument, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.req.Validate()
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
			if tc.wantField != "" {
				var ce *messages.CoordinateError
				require.True(t, errors.As(err, &ce))
				require.Equal(t, tc.wantField, ce.Field)
				// The same error an Append with it as entity or scope gets.
				c := messages.Coordinate{Entity: "e", Scope: "s"}
				if ce.Field == "entity" {
					c.Entity = tc.req.EntityPrefix
				} else {
					c.Scope = tc.req.Scope
				}
				require.Equal(t, c.Validate(), err)
			}
		})
	}
}

func TestReadReplyErr(t *testing.T) {
	fail := &messages.Error{Code: messages.CodeInvalidArgument, Message: "read limit"}
	require.True(t, (&messages.ReadReply{End: true}).Err() == nil, "a plain nil error on success")
	require.Same(t, fail, (&messages.ReadReply{Failure: fail}).Err())
	require.ErrorIs(t, (*messages.ReadReply)(nil).Err(), messages.ErrInvalidArgument)
}
