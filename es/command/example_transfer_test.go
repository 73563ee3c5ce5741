package command_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/batpak-go/batpak/es/command"
	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
)

// A command over two entities: moving units from one warehouse item to
// another appends to both streams in one batch, atomically, and only if
// each stream is still at the version the command loaded (typed.Expect on
// each entity's first item). When another writer changes one of them in
// between, nothing is written and the error is a version conflict; loading
// both again and retrying succeeds.
func Example_twoEntities() {
	store, done := exampleStore()
	defer done()
	ctx := context.Background()
	from := messages.Coordinate{Entity: "sku-tea", Scope: "warehouse"}
	to := messages.Coordinate{Entity: "sku-tea", Scope: "shop"}
	d := stockDecider()
	h, _ := command.New(store, d, command.Options{})
	a, _ := typed.Append(d.Registry, from, Restocked{Units: 10})
	store.Append(ctx, a)

	move := func(units int, meanwhile func()) error {
		src, err := h.Load(ctx, from)
		if err != nil {
			return err
		}
		dst, err := h.Load(ctx, to)
		if err != nil {
			return err
		}
		if src.Value.OnHand < units {
			return errOutOfStock
		}
		out, _ := typed.Item(d.Registry, from, Reserved{Units: units, Order: "move"}, typed.Expect(messages.Exactly(src.Version)))
		in, _ := typed.Item(d.Registry, to, Restocked{Units: units}, typed.Expect(messages.Exactly(dst.Version)))
		if meanwhile != nil {
			meanwhile()
		}
		_, err = store.AppendBatch(ctx, &messages.AppendBatch{Items: messages.BatchItems{out, in}})
		return err
	}
	// Another writer reserves from the source after the loads.
	err := move(4, func() {
		a, _ := typed.Append(d.Registry, from, Reserved{Units: 1, Order: "other"})
		store.Append(ctx, a)
	})
	fmt.Println("first try, a conflict:", errors.Is(err, messages.ErrVersionConflict))
	fmt.Println("second try:", move(4, nil))
	src, _ := h.Load(ctx, from)
	dst, _ := h.Load(ctx, to)
	fmt.Printf("warehouse %d (version %d), shop %d (version %d)\n", src.Value.OnHand, src.Version, dst.Value.OnHand, dst.Version)
	// Output:
	// first try, a conflict: true
	// second try: <nil>
	// warehouse 5 (version 3), shop 4 (version 1)
}
