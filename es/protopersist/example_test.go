package protopersist_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/persistence"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/protopersist"
	"github.com/batpak-go/batpak/es/snapshot"
)

// counter is a protoactor event-sourced actor, unchanged from what it
// would be on protoactor's own providers: its events are
// *wrapperspb.Int64Value increments, its snapshot a *wrapperspb.UInt64Value
// total.
type counter struct {
	persistence.Mixin
	total int64
}

type incr struct{ by int64 }
type get struct{}

func (c *counter) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *persistence.RequestSnapshot:
		c.PersistSnapshot(wrapperspb.UInt64(uint64(c.total)))
	case *wrapperspb.UInt64Value: // the snapshot, at recovery
		c.total = int64(m.Value)
	case *wrapperspb.Int64Value: // an event, replayed at recovery
		c.total += m.Value
	case *incr:
		sender := ctx.Sender()                   // PersistReceive may clear the context's message
		c.PersistReceive(wrapperspb.Int64(m.by)) // durable in batpak when it returns
		c.total += m.by
		ctx.Send(sender, c.total)
	case *get:
		ctx.Respond(c.total)
	}
}

// An existing protoactor event-sourced actor runs on batpak by changing its
// provider; respawned under the same name, it recovers its state from the
// store.
func Example() {
	dir, err := os.MkdirTemp("", "batpak-protopersist-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	sys := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
	defer sys.Shutdown()
	store, err := actors.Spawn(sys, actors.Config{Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close(context.Background())
	snaps, err := snapshot.Open(filepath.Join(dir, "snapshots"), snapshot.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer snaps.Close()

	provider, err := protopersist.New(store, snaps, protopersist.Options{SnapshotInterval: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	props := actor.PropsFromProducer(func() actor.Actor { return &counter{} },
		actor.WithReceiverMiddleware(persistence.Using(provider))) // the only line that names batpak

	pid, _ := sys.Root.SpawnNamed(props, "counter/1")
	for _, by := range []int64{5, 7, 30} {
		if _, err := sys.Root.RequestFuture(pid, &incr{by: by}, time.Second).Result(); err != nil {
			fmt.Println(err)
			return
		}
	}
	_ = sys.Root.PoisonFuture(pid).Wait()

	pid, _ = sys.Root.SpawnNamed(props, "counter/1") // recovers: the snapshot at index 2 (12), then 30
	total, err := sys.Root.RequestFuture(pid, &get{}, time.Second).Result()
	fmt.Println(total, err)
	fmt.Println(provider.Coordinate("counter/1"))
	// Output:
	// 42 <nil>
	// protoactor/counter/1
}
