package messages_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// An append: a stream, a kind, a payload, a condition on the entity's
// version and an idempotency key derived from what names the operation.
// README.md's "The vocabulary" is this example.
func ExampleAppend() {
	order := messages.Coordinate{Entity: "order/42", Scope: "shop"}
	placed := messages.MustKind(1, 1)                   // category 1, type 1; categories 0x0 and 0xD are the store's
	key := messages.KeyOf("checkout", "session-7", "1") // the same parts give the same key on every retry
	a := &messages.Append{
		Coordinate:     order,
		Kind:           placed,
		Payload:        []byte(`{"total":42}`),
		Expected:       messages.NoStream(), // only if order/42 has no events yet
		IdempotencyKey: key,
	}
	fmt.Println(a.Coordinate, a.Kind, a.Expected)
	fmt.Println(a.Coordinate.Validate() == nil, a.Kind.Validate() == nil)
	fmt.Println("a retry's key is equal:", messages.KeyOf("checkout", "session-7", "1") == key)
	fmt.Println("the event id is IDFromKey(key):", !messages.IDFromKey(key).IsZero())
	// Output:
	// shop/order/42 1:001 no stream
	// true true
	// a retry's key is equal: true
	// the event id is IDFromKey(key): true
}

// Versions count from 1 per entity (0: no events yet); an expected version
// is checked against the entity's current version.
func ExampleExpectedVersion() {
	for _, e := range []messages.ExpectedVersion{messages.Any(), messages.NoStream(), messages.Exactly(1)} {
		fmt.Printf("%-10s holds on an empty entity: %-5v after its first event: %v\n", e, e.Check(0), e.Check(1))
	}
	fmt.Println("the zero value is", messages.ExpectedVersion{})
	// Output:
	// any        holds on an empty entity: true  after its first event: true
	// no stream  holds on an empty entity: true  after its first event: false
	// version 1  holds on an empty entity: false after its first event: true
	// the zero value is any
}

// Kinds pack a 4-bit category and a 12-bit type; the store's own
// categories and out-of-range values are refused with typed errors.
func ExampleKind() {
	k, err := messages.Kind(2, 0x10)
	fmt.Println(k, k.Category(), k.Type(), err)
	_, err = messages.Kind(0, 1) // category 0 is the store's
	fmt.Println(errors.Is(err, messages.ErrReservedKind))
	_, err = messages.Kind(16, 0)
	fmt.Println(errors.Is(err, messages.ErrInvalidArgument))
	// Output:
	// 2:010 2 16 <nil>
	// true
	// true
}

// KeyOf hashes each part with its length: different parts never give the
// same key by accident, equal parts always give the same key.
func ExampleKeyOf() {
	fmt.Println(messages.KeyOf("ab", "c") == messages.KeyOf("a", "bc"))
	fmt.Println(messages.KeyOf("order/42", "pay") == messages.KeyOf("order/42", "pay"))
	// Output:
	// false
	// true
}

// An atomic batch whose second item is caused by its first (CausedByItem),
// written by the engine: global sequences start at 0, each entity's
// versions at 1, and the batch is safe to send again.
func ExampleAppendBatch() {
	dir, err := os.MkdirTemp("", "batpak-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	e, err := storage.Open(dir, storage.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()

	placed, reserved := messages.MustKind(1, 1), messages.MustKind(1, 2)
	batch := &messages.AppendBatch{Items: []messages.BatchItem{
		{Coordinate: messages.Coordinate{Entity: "order/42", Scope: "shop"}, Kind: placed,
			IdempotencyKey: messages.KeyOf("checkout", "order/42")},
		{Coordinate: messages.Coordinate{Entity: "stock/7", Scope: "shop"}, Kind: reserved,
			Causation: messages.CausedByItem(0)}, // caused by item 0 of this batch
	}}
	rs, err := e.AppendBatch(batch)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := e.Commit(); err != nil { // both items become durable and visible together
		fmt.Println(err)
		return
	}
	for _, r := range rs {
		fmt.Println("sequence", r.Sequence, "version", r.Version)
	}
	stock, _ := e.Get(rs[1].EventID)
	fmt.Println("caused by item 0:", stock.CausationID == rs[0].EventID)
	fmt.Println("one batch:", !stock.BatchID.IsZero())
	fmt.Println("its own correlation:", stock.CorrelationID == stock.ID) // a zero CorrelationID is not inherited
	fmt.Println("in segment", rs[0].Segment, "after its 32-byte header:", rs[0].Offset >= 32)

	again, _ := e.AppendBatch(batch) // the same batch again: the same receipts, nothing written
	fmt.Println("replayed:", again[0].Replayed, again[1].EventID == rs[1].EventID)
	// Output:
	// sequence 0 version 1
	// sequence 1 version 1
	// caused by item 0: true
	// one batch: true
	// its own correlation: true
	// in segment 1 after its 32-byte header: true
	// replayed: true true
}

// Typed errors: errors.Is against the sentinels, errors.As for the detail,
// the same on a local error and on a reply that crossed the wire.
func ExampleError() {
	err := messages.Coordinate{Entity: "order/42"}.Validate() // no scope
	var ce *messages.CoordinateError
	fmt.Println(errors.Is(err, messages.ErrInvalidCoordinate), errors.As(err, &ce) && ce.Field == "scope")

	// A reply carries the error as an *Error, which survives msgpack.
	b, _ := msgpack.Marshal(&messages.AppendReply{Failure: messages.ToError(err)})
	var reply messages.AppendReply
	if err := msgpack.Unmarshal(b, &reply); err != nil {
		fmt.Println(err)
		return
	}
	err = reply.Err() // test a reply with Err, never with its Failure field
	ce = nil
	fmt.Println(errors.Is(err, messages.ErrInvalidCoordinate), errors.As(err, &ce) && ce.Field == "scope")
	fmt.Println(err)

	var ok messages.AppendReply
	fmt.Println("success:", ok.Err() == nil)
	// Output:
	// true true
	// true true
	// invalid coordinate: scope is empty
	// success: true
}
