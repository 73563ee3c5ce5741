package main

import (
	"log/slog"
	"strings"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/reactor"
	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// startReactors starts the saga's reactors (es/reactor): an order placed
// reserves stock, a reservation queues a mail (a reaction of a reaction).
// The reactor gives each reaction the trigger's correlation, the trigger
// as causation and an idempotency key of its own, and keeps a durable
// checkpoint in dir. A reaction cut by the writer's crash is retried by
// the reactor (counted in its Stats, not logged).
func startReactors(store *actors.Store, r *typed.Registry, dir string) ([]namedReactor, error) {
	quiet := slog.New(slog.DiscardHandler)
	cfgs := []reactor.Config{{
		Name: "reserve-stock", Filter: storage.Filter{Kinds: []messages.EventKind{orderPlaced}}, Dir: dir, Logger: quiet,
		React: func(ev messages.Event) ([]reactor.Reaction, error) {
			o, err := typed.DecodeAs[OrderPlaced](r, ev)
			if err != nil {
				return nil, err
			}
			return reaction(r, "reserve", shop("stock/"+o.SKU), StockReserved{Order: ev.Coordinate.Entity, Qty: o.Qty})
		},
	}, {
		Name: "queue-mail", Filter: storage.Filter{Kinds: []messages.EventKind{stockReserved}}, Dir: dir, Logger: quiet,
		React: func(ev messages.Event) ([]reactor.Reaction, error) {
			s, err := typed.DecodeAs[StockReserved](r, ev)
			if err != nil {
				return nil, err
			}
			return reaction(r, "mail", shop("mail/"+strings.TrimPrefix(s.Order, "order/")), MailQueued{Order: s.Order, Template: "confirmation"})
		},
	}}
	var out []namedReactor
	for _, cfg := range cfgs {
		rc, err := reactor.Spawn(store, cfg)
		if err != nil {
			return out, err
		}
		out = append(out, namedReactor{Reactor: rc, name: cfg.Name})
	}
	return out, nil
}

// namedReactor is a running reactor and its name.
type namedReactor struct {
	*reactor.Reactor
	name string
}

// reaction is one typed reaction.
func reaction(r *typed.Registry, name string, c messages.Coordinate, v any) ([]reactor.Reaction, error) {
	kind, payload, err := typed.Encode(r, v)
	if err != nil {
		return nil, err
	}
	return []reactor.Reaction{{Name: name, Coordinate: c, Kind: kind, Payload: payload}}, nil
}
