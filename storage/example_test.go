package storage_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// The engine on its own: stage, commit, read, verify; a refused append
// says why. README.md's "Using the engine" is this example.
func Example() {
	dir, err := os.MkdirTemp("", "batpak-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	e, err := storage.Open(dir, storage.Options{}) // zero value works
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()

	order := messages.Coordinate{Entity: "order/42", Scope: "shop"}
	placed, reserved := messages.MustKind(1, 1), messages.MustKind(1, 2)
	key := messages.KeyOf("checkout", "order/42") // the same parts give the same key on a retry
	place := &messages.Append{
		Coordinate:     order,
		Kind:           placed,
		Payload:        []byte(`{"total":42}`),
		Expected:       messages.NoStream(), // optimistic concurrency
		IdempotencyKey: key,                 // a retry returns this receipt
	}
	r, err := e.Append(place)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = e.Commit() // one write + one fsync for everything staged; then visible
	if err != nil {
		fmt.Println(err)
		return
	}
	// r is now a durable receipt: sequence, version, hash, segment, offset
	fmt.Println("placed: version", r.Version)

	again, _ := e.Append(place) // the same request again: the same receipt
	fmt.Println("retry replayed:", again.Replayed, again.EventID == r.EventID)

	// A reaction on another entity, in the order's saga, caused by it.
	stock := messages.Coordinate{Entity: "stock/7", Scope: "shop"}
	res, _ := e.Append(&messages.Append{Coordinate: stock, Kind: reserved,
		CorrelationID: r.EventID, CausationID: r.EventID})
	_ = e.Commit()

	evs, _ := e.Stream(order, 1) // one entity, from version 1
	fmt.Println("stream:", len(evs))
	evs, _ = e.Query(storage.Filter{EntityPrefix: "order/", Kinds: []messages.EventKind{placed}})
	fmt.Println("query:", len(evs))
	evs, _ = e.ByCorrelation(r.EventID) // a saga across entities
	fmt.Println("saga:", len(evs))
	evs, _ = e.Ancestors(res.EventID, 0) // causation chain, nearest first
	fmt.Println("cause:", evs[0].Coordinate.Entity)
	rep, _ := e.Verify() // every hash chain, recomputed
	fmt.Println("verified:", rep.Events, "events")

	// A refused append: test with errors.Is, read the detail with errors.As.
	_, err = e.Append(&messages.Append{Coordinate: order, Kind: placed, Expected: messages.NoStream()})
	var vc *storage.VersionConflictError
	if errors.Is(err, messages.ErrVersionConflict) && errors.As(err, &vc) {
		fmt.Printf("conflict: %s is at version %d, expected %s\n", vc.Coordinate.Entity, vc.Actual, vc.Expected)
	}
	// Output:
	// placed: version 1
	// retry replayed: true true
	// stream: 1
	// query: 1
	// saga: 2
	// cause: order/42
	// verified: 2 events
	// conflict: order/42 is at version 1, expected no stream
}

// Streaming reads: an iterator over a filter or over one entity's stream,
// either way, from a position, with a limit; nothing is collected.
// README.md's "Streaming reads" is this example.
func ExampleEngine_Read() {
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
	for i := range 5 {
		c := messages.Coordinate{Entity: fmt.Sprintf("order/%d", i%2), Scope: "shop"}
		if _, err := e.Append(&messages.Append{Coordinate: c, Kind: messages.MustKind(1, 1),
			Payload: []byte(fmt.Sprintf("event %d", i))}); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := e.Commit(); err != nil {
		fmt.Println(err)
		return
	}

	for ev, err := range e.Read(storage.Filter{EntityPrefix: "order/"}) { // global order
		if err != nil { // yielded once, then the loop ends: *storage.CorruptionError, storage.ErrClosed...
			fmt.Println(err)
			break
		}
		fmt.Println(ev.Sequence, ev.Coordinate.Entity, string(ev.Payload)) // Payload: valid until the next step
	}

	order := messages.Coordinate{Entity: "order/0", Scope: "shop"}
	var kept [][]byte
	for ev, err := range e.ReadStream(order, storage.StreamRange{Backward: true, Limit: 2}) { // newest first
		if err != nil {
			fmt.Println(err)
			break
		}
		kept = append(kept, bytes.Clone(ev.Payload)) // to keep a payload, copy it
	}
	fmt.Printf("order/0, newest two: %s\n", bytes.Join(kept, []byte(", ")))

	page := storage.Filter{Backward: true, BeforeSeq: 3, Limit: 2} // the page before sequence 3
	for ev, err := range e.Read(page) {
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println("page:", ev.Sequence)
	}
	// Output:
	// 0 order/0 event 0
	// 1 order/1 event 1
	// 2 order/0 event 2
	// 3 order/1 event 3
	// 4 order/0 event 4
	// order/0, newest two: event 4, event 2
	// page: 2
	// page: 1
}
