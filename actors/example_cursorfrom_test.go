package actors_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
)

// resumer is a subscriber that starts from a stored position.
type resumer struct {
	cur *actors.Cursor
	out chan<- uint64
}

func (r *resumer) Receive(ctx actor.Context) {
	_, _ = r.cur.Handle(ctx.Message(), func(ev messages.Event) error { r.out <- ev.Sequence; return nil })
}

// A subscription that starts at sequence 1 (a checkpoint, say): the
// Cursor reads the log from there up to where the live notifications
// begin, then goes live; every event exactly once, in order.
func ExampleStore_NewCursorFrom() {
	dir, _ := os.MkdirTemp("", "batpak-cursorfrom-example")
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sys := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
	store, err := actors.Spawn(sys, actors.Config{Dir: dir, Policy: supervision.Once()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close(ctx)
	order := messages.Coordinate{Entity: "order/42", Scope: "shop"}
	for i := 0; i < 3; i++ { // sequences 0, 1, 2: before the subscription
		store.Append(ctx, &messages.Append{Coordinate: order, Kind: messages.MustKind(1, 1)})
	}

	filter := storage.Filter{EntityPrefix: "order/"}
	cur := store.NewCursorFrom(filter, 1) // the first sequence not handled yet
	out := make(chan uint64, 16)
	store.Subscribe(actor.PropsFromProducer(func() actor.Actor { return &resumer{cur, out} }), filter, 0)
	store.Append(ctx, &messages.Append{Coordinate: order, Kind: messages.MustKind(1, 1)}) // sequence 3: live
	for i := 0; i < 3; i++ {
		fmt.Print(<-out, " ")
	}
	fmt.Println()
	// Output: 1 2 3
}
