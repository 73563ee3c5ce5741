package command_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/command"
	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
)

// A warehouse item's events and state.
type (
	// Restocked adds units.
	Restocked struct {
		Units int `msgpack:"units"`
	}
	// Reserved takes units for an order.
	Reserved struct {
		Units int    `msgpack:"units"`
		Order string `msgpack:"order"`
	}
	// Stock is the item's state.
	Stock struct {
		OnHand int `msgpack:"on_hand"`
	}
	// Reserve is a command: reserve units for an order.
	Reserve struct {
		Units int
		Order string
	}
)

var errOutOfStock = errors.New("out of stock")

// stockDecider is the item's behaviour: Decide checks the command against
// the state, Evolve folds events into it.
func stockDecider() command.Decider[Stock, Reserve] {
	r := typed.NewRegistry()
	typed.MustRegister[Restocked](r, messages.MustKind(5, 1), "stock.restocked", 1)
	typed.MustRegister[Reserved](r, messages.MustKind(5, 2), "stock.reserved", 1)
	return command.Decider[Stock, Reserve]{
		Registry: r,
		Type:     "stock/v1",
		Evolve: func(s Stock, ev any) Stock {
			switch e := ev.(type) {
			case Restocked:
				s.OnHand += e.Units
			case Reserved:
				s.OnHand -= e.Units
			}
			return s
		},
		Decide: func(s Stock, c Reserve) ([]any, error) {
			if c.Units > s.OnHand {
				return nil, fmt.Errorf("%w: %d on hand, %d wanted", errOutOfStock, s.OnHand, c.Units)
			}
			return []any{Reserved{Units: c.Units, Order: c.Order}}, nil
		},
	}
}

func exampleStore() (*actors.Store, func()) {
	dir, _ := os.MkdirTemp("", "batpak-command-")
	sys := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
	store, err := actors.Spawn(sys, actors.Config{Dir: dir})
	if err != nil {
		panic(err)
	}
	return store, func() { store.Close(context.Background()); sys.Shutdown(); os.RemoveAll(dir) }
}

// A command with a conflict and a retry: while the command decides,
// another writer reserves units of the same item; the append's expected
// version no longer holds, so the handler loads the new event and decides
// again, on the new state. Retrying the command id afterwards replays it.
func ExampleHandler() {
	store, done := exampleStore()
	defer done()
	ctx := context.Background()
	item := messages.Coordinate{Entity: "sku-tea", Scope: "warehouse"}
	d := stockDecider()
	a, _ := typed.Append(d.Registry, item, Restocked{Units: 10})
	store.Append(ctx, a)

	// The other writer strikes once, during the first decision.
	decide, struck := d.Decide, false
	d.Decide = func(s Stock, c Reserve) ([]any, error) {
		fmt.Printf("deciding on %d on hand\n", s.OnHand)
		if !struck {
			struck = true
			a, _ := typed.Append(d.Registry, item, Reserved{Units: 7, Order: "other"})
			store.Append(ctx, a)
		}
		return decide(s, c)
	}
	h, _ := command.New(store, d, command.Options{MaxAttempts: 3})

	res, err := h.Handle(ctx, item, "order-1/reserve", Reserve{Units: 2, Order: "order-1"})
	fmt.Printf("reserved at version %d after %d attempts, err %v\n", res.Version, res.Attempts, err)
	res, err = h.Handle(ctx, item, "order-1/reserve", Reserve{Units: 2, Order: "order-1"})
	fmt.Printf("retried: replayed %v, version %d\n", res.Replayed, res.Version)
	_, err = h.Handle(ctx, item, "order-2/reserve", Reserve{Units: 5, Order: "order-2"})
	fmt.Println(errors.Is(err, command.ErrRejected), errors.Is(err, errOutOfStock))
	st, _ := h.Load(ctx, item)
	fmt.Println("on hand:", st.Value.OnHand)
	// Output:
	// deciding on 10 on hand
	// deciding on 3 on hand
	// reserved at version 3 after 2 attempts, err <nil>
	// retried: replayed true, version 3
	// deciding on 1 on hand
	// true true
	// on hand: 1
}

// The per-entity actor: it owns the item's state in memory and runs the
// commands it is sent one at a time, answering each with a *Reply.
func ExampleProps() {
	store, done := exampleStore()
	defer done()
	ctx := context.Background()
	item := messages.Coordinate{Entity: "sku-cup", Scope: "warehouse"}
	d := stockDecider()
	a, _ := typed.Append(d.Registry, item, Restocked{Units: 3})
	store.Append(ctx, a)
	h, _ := command.New(store, d, command.Options{})

	root := store.System().Root
	pid := root.Spawn(command.Props(h, item))
	defer root.Stop(pid)
	for i, units := range []int{2, 2} {
		res, _ := root.RequestFuture(pid, &command.Request[Reserve]{ID: fmt.Sprintf("r%d", i),
			Command: Reserve{Units: units, Order: fmt.Sprint(i)}}, 5*time.Second).Result()
		rep := res.(*command.Reply)
		fmt.Println(rep.Result.Version, rep.Err())
	}
	// Output:
	// 2 <nil>
	// 2 command: rejected: out of stock: 1 on hand, 2 wanted
}
