package messages_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/messages"
)

// allSentinels lists every sentinel with its code, in code order.
var allSentinels = []struct {
	name string
	err  *messages.Error
	code messages.ErrorCode
}{
	{"ErrInvalidCoordinate", messages.ErrInvalidCoordinate, messages.CodeInvalidCoordinate},
	{"ErrReservedKind", messages.ErrReservedKind, messages.CodeReservedKind},
	{"ErrPayloadTooLarge", messages.ErrPayloadTooLarge, messages.CodePayloadTooLarge},
	{"ErrVersionConflict", messages.ErrVersionConflict, messages.CodeVersionConflict},
	{"ErrInvalidBatch", messages.ErrInvalidBatch, messages.CodeInvalidBatch},
	{"ErrPartialReplay", messages.ErrPartialReplay, messages.CodePartialReplay},
	{"ErrNotFound", messages.ErrNotFound, messages.CodeNotFound},
	{"ErrCorrupt", messages.ErrCorrupt, messages.CodeCorrupt},
	{"ErrIO", messages.ErrIO, messages.CodeIO},
	{"ErrSyncFailed", messages.ErrSyncFailed, messages.CodeSyncFailed},
	{"ErrClosed", messages.ErrClosed, messages.CodeClosed},
	{"ErrWriterCrashed", messages.ErrWriterCrashed, messages.CodeWriterCrashed},
	{"ErrWriterStopped", messages.ErrWriterStopped, messages.CodeWriterStopped},
	{"ErrShuttingDown (deprecated: ErrClosed)", messages.ErrShuttingDown, messages.CodeClosed},
	{"ErrUnknownMessage", messages.ErrUnknownMessage, messages.CodeUnknownMessage},
	{"ErrDenied", messages.ErrDenied, messages.CodeDenied},
	{"ErrInvalidArgument", messages.ErrInvalidArgument, messages.CodeInvalidArgument},
}

func TestSentinelCodes(t *testing.T) {
	for _, s := range allSentinels {
		t.Run(s.name, func(t *testing.T) {
			require.Equal(t, s.code, s.err.Code)
			require.Empty(t, s.err.Message)
			require.Equal(t, s.code.String(), s.err.Error())
		})
	}
}

// A wrapped sentinel matches itself and no other sentinel.
func TestSentinelWrappedIs(t *testing.T) {
	for _, s := range allSentinels {
		t.Run(s.name, func(t *testing.T) {
			wrapped := fmt.Errorf("x: %w", s.err)
			twice := fmt.Errorf("outer: %w", wrapped)
			for _, other := range allSentinels {
				want := other.code == s.code
				require.Equal(t, want, errors.Is(wrapped, other.err), "is %s", other.name)
				require.Equal(t, want, errors.Is(twice, other.err), "twice is %s", other.name)
			}
			require.Equal(t, s.code, messages.CodeOf(wrapped))
			require.Equal(t, s.code, messages.CodeOf(twice))
		})
	}
}

func TestErrorIs(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{name: "wrapped version conflict", err: fmt.Errorf("x: %w", messages.ErrVersionConflict), target: messages.ErrVersionConflict, want: true},
		{name: "wrapped version conflict is not not-found", err: fmt.Errorf("x: %w", messages.ErrVersionConflict), target: messages.ErrNotFound, want: false},
		{name: "fresh *Error with same code", err: &messages.Error{Code: messages.CodeVersionConflict, Message: "at 3, expected 2"}, target: messages.ErrVersionConflict, want: true},
		{name: "fresh *Error with other code", err: &messages.Error{Code: messages.CodeIO, Message: "disk"}, target: messages.ErrVersionConflict, want: false},
		{name: "code unknown matches no sentinel", err: &messages.Error{Message: "?"}, target: messages.ErrInvalidCoordinate, want: false},
		{name: "plain error", err: errors.New("version conflict"), target: messages.ErrVersionConflict, want: false},
		{name: "joined", err: errors.Join(errors.New("a"), messages.ErrClosed), target: messages.ErrClosed, want: true},
		{name: "coordinate error", err: &messages.CoordinateError{Field: "entity", Reason: "is empty"}, target: messages.ErrInvalidCoordinate, want: true},
		{name: "coordinate error is not invalid argument", err: &messages.CoordinateError{Field: "entity", Reason: "is empty"}, target: messages.ErrInvalidArgument, want: false},
		{name: "non-*Error target", err: messages.ErrIO, target: errors.New("i/o error"), want: false},
		{name: "nil *Error target", err: messages.ErrIO, target: (*messages.Error)(nil), want: false},
		{name: "nil target", err: messages.ErrIO, target: nil, want: false},
		{name: "nil *Error err", err: (*messages.Error)(nil), target: messages.ErrVersionConflict, want: false},
		{name: "nil *Error err and target", err: (*messages.Error)(nil), target: (*messages.Error)(nil), want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, errors.Is(tc.err, tc.target))
		})
	}
}

// An *Error that crossed the wire still matches its sentinel.
func TestErrorIsAfterRoundTrip(t *testing.T) {
	for _, s := range allSentinels {
		t.Run(s.name, func(t *testing.T) {
			sent := messages.AppendReply{Failure: messages.ToError(fmt.Errorf("append order/42: %w", s.err))}
			b, err := msgpack.Marshal(sent)
			require.NoError(t, err)
			var got messages.AppendReply
			require.NoError(t, msgpack.Unmarshal(b, &got))
			require.NotNil(t, got.Failure)
			require.NotSame(t, s.err, got.Failure)
			require.Equal(t, "append order/42: "+s.code.String(), got.Err().Error())

			require.ErrorIs(t, got.Err(), s.err)
			require.ErrorIs(t, fmt.Errorf("caller: %w", got.Err()), s.err)
			for _, other := range allSentinels {
				if other.code != s.code {
					require.NotErrorIs(t, got.Err(), other.err)
				}
			}
			require.Equal(t, s.code, messages.CodeOf(got.Err()))

			// And as a bare *Error.
			b, err = msgpack.Marshal(s.err)
			require.NoError(t, err)
			var bare *messages.Error
			require.NoError(t, msgpack.Unmarshal(b, &bare))
			require.ErrorIs(t, bare, s.err)
		})
	}
}

func TestErrorError(t *testing.T) {
	tests := []struct {
		name string
		err  *messages.Error
		want string
	}{
		{name: "message wins", err: &messages.Error{Code: messages.CodeIO, Message: "write: no space left"}, want: "write: no space left"},
		{name: "code name when no message", err: &messages.Error{Code: messages.CodeIO}, want: "i/o error"},
		{name: "zero", err: &messages.Error{}, want: "unknown"},
		{name: "out-of-range code", err: &messages.Error{Code: 999}, want: "code 999"},
		{name: "nil", err: nil, want: "<nil>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.err.Error())
		})
	}
}

func TestCodeOf(t *testing.T) {
	_, kindErr := messages.Kind(0, 1)
	_, rangeErr := messages.Kind(16, 1)
	tests := []struct {
		name string
		err  error
		want messages.ErrorCode
	}{
		{name: "nil", err: nil, want: messages.CodeUnknown},
		{name: "unrelated", err: errors.New("boom"), want: messages.CodeUnknown},
		{name: "unrelated wrapped", err: fmt.Errorf("x: %w", errors.New("boom")), want: messages.CodeUnknown},
		{name: "sentinel", err: messages.ErrNotFound, want: messages.CodeNotFound},
		{name: "wrapped sentinel", err: fmt.Errorf("read 7: %w", messages.ErrCorrupt), want: messages.CodeCorrupt},
		{name: "fresh *Error", err: &messages.Error{Code: messages.CodeDenied, Message: "policy"}, want: messages.CodeDenied},
		{name: "out-of-range code kept", err: &messages.Error{Code: 999}, want: 999},
		{name: "coordinate error", err: messages.Coordinate{}.Validate(), want: messages.CodeInvalidCoordinate},
		{name: "reserved kind", err: kindErr, want: messages.CodeReservedKind},
		{name: "kind out of range", err: rangeErr, want: messages.CodeInvalidArgument},
		{name: "joined takes the first", err: errors.Join(errors.New("a"), messages.ErrIO, messages.ErrCorrupt), want: messages.CodeIO},
		{name: "custom Is matching a sentinel", err: isShuttingDown{}, want: messages.CodeClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, messages.CodeOf(tc.err))
		})
	}
}

// isShuttingDown is a foreign error type that reports itself as
// ErrClosed through an Is method, without being an *Error.
type isShuttingDown struct{}

func (isShuttingDown) Error() string        { return "node draining" }
func (isShuttingDown) Is(target error) bool { return target == messages.ErrClosed }

func TestToError(t *testing.T) {
	own := &messages.Error{Code: messages.CodeVersionConflict, Message: "at 3, expected 2"}
	tests := []struct {
		name     string
		err      error
		wantCode messages.ErrorCode
		wantMsg  string
		wantCopy *messages.Error // non-nil: ToError returns an equal value, never this pointer
	}{
		{name: "unrelated error", err: errors.New("boom"), wantCode: messages.CodeUnknown, wantMsg: "boom"},
		{name: "wrapped sentinel keeps text and code", err: fmt.Errorf("append order/42: %w", messages.ErrVersionConflict), wantCode: messages.CodeVersionConflict, wantMsg: "append order/42: version conflict"},
		{name: "*Error is copied", err: own, wantCode: messages.CodeVersionConflict, wantMsg: "at 3, expected 2", wantCopy: own},
		{name: "bare sentinel is copied", err: messages.ErrClosed, wantCode: messages.CodeClosed, wantMsg: "closed", wantCopy: messages.ErrClosed},
		{name: "coordinate error keeps its reason", err: messages.Coordinate{Entity: "e"}.Validate(), wantCode: messages.CodeInvalidCoordinate, wantMsg: "invalid coordinate: scope is empty"},
		{name: "custom Is", err: isShuttingDown{}, wantCode: messages.CodeClosed, wantMsg: "node draining"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := messages.ToError(tc.err)
			require.NotNil(t, got)
			require.Equal(t, tc.wantCode, got.Code)
			require.Equal(t, tc.wantMsg, got.Message)
			require.Equal(t, tc.err.Error(), got.Error(), "the text is kept")
			if tc.wantCopy != nil {
				require.NotSame(t, tc.wantCopy, got, "a sentinel must not be handed out for mutation")
				require.Equal(t, tc.wantCopy.Code, got.Code)
			}
			if tc.wantCode != messages.CodeUnknown {
				for _, s := range allSentinels {
					require.Equal(t, s.code == tc.wantCode, errors.Is(got, s.err), "is %s", s.name)
				}
			}
			// And it survives the wire.
			b, err := msgpack.Marshal(got)
			require.NoError(t, err)
			var back *messages.Error
			require.NoError(t, msgpack.Unmarshal(b, &back))
			require.Equal(t, got, back)
		})
	}
	t.Run("nil", func(t *testing.T) {
		require.Nil(t, messages.ToError(nil))
	})
}

func TestErrorCodeString(t *testing.T) {
	tests := []struct {
		name string
		code messages.ErrorCode
		want string
	}{
		{name: "unknown", code: messages.CodeUnknown, want: "unknown"},
		{name: "invalid coordinate", code: messages.CodeInvalidCoordinate, want: "invalid coordinate"},
		{name: "reserved kind", code: messages.CodeReservedKind, want: "reserved kind"},
		{name: "payload too large", code: messages.CodePayloadTooLarge, want: "payload too large"},
		{name: "version conflict", code: messages.CodeVersionConflict, want: "version conflict"},
		{name: "invalid batch", code: messages.CodeInvalidBatch, want: "invalid batch"},
		{name: "partial replay", code: messages.CodePartialReplay, want: "partial batch replay"},
		{name: "not found", code: messages.CodeNotFound, want: "not found"},
		{name: "corrupt", code: messages.CodeCorrupt, want: "corrupt"},
		{name: "io", code: messages.CodeIO, want: "i/o error"},
		{name: "sync failed", code: messages.CodeSyncFailed, want: "sync failed"},
		{name: "closed", code: messages.CodeClosed, want: "closed"},
		{name: "writer crashed", code: messages.CodeWriterCrashed, want: "writer crashed"},
		{name: "writer stopped", code: messages.CodeWriterStopped, want: "writer stopped"},
		{name: "shutting down", code: messages.CodeShuttingDown, want: "shutting down"},
		{name: "unknown message", code: messages.CodeUnknownMessage, want: "unknown message"},
		{name: "denied", code: messages.CodeDenied, want: "denied"},
		{name: "invalid argument", code: messages.CodeInvalidArgument, want: "invalid argument"},
		{name: "idempotency conflict", code: messages.CodeIdempotencyConflict, want: "idempotency conflict"},
		{name: "overloaded", code: messages.CodeOverloaded, want: "overloaded"},
		{name: "outcome unknown", code: messages.CodeOutcomeUnknown, want: "outcome unknown"},
		{name: "first out of range", code: messages.CodeOutcomeUnknown + 1, want: "code 21"},
		{name: "max out of range", code: 65535, want: "code 65535"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.code.String())
		})
	}
}

// The codes' numbers are wire format: pin them.
func TestErrorCodeNumbers(t *testing.T) {
	want := []messages.ErrorCode{
		messages.CodeUnknown, messages.CodeInvalidCoordinate, messages.CodeReservedKind,
		messages.CodePayloadTooLarge, messages.CodeVersionConflict, messages.CodeInvalidBatch,
		messages.CodePartialReplay, messages.CodeNotFound, messages.CodeCorrupt, messages.CodeIO,
		messages.CodeSyncFailed, messages.CodeClosed, messages.CodeWriterCrashed,
		messages.CodeWriterStopped, messages.CodeShuttingDown, messages.CodeUnknownMessage,
		messages.CodeDenied, messages.CodeInvalidArgument,
	}
	for i, c := range want {
		require.Equal(t, messages.ErrorCode(i), c, "code %q", c)
	}
}
