package actors_test

import (
	"context"
	"fmt"
	"os"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/supervision"
)

// app is an application's actor that owns the store: it spawns it as its
// child when it starts.
type app struct {
	dir    string
	stores chan<- *actors.Store
}

func (a *app) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*actor.Started); ok {
		store, err := actors.SpawnIn(ctx, actors.Config{Dir: a.dir, Policy: supervision.Once()}) // a child of this actor
		if err != nil {
			fmt.Println(err)
		}
		a.stores <- store
	}
}

// A store inside the application's own supervision tree: the actor that
// spawns it with SpawnIn owns it as a child; stopping that actor closes the
// store.
func ExampleSpawnIn() {
	dir, err := os.MkdirTemp("", "batpak-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	sys := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
	defer sys.Shutdown()

	stores := make(chan *actors.Store, 1)
	owner, err := sys.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &app{dir, stores} }), "shop")
	if err != nil {
		fmt.Println(err)
		return
	}
	store := <-stores
	if store == nil {
		return
	}
	fmt.Println(store.Writer().Id)
	r, err := store.Append(context.Background(), &messages.Append{
		Coordinate: messages.Coordinate{Entity: "order/1", Scope: "shop"}, Kind: placed})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("sequence", r.Sequence, "version", r.Version) // sequences start at 0, versions at 1

	sys.Root.StopFuture(owner).Wait() // the store closes with its parent
	<-store.Done()
	fmt.Println(store.Err())
	// Output:
	// shop/batpak/writer
	// sequence 0 version 1
	// batpak: the store was stopped (its parent actor or its supervisor stopped)
}
