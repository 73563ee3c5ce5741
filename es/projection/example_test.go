package projection_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/projection"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
)

// Totals is the example's state: the sum of the deposits per account.
type Totals map[string]int

func addDeposit(t Totals, ev messages.Event) (Totals, error) {
	t[ev.Coordinate.Entity] += len(ev.Payload)
	return t, nil
}

// A projection rebuilt on demand with Fold, and the same projection kept
// live, checkpointed, stopped and resumed from its checkpoint.
func Example() {
	dir, _ := os.MkdirTemp("", "batpak-projection-example")
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
	deposit := func(acct, amount string) messages.Receipt {
		r, _ := store.Append(ctx, &messages.Append{Coordinate: messages.Coordinate{Entity: acct, Scope: "bank"},
			Kind: messages.MustKind(1, 1), Payload: []byte(amount)})
		return r
	}
	deposit("acct/1", "xxx")
	deposit("acct/2", "x")

	// On demand: fold the matching events into a state.
	filter := storage.Filter{EntityPrefix: "acct/"}
	totals, next, _ := projection.Fold(ctx, store, filter, Totals{}, addDeposit)
	fmt.Println("fold:", totals, "next", next)

	// Live: a projection actor with a durable checkpoint.
	cfg := projection.Config[Totals]{Name: "totals", Filter: filter, Apply: addDeposit,
		Initial: func() Totals { return Totals{} }, Dir: dir + "/projections"}
	p, _ := projection.Spawn(store, cfg)
	r := deposit("acct/1", "xx")
	state, _, _ := p.WaitFor(ctx, r.Sequence) // read your own write
	fmt.Println("live:", state)
	_ = p.Stop(ctx) // writes the checkpoint

	p, _ = projection.Spawn(store, cfg) // e.g. after a restart of the process
	fmt.Printf("resumed: %v from %d\n", p.Recovery().Resumed, p.Recovery().From)
	r = deposit("acct/2", "xxxx")
	state, next, _ = p.WaitFor(ctx, r.Sequence)
	fmt.Println("live:", state, "next", next)
	_ = p.Stop(ctx)
	// Output:
	// fold: map[acct/1:3 acct/2:1] next 2
	// live: map[acct/1:5 acct/2:1]
	// resumed: true from 3
	// live: map[acct/1:5 acct/2:5] next 4
}
