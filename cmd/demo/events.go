package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/batpak-go/batpak/es/command"
	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// The demo's events: Go types bound to kinds, with names and schema
// versions, in one registry (es/typed). Their payloads are the registry's
// envelope + msgpack, never hand-encoded.
type (
	// OrderPlaced is an order taken by a desk (on order/<desk>-<n>).
	OrderPlaced struct {
		Desk int    `msgpack:"desk"`
		SKU  string `msgpack:"sku"`
		Qty  int    `msgpack:"qty"`
	}
	// StockReserved is the stock reserved for an order (on stock/<sku>).
	StockReserved struct {
		Order string `msgpack:"order"`
		Qty   int    `msgpack:"qty"`
	}
	// MailQueued is the confirmation mail of a reservation (on mail/<order>).
	MailQueued struct {
		Order    string `msgpack:"order"`
		Template string `msgpack:"template"`
	}
)

// The demo's event kinds.
var (
	orderPlaced   = messages.MustKind(1, 1)
	stockReserved = messages.MustKind(2, 1)
	mailQueued    = messages.MustKind(3, 1)
)

// newRegistry binds the demo's event types.
func newRegistry() *typed.Registry {
	r := typed.NewRegistry()
	typed.MustRegister[OrderPlaced](r, orderPlaced, "shop.order-placed", 1)
	typed.MustRegister[StockReserved](r, stockReserved, "shop.stock-reserved", 1)
	typed.MustRegister[MailQueued](r, mailQueued, "shop.mail-queued", 1)
	return r
}

// describe lists the registry in one line, by kind: name, schema
// version, kind, Go type.
func describe(r *typed.Registry) string {
	var parts []string
	kinds := r.Kinds()
	slices.Sort(kinds)
	for _, k := range kinds {
		info, _ := r.Lookup(k)
		parts = append(parts, fmt.Sprintf("%s v%d (kind %v, %s)", info.Name, info.Version, k, info.Type.Name()))
	}
	return strings.Join(parts, ", ")
}

// PlaceOrder is the command a desk runs on an order entity.
type PlaceOrder struct {
	Desk int
	SKU  string
	Qty  int
}

// Order is an order entity's state.
type Order struct {
	// Placed is true once an OrderPlaced is stored.
	Placed bool
	// Desk is the desk that placed it.
	Desk int
}

// errAlreadyPlaced rejects a second PlaceOrder on an order.
var errAlreadyPlaced = errors.New("already placed")

// orderDecider is an order's behaviour: it is placed once.
func orderDecider(r *typed.Registry) command.Decider[Order, PlaceOrder] {
	return command.Decider[Order, PlaceOrder]{
		Registry: r,
		Type:     "order/v1",
		Evolve: func(s Order, ev any) Order {
			if e, ok := ev.(OrderPlaced); ok {
				s.Placed, s.Desk = true, e.Desk
			}
			return s
		},
		Decide: func(s Order, c PlaceOrder) ([]any, error) {
			if s.Placed {
				return nil, fmt.Errorf("%w by desk %d", errAlreadyPlaced, s.Desk)
			}
			return []any{OrderPlaced{Desk: c.Desk, SKU: c.SKU, Qty: c.Qty}}, nil
		},
	}
}

// maxQty is the order_limit gate's limit.
const maxQty = 10

// orderLimit is a policy gate the writer runs before it stages anything:
// no order of more than maxQty units, whoever writes it.
func orderLimit(r *typed.Registry) storage.GateSet {
	return storage.GateSet{Gates: []storage.Gate{{
		Name:        "order_limit",
		Description: fmt.Sprintf("an order holds at most %d units", maxQty),
		Check: func(p *storage.Proposal) *messages.Denial {
			for _, ev := range p.Events {
				if ev.Kind != orderPlaced {
					continue
				}
				v, err := typed.DecodePayload(r, ev.Kind, ev.Payload)
				if err != nil {
					return storage.Deny("bad_order", "%s: %v", ev.Coordinate.Entity, err)
				}
				if o := v.(OrderPlaced); o.Qty > maxQty {
					return storage.Deny("over_limit", "%s: %d units, at most %d per order", ev.Coordinate.Entity, o.Qty, maxQty)
				}
			}
			return nil
		},
	}}}
}

// shop is an entity of the demo's scope.
func shop(entity string) messages.Coordinate {
	return messages.Coordinate{Entity: entity, Scope: "shop"}
}
