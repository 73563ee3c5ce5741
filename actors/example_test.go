package actors_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
)

var (
	placed  = messages.MustKind(1, 1)
	shipped = messages.MustKind(1, 2)
)

// desk is an application actor: it asks the store's writer to append an
// order placement and reports what the reply says.
type desk struct {
	store *actors.Store
	order messages.Coordinate
	out   chan<- string
}

func (d *desk) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		ctx.Request(d.store.Writer(), &messages.Append{Coordinate: d.order, Kind: placed,
			Payload: []byte(`{"total":42}`), Expected: messages.NoStream(), IdempotencyKey: messages.NewID()})
	case *messages.AppendReply:
		if err := m.Err(); err != nil { // a plain nil error on success
			var vc *storage.VersionConflictError
			if errors.As(err, &vc) {
				d.out <- fmt.Sprintf("conflict: %s is at version %d", vc.Coordinate.Entity, vc.Actual)
				return
			}
			d.out <- "failed: " + err.Error()
			return
		}
		d.out <- fmt.Sprintf("placed: version %d", m.Receipt.Version) // m.Receipt is durable
	}
}

// auditor is a subscriber: its Cursor delivers every matching committed
// event exactly once, in order, across gaps in its bounded queue.
type auditor struct {
	cur *actors.Cursor
	out chan<- messages.Event
}

func (a *auditor) Receive(ctx actor.Context) {
	_, _ = a.cur.Handle(ctx.Message(), func(ev messages.Event) error { a.out <- ev; return nil })
}

// The store inside an actor system: appends from an actor and from Go
// code, a read, and a subscriber. README.md's "Using it from actors" is
// this example.
func Example() {
	dir, err := os.MkdirTemp("", "batpak-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	sys := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger())) // protoactor: warnings and errors only
	defer sys.Shutdown()
	store, err := actors.Spawn(sys, actors.Config{Dir: dir, Policy: supervision.Bounded(3, time.Minute)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close(ctx)

	// Subscribers: an actor with a bounded queue; a Cursor gives exactly-once, in order, across gaps.
	filter := storage.Filter{EntityPrefix: "order/"}
	cur := store.NewCursor(filter)
	audited := make(chan messages.Event, 16)
	_, _, err = store.Subscribe(actor.PropsFromProducer(func() actor.Actor { return &auditor{cur, audited} }),
		filter, 1024)
	if err != nil {
		fmt.Println(err)
		return
	}

	// From any actor: a request to the writer's PID, a reply with a receipt or a typed error.
	order := messages.Coordinate{Entity: "order/42", Scope: "shop"}
	said := make(chan string, 1)
	sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return &desk{store, order, said} }))
	fmt.Println(receive(said))

	// From Go code: the same through a future; reads never queue behind the writer.
	r, err := store.Append(ctx, &messages.Append{Coordinate: order, Kind: shipped, Expected: messages.Exactly(1)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("shipped: version", r.Version)
	evs, _ := store.Stream(order, 1)
	fmt.Println("stream:", len(evs), "events")

	// A second desk places the same order: its expected version fails.
	sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return &desk{store, order, said} }))
	fmt.Println(receive(said))

	for range 2 {
		ev := receive(audited)
		fmt.Println("audited:", ev.Coordinate.Entity, "version", ev.Version)
	}
	// Output:
	// placed: version 1
	// shipped: version 2
	// stream: 2 events
	// conflict: order/42 is at version 2
	// audited: order/42 version 1
	// audited: order/42 version 2
}

// Errors are typed and travel in replies: errors.Is against the sentinels
// in messages, errors.As for the detail. README.md's error section is this
// example.
func Example_errors() {
	dir, err := os.MkdirTemp("", "batpak-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	sys := actor.NewActorSystem()
	defer sys.Shutdown()
	store, err := actors.Spawn(sys, actors.Config{Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close(ctx)
	order := messages.Coordinate{Entity: "order/42", Scope: "shop"}

	_, err = store.Append(ctx, &messages.Append{Coordinate: order, Kind: placed, Expected: messages.Exactly(3)})
	if errors.Is(err, messages.ErrVersionConflict) {
		var vc *storage.VersionConflictError
		if errors.As(err, &vc) {
			fmt.Printf("%s is at version %d, expected %s\n", vc.Coordinate.Entity, vc.Actual, vc.Expected)
		}
	}

	_, err = store.AppendBatch(ctx, &messages.AppendBatch{Items: []messages.BatchItem{
		{Coordinate: order, Kind: placed},
		{Coordinate: messages.Coordinate{Entity: "stock/7"}, Kind: placed}, // no scope
	}})
	var be *storage.BatchError
	var ce *messages.CoordinateError
	if errors.As(err, &be) && errors.As(err, &ce) {
		fmt.Printf("batch refused at item %d: %s %s\n", be.Item, ce.Field, ce.Reason)
	}
	fmt.Println(errors.Is(err, messages.ErrInvalidCoordinate))

	// Output:
	// order/42 is at version 0, expected version 3
	// batch refused at item 1: scope is empty
	// true
}

// pager is an application actor that reads one entity's stream from the
// store's reader, a page at a time, until the end.
type pager struct {
	reader *actor.PID
	order  messages.Coordinate
	out    chan<- string
}

func (p *pager) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		ctx.Request(p.reader, &messages.ReadStream{Coordinate: p.order, Limit: 2})
	case *messages.ReadReply:
		if err := m.Err(); err != nil { // a typed error, as a writer's reply
			p.out <- "failed: " + err.Error()
			return
		}
		first, last := m.Events[0].Version, m.Events[len(m.Events)-1].Version
		p.out <- fmt.Sprintf("page: versions %d-%d, end %v", first, last, m.End)
		if !m.End { // Next is where the next page starts
			ctx.Request(p.reader, &messages.ReadStream{Coordinate: p.order, From: m.Next, Limit: 2})
		}
	}
}

// Reads as messages: the store's reader answers a page of a stream or of a
// query; each reply says where the next page starts. README.md's "Reading
// from actors" is this example.
func Example_reading() {
	dir, err := os.MkdirTemp("", "batpak-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	sys := actor.NewActorSystem()
	defer sys.Shutdown()
	store, err := actors.Spawn(sys, actors.Config{Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close(ctx)
	order := messages.Coordinate{Entity: "order/42", Scope: "shop"}
	for _, k := range []messages.EventKind{placed, shipped, shipped, shipped, shipped} {
		if _, err := store.Append(ctx, &messages.Append{Coordinate: order, Kind: k}); err != nil {
			fmt.Println(err)
			return
		}
	}

	// From an actor: a request to the reader's PID, a page in each reply.
	pages := make(chan string, 4)
	sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return &pager{store.Reader(), order, pages} }))
	for range 3 {
		fmt.Println(receive(pages))
	}

	// A query, newest first, through a future: the next page ends before Next.
	res, err := sys.Root.RequestFuture(store.Reader(), &messages.ReadQuery{EntityPrefix: "order/",
		Kinds: []messages.EventKind{shipped}, Backward: true, Limit: 3}, 5*time.Second).Result()
	if err != nil {
		fmt.Println(err)
		return
	}
	if r, ok := res.(*messages.ReadReply); ok && r.Err() == nil {
		fmt.Println("newest shipped:", len(r.Events), "events, next page before sequence", r.Next)
	}
	// Output:
	// page: versions 1-2, end false
	// page: versions 3-4, end false
	// page: versions 5-5, end true
	// newest shipped: 3 events, next page before sequence 2
}

// Streaming reads through the store: they go on across writer restarts,
// from the event after the last one yielded. README.md's "Streaming reads"
// shows it.
func ExampleStore_Read() {
	dir, err := os.MkdirTemp("", "batpak-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	sys := actor.NewActorSystem()
	defer sys.Shutdown()
	store, err := actors.Spawn(sys, actors.Config{Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close(ctx)
	order := messages.Coordinate{Entity: "order/42", Scope: "shop"}
	_, err = store.AppendBatch(ctx, &messages.AppendBatch{Items: []messages.BatchItem{
		{Coordinate: order, Kind: placed, Payload: []byte("placed")},
		{Coordinate: order, Kind: shipped, Payload: []byte("shipped")},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}

	for ev, err := range store.Read(storage.Filter{Kinds: []messages.EventKind{shipped}}) {
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println("shipped:", ev.Coordinate.Entity, "version", ev.Version)
	}
	for ev, err := range store.ReadStream(order, storage.StreamRange{Backward: true}) {
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(ev.Version, string(ev.Payload))
	}
	// Output:
	// shipped: order/42 version 2
	// 2 shipped
	// 1 placed
}

// receive waits for a value; the bound only keeps a broken example from
// hanging the test run.
func receive[T any](ch <-chan T) T {
	select {
	case v := <-ch:
		return v
	case <-time.After(time.Minute):
		panic("example: nothing arrived within a minute")
	}
}
