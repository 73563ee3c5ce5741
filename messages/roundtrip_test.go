package messages_test

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/messages"
)

// roundTrip marshals v with msgpack and unmarshals it into a fresh value of
// the same dynamic type, which it returns.
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := msgpack.Marshal(v)
	require.NoError(t, err)
	out := reflect.New(reflect.TypeOf(v))
	require.NoError(t, msgpack.Unmarshal(b, out.Interface()))
	return out.Elem().Interface()
}

// Fixed, distinct, non-zero values so that a field swapped or dropped on the
// wire shows up as a difference.
var (
	idA      = mustParseID("0190f5b0-0000-7000-8000-00000000000a")
	idB      = mustParseID("0190f5b0-0000-7000-8000-00000000000b")
	idC      = mustParseID("0190f5b0-0000-7000-8000-00000000000c")
	idD      = mustParseID("0190f5b0-0000-7000-8000-00000000000d")
	hashA    = fillHash(0xa1)
	hashB    = fillHash(0xb2)
	kindA    = messages.MustKind(0x1, 0x234)
	kindB    = messages.MustKind(0xF, 0xFFF)
	coord    = messages.Coordinate{Entity: "order/42", Scope: "tenant-7"}
	traceCtx = messages.TraceCarrier{
		"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"tracestate":  "vendor=value",
	}
)

func mustParseID(s string) messages.ID {
	id, err := messages.ParseID(s)
	if err != nil {
		panic(err)
	}
	return id
}

func fillHash(b byte) messages.Hash {
	var h messages.Hash
	for i := range h {
		h[i] = b + byte(i)
	}
	return h
}

func fullReceipt(seq uint64) messages.Receipt {
	return messages.Receipt{
		EventID:  idA,
		Sequence: seq,
		Version:  seq + 1,
		Hash:     hashA,
		Segment:  3,
		Offset:   -1 << 40, // negative and wide, to exercise the int64 encoding
		Replayed: true,
	}
}

func TestRoundTripPopulated(t *testing.T) {
	tests := []struct {
		name  string
		value any
		// zero marks values that are the zero value by design (Any,
		// NoCause); the others must be non-zero to make the test meaningful.
		zero bool
	}{
		{name: "Append all fields", value: messages.Append{
			Coordinate:     coord,
			Kind:           kindA,
			Payload:        []byte{0x00, 0x01, 0xfe, 0xff},
			CorrelationID:  idA,
			CausationID:    idB,
			Expected:       messages.Exactly(7),
			IdempotencyKey: idC,
			Trace:          traceCtx,
			Metadata:       messages.Metadata{"source": "console", "empty": ""},
			Bypass:         &messages.Bypass{Reason: "incident-4711", Justification: "approved"},
		}},
		{name: "AppendBatch items of each causation mode", value: messages.AppendBatch{
			Items: []messages.BatchItem{
				{Coordinate: coord, Kind: kindA, Payload: []byte("root"), CorrelationID: idA, Causation: messages.NoCause(), IdempotencyKey: idB, Expected: messages.Any()},
				{Coordinate: coord, Kind: kindB, Payload: []byte("absolute"), CorrelationID: idA, Causation: messages.CausedBy(idD), IdempotencyKey: idC},
				{Coordinate: coord, Kind: kindA, Payload: []byte("prior0"), CorrelationID: idA, Causation: messages.CausedByItem(0)},
				{Coordinate: messages.Coordinate{Entity: "e", Scope: "s"}, Kind: kindB, Payload: []byte("prior2"), Causation: messages.CausedByItem(2)},
			},
			Trace:  traceCtx,
			Bypass: &messages.Bypass{Reason: "migration"},
		}},
		{name: "BatchItem all fields", value: messages.BatchItem{
			Coordinate:     coord,
			Kind:           kindB,
			Payload:        []byte("payload"),
			CorrelationID:  idA,
			Causation:      messages.CausedBy(idB),
			IdempotencyKey: idC,
			// Not a valid batch item, but the wire must carry it so that the
			// writer can refuse it.
			Expected: messages.Exactly(3),
			Metadata: messages.Metadata{"k": "v"},
		}},
		{name: "Receipt all fields", value: fullReceipt(99)},
		{name: "Event all fields", value: messages.Event{
			ID:            idA,
			Sequence:      1 << 40,
			Coordinate:    coord,
			Kind:          kindA,
			Version:       12,
			WallMS:        1_700_000_000_000,
			TimestampUS:   1_700_000_000_000_123,
			CorrelationID: idB,
			CausationID:   idC,
			BatchID:       idD,
			PrevHash:      hashA,
			Hash:          hashB,
			Payload:       []byte(`{"total":42}`),
			Segment:       5,
			Offset:        4096,
			Metadata:      messages.Metadata{messages.MetaBypassReason: "r", "a": "b"},
		}},
		{name: "Notification", value: messages.Notification{Events: []messages.Event{
			{ID: idA, Sequence: 7, Coordinate: coord, Kind: kindA, Version: 1, CorrelationID: idA, Hash: hashA, Payload: []byte("p")},
			{ID: idB, Sequence: 8, Coordinate: coord, Kind: kindA, Version: 2, CorrelationID: idA, CausationID: idA, PrevHash: hashA, Hash: hashB},
		}}},
		{name: "Gap", value: messages.Gap{FirstMissed: 1 << 33}},
		{name: "Subscribed", value: messages.Subscribed{From: 12}},
		{name: "SubscriptionEnded", value: messages.SubscriptionEnded{Err: &messages.Error{Code: messages.CodeWriterStopped, Message: "budget spent"}}},
		{name: "AppendReply with receipt", value: messages.AppendReply{Receipt: fullReceipt(1)}},
		{name: "AppendReply with Err", value: messages.AppendReply{
			Failure: &messages.Error{Code: messages.CodeVersionConflict, Message: "order/42 is at version 3, expected 2"},
		}},
		{name: "AppendBatchReply with receipts", value: messages.AppendBatchReply{
			Receipts: []messages.Receipt{fullReceipt(1), fullReceipt(2), fullReceipt(3)},
		}},
		{name: "AppendBatchReply with Err", value: messages.AppendBatchReply{
			Failure: &messages.Error{Code: messages.CodePartialReplay, Message: "2 of 3 keys exist"},
		}},
		{name: "ErrorReply", value: messages.ErrorReply{
			Failure: &messages.Error{Code: messages.CodeUnknownMessage, Message: "unknown message *foo.Bar"},
		}},
		{name: "ReadStream all fields", value: messages.ReadStream{Coordinate: coord, From: 1 << 40, Backward: true, Limit: messages.MaxReadPage}},
		{name: "ReadQuery all fields", value: messages.ReadQuery{EntityPrefix: "order/", Scope: "tenant-7",
			Kinds: messages.EventKinds{kindA, kindB}, FromSeq: 3, BeforeSeq: 1 << 40, Backward: true, Limit: 250}},
		{name: "ReadReply with events", value: messages.ReadReply{Events: messages.Events{
			{ID: idA, Sequence: 7, Coordinate: coord, Kind: kindA, Version: 1, CorrelationID: idA, Hash: hashA, Payload: []byte("p"), Segment: 2, Offset: 64},
			{ID: idB, Sequence: 9, Coordinate: coord, Kind: kindB, Version: 2, CorrelationID: idA, CausationID: idA, PrevHash: hashA, Hash: hashB},
		}, Next: 10}},
		{name: "ReadReply end", value: messages.ReadReply{Events: messages.Events{{ID: idC, Sequence: 1}}, End: true}},
		{name: "ReadReply with Err", value: messages.ReadReply{Failure: &messages.Error{Code: messages.CodeInvalidCoordinate, Message: "m",
			Coordinate: &messages.CoordinateError{Field: "scope", Reason: "is empty"}}}},
		{name: "EventKinds", value: messages.EventKinds{kindA, messages.KindTombstone}},
		{name: "Coordinate", value: coord},
		{name: "Coordinate multibyte", value: messages.Coordinate{Entity: "commande/été", Scope: "租户"}},
		{name: "ExpectedVersion Any", value: messages.Any(), zero: true},
		{name: "ExpectedVersion NoStream", value: messages.NoStream()},
		{name: "ExpectedVersion Exactly", value: messages.Exactly(42)},
		{name: "ExpectedVersion Exactly 0", value: messages.Exactly(0)},
		{name: "ExpectedVersion Exactly max", value: messages.Exactly(^uint64(0))},
		{name: "CausationRef none", value: messages.NoCause(), zero: true},
		{name: "CausationRef absolute", value: messages.CausedBy(idA)},
		{name: "CausationRef prior item 0", value: messages.CausedByItem(0)},
		{name: "CausationRef prior item 5", value: messages.CausedByItem(5)},
		{name: "Error with message", value: messages.Error{Code: messages.CodeCorrupt, Message: "bad crc"}},
		{name: "Error code only", value: messages.Error{Code: messages.CodeInvalidArgument}},
		{name: "Error with every detail", value: messages.Error{Code: messages.CodeInvalidBatch, Message: "m",
			VersionConflict:     &messages.VersionConflictError{Coordinate: coord, Expected: messages.Exactly(4), Actual: 9},
			Corruption:          &messages.CorruptionError{Segment: 2, Offset: -1 << 40, Reason: "crc"},
			Coordinate:          &messages.CoordinateError{Field: "entity", Reason: "is empty"},
			IdempotencyConflict: &messages.IdempotencyConflictError{Key: idA, EventID: idB, Existing: coord, ExistingKind: kindA, Requested: coord, RequestedKind: kindB, Field: "kind"},
			Batch: &messages.BatchError{Item: 7, Cause: &messages.Error{Code: messages.CodeIdempotencyConflict, Message: "c",
				VersionConflict:     &messages.VersionConflictError{Coordinate: coord, Expected: messages.NoStream(), Actual: 1},
				Corruption:          &messages.CorruptionError{Segment: 1, Offset: 8, Reason: "r"},
				Coordinate:          &messages.CoordinateError{Field: "scope", Reason: "is not valid UTF-8"},
				IdempotencyConflict: &messages.IdempotencyConflictError{Key: idC, EventID: idD, Existing: coord, ExistingKind: kindB, Requested: coord, RequestedKind: kindA, Field: "payload"},
			}},
			Denial: &messages.DenialError{Denials: messages.Denials{{Gate: "g", Code: "c", Message: "m"}}},
		}},
		{name: "DenialError two denials", value: messages.DenialError{Denials: messages.Denials{
			{Gate: "limits", Code: "amount_over_limit", Message: "42 > 10"},
			{Gate: "slow", Code: messages.DenialGateTimeout, Message: "took 2ms"}}}},
		{name: "Metadata", value: messages.Metadata{"a": "1", "b": ""}},
		{name: "Bypass", value: messages.Bypass{Reason: "r", Justification: "j"}},
		{name: "BatchError whole batch", value: messages.BatchError{Item: -1, Cause: &messages.Error{Code: messages.CodePartialReplay}}},
		{name: "ID", value: idA},
		{name: "ID all ones", value: messages.ID{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{name: "Hash", value: hashA},
		{name: "EventKind", value: kindA},
		{name: "EventKind max", value: kindB},
		{name: "EventKind system", value: messages.KindTombstone},
		{name: "TraceCarrier", value: traceCtx},
		{name: "ErrorCode", value: messages.CodeWriterStopped},
		{name: "ExpectMode", value: messages.ExpectExact},
		{name: "CauseMode", value: messages.CausePriorItem},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.zero, reflect.ValueOf(tc.value).IsZero(), "zero-ness of the test value")
			require.Equal(t, tc.value, roundTrip(t, tc.value))
		})
	}
}

func TestRoundTripPointerToError(t *testing.T) {
	in := &messages.Error{Code: messages.CodeSyncFailed, Message: "fsync: input/output error"}
	got := roundTrip(t, in)
	require.IsType(t, (*messages.Error)(nil), got)
	require.Equal(t, in, got)
	require.NotSame(t, in, got)
}

// Every type's zero value must come back equal: nil slices and maps stay
// nil, nil *Error stays nil.
func TestRoundTripZeroValues(t *testing.T) {
	tests := []struct {
		name  string
		value any
	}{
		{name: "Append", value: messages.Append{}},
		{name: "AppendBatch", value: messages.AppendBatch{}},
		{name: "BatchItem", value: messages.BatchItem{}},
		{name: "Receipt", value: messages.Receipt{}},
		{name: "Event", value: messages.Event{}},
		{name: "AppendReply", value: messages.AppendReply{}},
		{name: "AppendBatchReply", value: messages.AppendBatchReply{}},
		{name: "ErrorReply", value: messages.ErrorReply{}},
		{name: "ReadStream", value: messages.ReadStream{}},
		{name: "ReadQuery", value: messages.ReadQuery{}},
		{name: "ReadReply", value: messages.ReadReply{}},
		{name: "EventKinds", value: messages.EventKinds(nil)},
		{name: "Coordinate", value: messages.Coordinate{}},
		{name: "ExpectedVersion", value: messages.ExpectedVersion{}},
		{name: "CausationRef", value: messages.CausationRef{}},
		{name: "Error", value: messages.Error{}},
		{name: "BatchError", value: messages.BatchError{}},
		{name: "VersionConflictError", value: messages.VersionConflictError{}},
		{name: "CorruptionError", value: messages.CorruptionError{}},
		{name: "CoordinateError", value: messages.CoordinateError{}},
		{name: "ID", value: messages.ID{}},
		{name: "Hash", value: messages.Hash{}},
		{name: "EventKind", value: messages.EventKind(0)},
		{name: "TraceCarrier", value: messages.TraceCarrier(nil)},
		{name: "ErrorCode", value: messages.ErrorCode(0)},
		{name: "ExpectMode", value: messages.ExpectMode(0)},
		{name: "CauseMode", value: messages.CauseMode(0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.True(t, reflect.ValueOf(tc.value).IsZero())
			got := roundTrip(t, tc.value)
			require.Equal(t, tc.value, got)
			require.True(t, reflect.ValueOf(got).IsZero())
		})
	}
}

// What msgpack does with empty-but-non-nil slices and maps. Empty slices
// stay empty (not nil); an empty Trace is dropped by omitempty and comes
// back nil, which is harmless because a nil TraceCarrier reads as empty.
func TestRoundTripNilVersusEmpty(t *testing.T) {
	tests := []struct {
		name  string
		value any
		want  any
	}{
		{name: "Append empty payload stays empty", value: messages.Append{Payload: []byte{}}, want: messages.Append{Payload: []byte{}}},
		{name: "Append nil payload stays nil", value: messages.Append{Payload: nil}, want: messages.Append{Payload: nil}},
		{name: "Append empty trace comes back nil", value: messages.Append{Trace: messages.TraceCarrier{}}, want: messages.Append{Trace: nil}},
		{name: "AppendBatch empty items stay empty", value: messages.AppendBatch{Items: []messages.BatchItem{}}, want: messages.AppendBatch{Items: []messages.BatchItem{}}},
		{name: "AppendBatch empty trace comes back nil", value: messages.AppendBatch{Trace: messages.TraceCarrier{}}, want: messages.AppendBatch{Trace: nil}},
		{name: "BatchItem empty payload stays empty", value: messages.BatchItem{Payload: []byte{}}, want: messages.BatchItem{Payload: []byte{}}},
		{name: "Event empty payload stays empty", value: messages.Event{Payload: []byte{}}, want: messages.Event{Payload: []byte{}}},
		{name: "AppendBatchReply empty receipts stay empty", value: messages.AppendBatchReply{Receipts: []messages.Receipt{}}, want: messages.AppendBatchReply{Receipts: []messages.Receipt{}}},
		{name: "ReadReply empty events stay empty", value: messages.ReadReply{Events: messages.Events{}, End: true}, want: messages.ReadReply{Events: messages.Events{}, End: true}},
		{name: "ReadQuery empty kinds stay empty", value: messages.ReadQuery{Kinds: messages.EventKinds{}}, want: messages.ReadQuery{Kinds: messages.EventKinds{}}},
		{name: "bare empty TraceCarrier stays empty", value: messages.TraceCarrier{}, want: messages.TraceCarrier{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, roundTrip(t, tc.value))
		})
	}
}

// A decoded message must not share memory with the buffer it came from, so
// that a receiver can reuse its read buffer.
func TestRoundTripPayloadIsCopied(t *testing.T) {
	b, err := msgpack.Marshal(messages.Append{Payload: []byte("hello")})
	require.NoError(t, err)
	var got messages.Append
	require.NoError(t, msgpack.Unmarshal(b, &got))
	for i := range b {
		b[i] = 0
	}
	require.Equal(t, []byte("hello"), got.Payload)
}

func TestBinaryEncodingIsCompact(t *testing.T) {
	tests := []struct {
		name  string
		value any
		size  int
	}{
		{name: "ID", value: idA, size: 16},
		{name: "zero ID", value: messages.ID{}, size: 16},
		{name: "Hash", value: hashA, size: 32},
		{name: "zero Hash", value: messages.Hash{}, size: 32},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := msgpack.Marshal(tc.value)
			require.NoError(t, err)
			require.Len(t, b, 2+tc.size)
			require.Equal(t, byte(0xc4), b[0], "bin 8 format")
			require.Equal(t, byte(tc.size), b[1])
			require.Equal(t, addressable(tc.value).Slice(0, tc.size).Bytes(), b[2:])
		})
	}
}

func addressable(v any) reflect.Value {
	p := reflect.New(reflect.TypeOf(v))
	p.Elem().Set(reflect.ValueOf(v))
	return p.Elem()
}

// ID and Hash fields inside a message are bin too, not arrays of ints.
func TestBinaryEncodingInsideMessages(t *testing.T) {
	b, err := msgpack.Marshal(messages.Event{ID: idA, CorrelationID: idB, CausationID: idC, BatchID: idD, PrevHash: hashA, Hash: hashB})
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, msgpack.Unmarshal(b, &m))
	tests := []struct {
		name  string
		field string
		want  []byte
	}{
		{name: "id", field: "id", want: idA[:]},
		{name: "correlation", field: "corr", want: idB[:]},
		{name: "causation", field: "cause", want: idC[:]},
		{name: "batch", field: "batch", want: idD[:]},
		{name: "prev hash", field: "prev_hash", want: hashA[:]},
		{name: "hash", field: "hash", want: hashB[:]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, m[tc.field])
		})
	}
}

func TestIDDecodeLength(t *testing.T) {
	tests := []struct {
		name    string
		bin     []byte
		want    messages.ID
		wantErr bool
	}{
		{name: "exact 16 bytes", bin: idA[:], want: idA},
		{name: "17 bytes refused", bin: make([]byte, 17), wantErr: true},
		// Current behaviour, documented rather than endorsed: msgpack fills
		// a [16]byte from a shorter bin and leaves the rest zero, so a
		// truncated id from a peer is not detected by the decoder.
		{name: "8 bytes accepted and zero padded", bin: idA[:8], want: messages.ID{idA[0], idA[1], idA[2], idA[3], idA[4], idA[5], idA[6], idA[7]}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := msgpack.Marshal(tc.bin)
			require.NoError(t, err)
			var got messages.ID
			err = msgpack.Unmarshal(b, &got)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
