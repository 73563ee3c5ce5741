package messages_test

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/vmihailenco/msgpack/v5"
)

// fuzzTypes are the message types a peer could send; the first byte of a
// fuzz input picks one.
var fuzzTypes = []func() any{
	func() any { return new(messages.Append) },
	func() any { return new(messages.AppendBatch) },
	func() any { return new(messages.AppendReply) },
	func() any { return new(messages.AppendBatchReply) },
	func() any { return new(messages.ErrorReply) },
	func() any { return new(messages.Receipt) },
	func() any { return new(messages.Event) },
	func() any { return new(messages.Notification) },
	func() any { return new(messages.Gap) },
	func() any { return new(messages.Subscribed) },
	func() any { return new(messages.SubscriptionEnded) },
	func() any { return new(messages.Coordinate) },
	func() any { return new(messages.ExpectedVersion) },
	func() any { return new(messages.CausationRef) },
	func() any { return new(messages.Error) },
	func() any { return new(messages.BatchError) },
	func() any { return new(messages.ReadStream) },
	func() any { return new(messages.ReadQuery) },
	func() any { return new(messages.ReadReply) },
	func() any { return new(messages.DenialError) },
	func() any { return new(messages.Metadata) },
}

// FuzzDecodeMessages decodes arbitrary bytes as every message type: it must
// never panic, and whatever decodes must survive a second round trip
// unchanged (nothing is invented on the way).
func FuzzDecodeMessages(f *testing.F) {
	id := messages.NewID()
	seeds := []any{
		&messages.Append{Coordinate: messages.Coordinate{Entity: "order/1", Scope: "s"}, Kind: messages.MustKind(1, 2),
			Payload: []byte("p"), CorrelationID: id, Expected: messages.Exactly(3), IdempotencyKey: id,
			Trace: messages.TraceCarrier{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}},
		&messages.AppendBatch{Items: []messages.BatchItem{{Coordinate: messages.Coordinate{Entity: "a", Scope: "b"}, Causation: messages.CausedByItem(0)}}},
		&messages.AppendReply{Failure: &messages.Error{Code: messages.CodeVersionConflict, Message: "x"}},
		&messages.AppendBatchReply{Receipts: []messages.Receipt{{EventID: id, Sequence: 9}}},
		&messages.Notification{Events: []messages.Event{{ID: id, Sequence: 1, Payload: []byte("e")}}},
		&messages.Gap{FirstMissed: 77},
		&messages.Append{Coordinate: messages.Coordinate{Entity: "e", Scope: "s"}, Metadata: messages.Metadata{"b": "2", "a": "1"},
			Bypass: &messages.Bypass{Reason: "r", Justification: "j"}},
	}
	for i, s := range seeds {
		b, err := msgpack.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(byte(i), b)
	}
	f.Add(byte(6), []byte{0x80})
	// Errors with structured detail, each as the type that carries it
	// (the byte indexes fuzzTypes).
	batchErr := messages.ToError(messages.NewBatchError(1, &messages.CoordinateError{Field: "scope", Reason: "is empty"}))
	conflict := messages.ToError(&messages.VersionConflictError{
		Coordinate: messages.Coordinate{Entity: "e", Scope: "s"}, Expected: messages.Exactly(1), Actual: 2})
	for which, v := range map[byte]any{3: &messages.AppendBatchReply{Failure: batchErr}, 4: &messages.ErrorReply{Failure: conflict},
		14: batchErr, 15: batchErr.Batch,
		19: &messages.DenialError{Denials: messages.Denials{{Gate: "g", Code: "c", Message: "m"}, {Gate: "h"}}},
		2:  &messages.AppendReply{Failure: messages.ToError(&messages.DenialError{Denials: messages.Denials{{Gate: "g"}}})},
		16: &messages.ReadStream{Coordinate: messages.Coordinate{Entity: "e", Scope: "s"}, From: 4, Backward: true, Limit: 10},
		17: &messages.ReadQuery{EntityPrefix: "order/", Kinds: messages.EventKinds{messages.MustKind(1, 2)}, FromSeq: 1, BeforeSeq: 9},
		18: &messages.ReadReply{Events: messages.Events{{ID: id, Sequence: 3, Payload: []byte("e")}}, Next: 4}} {
		b, err := msgpack.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(which, b)
	}
	f.Fuzz(func(t *testing.T, which byte, data []byte) {
		v := fuzzTypes[int(which)%len(fuzzTypes)]()
		if err := msgpack.Unmarshal(data, v); err != nil {
			return
		}
		again, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatalf("a decoded %T does not encode: %v", v, err)
		}
		w := reflect.New(reflect.TypeOf(v).Elem()).Interface()
		if err := msgpack.Unmarshal(again, w); err != nil {
			t.Fatalf("a re-encoded %T does not decode: %v", v, err)
		}
		// Compare encodings, not values: an empty map and a nil one (omitempty)
		// are the same message.
		third, err := msgpack.Marshal(w)
		if err != nil || !bytes.Equal(again, third) {
			t.Fatalf("%T changed in a round trip (%v):\n%+v\n%+v", v, err, v, w)
		}
	})
}
