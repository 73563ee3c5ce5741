package typed_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// CartOpened and ItemAdded are a shopping cart's events.
type CartOpened struct {
	Customer string `msgpack:"customer"`
}

// ItemAdded adds a quantity of a product to the cart.
type ItemAdded struct {
	SKU string `msgpack:"sku"`
	Qty int    `msgpack:"qty"`
}

// A typed aggregate: bind the event types to kinds once, append values,
// read them back as values and fold them into the cart's state.
func Example() {
	dir, _ := os.MkdirTemp("", "batpak-typed-")
	defer os.RemoveAll(dir)
	sys := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
	defer sys.Shutdown()
	store, err := actors.Spawn(sys, actors.Config{Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	defer store.Close(ctx)

	r := typed.NewRegistry()
	typed.MustRegister[CartOpened](r, messages.MustKind(3, 1), "cart.opened", 1)
	typed.MustRegister[ItemAdded](r, messages.MustKind(3, 2), "cart.item-added", 1)

	cart := messages.Coordinate{Entity: "cart-17", Scope: "shop"}
	for _, v := range []any{CartOpened{Customer: "ann"}, ItemAdded{SKU: "tea", Qty: 2}, ItemAdded{SKU: "cup", Qty: 1}} {
		a, err := typed.Append(r, cart, v) // kind and payload from the registry
		if err != nil {
			fmt.Println(err)
			return
		}
		if _, err := store.Append(ctx, a); err != nil {
			fmt.Println(err)
			return
		}
	}

	items := map[string]int{}
	for ev, err := range store.ReadStream(cart, storage.StreamRange{}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		v, err := typed.Decode(r, ev) // the registered type, as a value
		if err != nil {
			fmt.Println(err)
			return
		}
		switch e := v.(type) {
		case CartOpened:
			fmt.Printf("v%d %s: customer %s\n", ev.Version, r.Name(ev.Kind), e.Customer)
		case ItemAdded:
			items[e.SKU] += e.Qty
			fmt.Printf("v%d %s: %d x %s\n", ev.Version, r.Name(ev.Kind), e.Qty, e.SKU)
		}
	}
	fmt.Println("cart:", items)

	// An event of one kind does not decode into another kind's type.
	first, _ := store.Stream(cart, 1)
	_, err = typed.DecodeAs[ItemAdded](r, first[0])
	fmt.Println(errors.Is(err, typed.ErrMismatch))
	// Output:
	// v1 cart.opened: customer ann
	// v2 cart.item-added: 2 x tea
	// v3 cart.item-added: 1 x cup
	// cart: map[cup:1 tea:2]
	// true
}

// Schema evolution: events written with version 1 of a type (quantity
// "qty") are read by code at version 2 ("quantity", and a unit) through an
// upcaster registered for the step 1 -> 2.
func ExampleRegistry_RegisterUpcaster() {
	type ItemAddedV2 struct {
		SKU      string `msgpack:"sku"`
		Quantity int    `msgpack:"quantity"`
		Unit     string `msgpack:"unit"`
	}
	kind := messages.MustKind(3, 2)

	old := typed.NewRegistry() // what the old code wrote
	typed.MustRegister[ItemAdded](old, kind, "cart.item-added", 1)
	_, stored, _ := typed.Encode(old, ItemAdded{SKU: "tea", Qty: 2})

	r := typed.NewRegistry() // today's code
	typed.MustRegister[ItemAddedV2](r, kind, "cart.item-added", 2)
	_ = r.RegisterUpcaster(kind, 1, func(f typed.Fields) (typed.Fields, error) {
		f["quantity"] = f["qty"]
		delete(f, "qty")
		f["unit"] = "piece"
		return f, nil
	})
	v, err := typed.DecodeAs[ItemAddedV2](r, messages.Event{Kind: kind, Payload: stored})
	fmt.Printf("%+v %v\n", v, err)
	// Output: {SKU:tea Quantity:2 Unit:piece} <nil>
}
