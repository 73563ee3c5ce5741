package reactor_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/reactor"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
)

// A reactor that reserves stock for every order placed: the reservation
// carries the order's correlation, is caused by it, and is written once
// however often the reactor sees the order.
func Example() {
	dir, _ := os.MkdirTemp("", "batpak-reactor-example")
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sys := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
	store, err := actors.Spawn(sys, actors.Config{Dir: dir + "/store", Policy: supervision.Once()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close(ctx)
	placed, reserved := messages.MustKind(1, 1), messages.MustKind(1, 2)

	r, _ := reactor.Spawn(store, reactor.Config{
		Name:   "reserve-stock",
		Filter: storage.Filter{EntityPrefix: "order/", Kinds: []messages.EventKind{placed}},
		Dir:    dir + "/reactors", // its checkpoint: where to resume after a restart
		React: func(order messages.Event) ([]reactor.Reaction, error) {
			return []reactor.Reaction{{Name: "reserve", Kind: reserved,
				Coordinate: messages.Coordinate{Entity: "stock/7", Scope: "shop"}}}, nil
		},
	})
	order, _ := store.Append(ctx, &messages.Append{Coordinate: messages.Coordinate{Entity: "order/42", Scope: "shop"}, Kind: placed})

	// Wait for the reaction (an application would subscribe to stock/).
	for r.Position() <= order.Sequence {
		time.Sleep(time.Millisecond)
	}
	evs, _ := store.Query(storage.Filter{EntityPrefix: "stock/"})
	fmt.Println(len(evs), evs[0].CausationID == order.EventID, evs[0].CorrelationID == order.EventID)
	anc, _ := store.Ancestors(evs[0].ID, 0)
	fmt.Println(anc[0].Coordinate.Entity)
	fmt.Println(evs[0].ID == messages.IDFromKey(reactor.Key("reserve-stock", order.EventID, "reserve")))
	_ = r.Stop(ctx)
	// Output:
	// 1 true true
	// order/42
	// true
}
