package messages_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/messages"
)

// Example details, one per type, with distinct non-zero fields.
var (
	vcDetail = &messages.VersionConflictError{Coordinate: coord, Expected: messages.Exactly(2), Actual: 5}
	crDetail = &messages.CorruptionError{Segment: 3, Offset: 4096, Reason: "frame checksum"}
	ceDetail = &messages.CoordinateError{Field: "scope", Reason: "is empty"}
	dnDetail = &messages.DenialError{Denials: messages.Denials{
		{Gate: "limits", Code: "amount_over_limit", Message: "42 > 10"},
		{Gate: "boom", Code: messages.DenialGateDefect, Message: "the gate panicked: x"}}}
	icDetail = &messages.IdempotencyConflictError{Key: idA, EventID: idB, Existing: coord, ExistingKind: kindA,
		Requested: messages.Coordinate{Entity: "order/43", Scope: "tenant-7"}, RequestedKind: kindB, Field: "coordinate"}
)

// asDetail reports, for each detail type, what errors.As finds in err.
func asDetail(t *testing.T, err error, want error) {
	t.Helper()
	switch w := want.(type) {
	case *messages.VersionConflictError:
		var got *messages.VersionConflictError
		require.ErrorAs(t, err, &got)
		require.Equal(t, w, got)
	case *messages.CorruptionError:
		var got *messages.CorruptionError
		require.ErrorAs(t, err, &got)
		require.Equal(t, w, got)
	case *messages.CoordinateError:
		var got *messages.CoordinateError
		require.ErrorAs(t, err, &got)
		require.Equal(t, w, got)
	case *messages.IdempotencyConflictError:
		var got *messages.IdempotencyConflictError
		require.ErrorAs(t, err, &got)
		require.Equal(t, w, got)
	case *messages.BatchError:
		var got *messages.BatchError
		require.ErrorAs(t, err, &got)
		require.Equal(t, w, got)
	case *messages.DenialError:
		var got *messages.DenialError
		require.ErrorAs(t, err, &got)
		require.Equal(t, w, got)
	default:
		t.Fatalf("no detail type %T", want)
	}
}

// decode marshals v and unmarshals it into a fresh *T: a trip across a
// process boundary.
func decode[T any](t *testing.T, v *T) *T {
	t.Helper()
	b, err := msgpack.Marshal(v)
	require.NoError(t, err)
	out := new(T)
	require.NoError(t, msgpack.Unmarshal(b, out))
	return out
}

// Every typed error keeps its detail through ToError, a reply, a msgpack
// round trip of that reply, and a caller's wrapping: errors.As finds it
// with the same fields, errors.Is its sentinel, and the text is kept.
func TestDetailTravels(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		detail   error
		sentinel *messages.Error
	}{
		{"version conflict", vcDetail, vcDetail, messages.ErrVersionConflict},
		{"corruption", crDetail, crDetail, messages.ErrCorrupt},
		{"coordinate", ceDetail, ceDetail, messages.ErrInvalidCoordinate},
		{"idempotency conflict", icDetail, icDetail, messages.ErrIdempotencyConflict},
		{"denial", dnDetail, dnDetail, messages.ErrDenied},
		{"wrapped denial", fmt.Errorf("writer: %w", dnDetail), dnDetail, messages.ErrDenied},
		{"wrapped version conflict", fmt.Errorf("append: %w", vcDetail), vcDetail, messages.ErrVersionConflict},
		{"joined corruption", errors.Join(errors.New("read 7"), crDetail), crDetail, messages.ErrCorrupt},
		{"validated coordinate", messages.Coordinate{Entity: "e"}.Validate(), ceDetail, messages.ErrInvalidCoordinate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			asDetail(t, tc.err, tc.detail) // the local error itself
			local := messages.ToError(tc.err)
			require.Equal(t, tc.sentinel.Code, local.Code)
			require.Equal(t, tc.err.Error(), local.Error())
			asDetail(t, local, tc.detail)
			require.ErrorIs(t, local, tc.sentinel)

			single := decode(t, &messages.AppendReply{Failure: local})
			batch := decode(t, &messages.AppendBatchReply{Failure: local})
			other := decode(t, &messages.ErrorReply{Failure: local})
			for _, err := range []error{single.Err(), batch.Err(), other.Err()} {
				require.Error(t, err)
				require.Equal(t, tc.err.Error(), err.Error())
				asDetail(t, err, tc.detail)
				asDetail(t, fmt.Errorf("caller: %w", err), tc.detail)
				require.ErrorIs(t, err, tc.sentinel)
				require.Equal(t, tc.sentinel.Code, messages.CodeOf(err))
				for _, s := range allSentinels {
					if s.code != tc.sentinel.Code {
						require.NotErrorIs(t, err, s.err, s.name)
					}
				}
				require.Equal(t, local, err, "nothing lost or invented on the wire")
			}
		})
	}
}

// A refused batch keeps its item and its cause's own detail, locally and
// across the wire; the cause's detail is not repeated at the top level.
func TestBatchDetailTravels(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		item     int
		inner    error // the cause's detail, or nil
		sentinel *messages.Error
	}{
		{"coordinate inside", messages.NewBatchError(1, ceDetail), 1, ceDetail, messages.ErrInvalidCoordinate},
		{"plain invalid batch", messages.NewBatchError(0, fmt.Errorf("%w: repeated key", messages.ErrInvalidBatch)), 0, nil, messages.ErrInvalidBatch},
		{"whole batch partial replay", fmt.Errorf("x: %w", messages.NewBatchError(-1, messages.ErrPartialReplay)), -1, nil, messages.ErrPartialReplay},
		{"version conflict inside", messages.NewBatchError(2, vcDetail), 2, vcDetail, messages.ErrVersionConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			local := messages.ToError(tc.err)
			require.NotNil(t, local.Batch)
			require.Nil(t, local.Coordinate, "the cause carries its detail")
			require.Nil(t, local.VersionConflict, "the cause carries its detail")
			wire := decode(t, &messages.AppendBatchReply{Failure: local}).Err()
			for _, err := range []error{tc.err, local, wire} {
				var be *messages.BatchError
				require.ErrorAs(t, err, &be)
				require.Equal(t, tc.item, be.Item)
				require.ErrorIs(t, err, tc.sentinel)
				require.ErrorIs(t, be, tc.sentinel)
				require.Equal(t, tc.sentinel.Code, messages.CodeOf(err))
				require.Equal(t, tc.err.Error(), err.Error())
				if tc.inner != nil {
					asDetail(t, err, tc.inner)
				}
			}
			require.Equal(t, local, wire)
		})
	}
}

// ToError hands out copies: changing the original detail or the first
// copy leaves the second alone.
func TestToErrorCopiesDetail(t *testing.T) {
	orig := &messages.VersionConflictError{Coordinate: coord, Expected: messages.NoStream(), Actual: 1}
	a := messages.ToError(orig)
	b := messages.ToError(a)
	require.NotSame(t, orig, a.VersionConflict)
	require.NotSame(t, a.VersionConflict, b.VersionConflict)
	orig.Actual = 99
	a.VersionConflict.Actual = 42
	require.Equal(t, uint64(1), b.VersionConflict.Actual)

	batch := messages.ToError(messages.NewBatchError(0, ceDetail))
	copied := messages.ToError(batch)
	require.NotSame(t, batch.Batch, copied.Batch)
	require.NotSame(t, batch.Batch.Cause, copied.Batch.Cause)
	require.NotSame(t, batch.Batch.Cause.Coordinate, copied.Batch.Cause.Coordinate)
	batch.Batch.Cause.Coordinate.Reason = "changed"
	require.Equal(t, "is empty", copied.Batch.Cause.Coordinate.Reason)
}

// A hostile message cannot nest batches inside batches' causes: the
// decoder keeps one level and drops the rest.
func TestBatchCauseNestingIsBounded(t *testing.T) {
	deep := &messages.Error{Code: messages.CodeInvalidBatch}
	for range 50 {
		deep = &messages.Error{Code: messages.CodeInvalidBatch, Batch: &messages.BatchError{Item: 1, Cause: deep}}
	}
	got := decode(t, deep)
	require.NotNil(t, got.Batch)
	require.NotNil(t, got.Batch.Cause)
	require.Nil(t, got.Batch.Cause.Batch, "a batch inside a batch's cause is dropped")
	require.Equal(t, messages.CodeInvalidBatch, got.Batch.Cause.Code)
}

// The README's old check on a successful reply, errors.Is(m.Err, ...) with
// a nil *Error, panicked inside Is. Every method of a nil *Error and of a
// nil detail is safe now, and Err returns a plain nil on success.
func TestNilErrorIsSafe(t *testing.T) {
	var nilErr *messages.Error
	var asError error = nilErr // what errors.Is(m.Err, ...) received
	require.NotPanics(t, func() {
		require.False(t, errors.Is(asError, messages.ErrVersionConflict))
		require.False(t, errors.Is(fmt.Errorf("x: %w", asError), messages.ErrVersionConflict))
		require.False(t, nilErr.Is(messages.ErrVersionConflict))
		require.Equal(t, "<nil>", nilErr.Error())
		require.Nil(t, nilErr.Unwrap())
		require.Equal(t, messages.CodeUnknown, messages.CodeOf(asError))
		require.Nil(t, messages.ToError(asError))
		var vc *messages.VersionConflictError
		require.False(t, errors.As(asError, &vc))
	})
	details := []error{(*messages.VersionConflictError)(nil), (*messages.CorruptionError)(nil),
		(*messages.CoordinateError)(nil), (*messages.IdempotencyConflictError)(nil), (*messages.BatchError)(nil),
		(*messages.DenialError)(nil),
		&messages.BatchError{Item: 1}}
	for _, d := range details {
		require.NotPanics(t, func() {
			require.NotEmpty(t, d.Error())
			require.Nil(t, errors.Unwrap(d), "%T", d)
			require.False(t, errors.Is(d, messages.ErrCorrupt))
		}, "%T", d)
	}
}

func TestReplyErr(t *testing.T) {
	fail := &messages.Error{Code: messages.CodeVersionConflict, Message: "at 3"}
	tests := []struct {
		name string
		err  func() error
		want *messages.Error // nil: a plain nil error
	}{
		{"append success", (&messages.AppendReply{Receipt: fullReceipt(1)}).Err, nil},
		{"append failure", (&messages.AppendReply{Failure: fail}).Err, fail},
		{"nil append reply", (*messages.AppendReply)(nil).Err, messages.ErrInvalidArgument},
		{"batch success", (&messages.AppendBatchReply{Receipts: messages.Receipts{fullReceipt(1)}}).Err, nil},
		{"batch failure", (&messages.AppendBatchReply{Failure: fail}).Err, fail},
		{"nil batch reply", (*messages.AppendBatchReply)(nil).Err, messages.ErrInvalidArgument},
		{"error reply without failure", (&messages.ErrorReply{}).Err, nil},
		{"error reply", (&messages.ErrorReply{Failure: fail}).Err, fail},
		{"nil error reply", (*messages.ErrorReply)(nil).Err, messages.ErrInvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			if tc.want == nil {
				require.True(t, err == nil, "a plain nil error, not a nil *Error in an interface: %#v", err)
				return
			}
			require.ErrorIs(t, err, tc.want)
			if tc.want.Message != "" {
				require.Same(t, tc.want, err)
			}
		})
	}
}

// ToError copies a denial's list: changing the original leaves the copy
// alone.
func TestToErrorCopiesDenials(t *testing.T) {
	orig := &messages.DenialError{Denials: messages.Denials{{Gate: "g", Code: "c", Message: "m"}}}
	e := messages.ToError(orig)
	orig.Denials[0].Gate = "changed"
	require.Equal(t, "g", e.Denial.Denials[0].Gate)
	require.Equal(t, []string{"g"}, e.Denial.Gates())
	require.Nil(t, (*messages.DenialError)(nil).Gates())
}
