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
	evs, _ = e.Descendants(r.EventID) // what it caused, transitively, in global order
	fmt.Println("effects:", evs[0].Coordinate.Entity)
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
	// effects: stock/7
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

// Open creates or opens a data directory and locks it; Close seals the
// active segment and releases the lock, and the next Open finds every
// committed event.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "batpak-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	opts := storage.Options{SyncMode: storage.SyncEveryCommit} // the default: a commit fsyncs before anything is visible
	e, err := storage.Open(dir, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = storage.Open(dir, opts) // one engine per directory
	fmt.Println("second open locked:", errors.Is(err, storage.ErrLocked))

	order := messages.Coordinate{Entity: "order/42", Scope: "shop"}
	for i := range 3 {
		if _, err := e.Append(&messages.Append{Coordinate: order, Kind: messages.MustKind(1, 1),
			Expected: messages.Exactly(uint64(i))}); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := e.Commit(); err != nil {
		fmt.Println(err)
		return
	}
	if err := e.Close(); err != nil {
		fmt.Println(err)
		return
	}
	_, err = e.Append(&messages.Append{Coordinate: order, Kind: messages.MustKind(1, 1)})
	fmt.Println("after close:", errors.Is(err, storage.ErrClosed), errors.Is(err, messages.ErrClosed))

	e, err = storage.Open(dir, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()
	s := e.Stats()
	fmt.Println("events:", s.Events, "streams:", s.Streams, "next sequence:", s.NextSequence)
	// Output:
	// second open locked: true
	// after close: true true
	// events: 3 streams: 1 next sequence: 3
}

// ReadStream reads one entity's events by version (versions start at 1):
// forward from a version, or backward from one (0: the latest), with a
// limit.
func ExampleEngine_ReadStream() {
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
	order := messages.Coordinate{Entity: "order/42", Scope: "shop"}
	for _, step := range []string{"placed", "paid", "packed", "shipped"} {
		if _, err := e.Append(&messages.Append{Coordinate: order, Kind: messages.MustKind(1, 1),
			Payload: []byte(step)}); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := e.Commit(); err != nil {
		fmt.Println(err)
		return
	}

	for ev, err := range e.ReadStream(order, storage.StreamRange{From: 2, Limit: 2}) { // versions 2 and 3
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(ev.Version, string(ev.Payload))
	}
	for ev, err := range e.ReadStream(order, storage.StreamRange{Backward: true, Limit: 1}) { // the latest
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println("latest:", ev.Version, string(ev.Payload))
	}
	// Output:
	// 2 paid
	// 3 packed
	// latest: 4 shipped
}
