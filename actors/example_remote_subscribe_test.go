package actors_test

import (
	"context"
	"fmt"
	"os"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// projector is a subscriber on node B: it applies every order event once,
// in order, whatever Gaps its subscription has; its Cursor reads what it
// missed from the store's reader on node A.
type projector struct {
	cur     *actors.Cursor
	applied chan<- uint64   // each sequence applied, if not nil
	ended   chan<- struct{} // closed at the end of the subscription, if not nil
}

func (p *projector) Receive(ctx actor.Context) {
	if end, ok := ctx.Message().(*messages.SubscriptionEnded); ok {
		fmt.Println("subscription ended:", end.Err)
		if p.ended != nil {
			close(p.ended)
		}
		return
	}
	_, _ = p.cur.Handle(ctx.Message(), func(ev messages.Event) error {
		fmt.Println(ev.Sequence, ev.Coordinate.Entity)
		if p.applied != nil {
			p.applied <- ev.Sequence
		}
		return nil
	})
}

// On node B, subscribe to a store that runs on node A (spawned there at
// the root with the default name, at address "10.0.0.1:8090"): the
// subscriber gets what a local one gets, with at most 256 events in
// flight between the nodes. (Not run: it needs node A.)
func ExampleSubscribeRemote_twoNodes() {
	sys := actor.NewActorSystem()
	remote.NewRemote(sys, remote.Configure("127.0.0.1", 0)).Start() // node B on the network
	const nodeA = "10.0.0.1:8090"
	fanout := actor.NewPID(nodeA, "batpak/fanout") // Store.Fanout on node A
	reader := actor.NewPID(nodeA, "batpak/reader") // Store.Reader on node A

	filter := storage.Filter{EntityPrefix: "order/"}
	cur := actors.NewRemoteCursor(sys, reader, filter) // outlives the actor's restarts
	pid, from, err := actors.SubscribeRemote(sys.Root, fanout,
		actor.PropsFromProducer(func() actor.Actor { return &projector{cur: cur} }), filter, 256)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("subscribed from sequence", from)
	// ... later:
	actors.UnsubscribeRemote(sys.Root, fanout, pid)
}

// SubscribeRemote speaks the same protocol to a store in its own actor
// system, which lets this example run without a network: on another
// node, fanout and reader are the PIDs at node A's address (see
// ExampleSubscribeRemote_twoNodes).
func ExampleSubscribeRemote() {
	dir, _ := os.MkdirTemp("", "batpak-remote-subscribe-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	sys := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
	store, err := actors.Spawn(sys, actors.Config{Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	fanout, reader := store.Fanout(), store.Reader()
	order := messages.Coordinate{Entity: "order/7", Scope: "shop"}
	store.Append(ctx, &messages.Append{Coordinate: order, Kind: messages.MustKind(1, 1)}) // sequence 0: before

	filter := storage.Filter{EntityPrefix: "order/"}
	cur := actors.NewRemoteCursor(sys, reader, filter)
	applied, ended := make(chan uint64, 16), make(chan struct{})
	_, from, err := actors.SubscribeRemote(sys.Root, fanout,
		actor.PropsFromProducer(func() actor.Actor { return &projector{cur, applied, ended} }), filter, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("subscribed from sequence", from)
	user := messages.Coordinate{Entity: "user/1", Scope: "shop"}
	store.Append(ctx, &messages.Append{Coordinate: user, Kind: messages.MustKind(1, 1)}) // sequence 1: filtered out
	// Sequences 2, 3, 4 in one group: more than the capacity, so a Gap.
	store.AppendBatch(ctx, &messages.AppendBatch{Items: []messages.BatchItem{
		{Coordinate: order, Kind: messages.MustKind(1, 1)},
		{Coordinate: order, Kind: messages.MustKind(1, 1)},
		{Coordinate: order, Kind: messages.MustKind(1, 1)},
	}})
	for seq := range applied {
		if seq == 4 {
			break
		}
	}
	store.Close(ctx)
	<-ended
	sys.Shutdown()
	// Output:
	// subscribed from sequence 1
	// 2 order/7
	// 3 order/7
	// 4 order/7
	// subscription ended: batpak: the store is closed
}
