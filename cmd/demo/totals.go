package main

import (
	"fmt"
	"strings"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/projection"
	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// Totals is the demo's live projection (es/projection): what the summary
// counts, folded from the typed events as they are committed.
type Totals struct {
	// Desks are the orders and units per desk.
	Desks [desks]DeskTotals `msgpack:"desks"`
	// Reservations and Reserved count the stock reservations and their units.
	Reservations int `msgpack:"reservations"`
	Reserved     int `msgpack:"reserved"`
	// Mails counts the mails queued.
	Mails int `msgpack:"mails"`
}

// DeskTotals are one desk's orders and units.
type DeskTotals struct {
	Orders int `msgpack:"orders"`
	Units  int `msgpack:"units"`
}

// Orders returns how many orders were placed.
func (t Totals) Orders() int {
	n := 0
	for _, d := range t.Desks {
		n += d.Orders
	}
	return n
}

// String tells the totals in one line.
func (t Totals) String() string {
	var per []string
	units := 0
	for i, d := range t.Desks {
		per = append(per, fmt.Sprintf("desk %d: %d/%d", i, d.Orders, d.Units))
		units += d.Units
	}
	return fmt.Sprintf("%d orders of %d units (orders/units %s), %d reservations of %d units, %d mails",
		t.Orders(), units, strings.Join(per, ", "), t.Reservations, t.Reserved, t.Mails)
}

// totalsConfig is the projection's configuration; its checkpoint is kept
// in dir, so that a projection spawned again resumes from it.
func totalsConfig(r *typed.Registry, dir string) projection.Config[Totals] {
	return projection.Config[Totals]{
		Name:   "totals",
		Filter: storage.Filter{Kinds: []messages.EventKind{orderPlaced, stockReserved, mailQueued}},
		Dir:    dir,
		Clone:  func(t Totals) Totals { return t }, // no maps, slices or pointers
		Apply: func(t Totals, ev messages.Event) (Totals, error) {
			v, err := typed.Decode(r, ev)
			if err != nil {
				return t, err
			}
			switch e := v.(type) {
			case OrderPlaced:
				if e.Desk < 0 || e.Desk >= desks {
					return t, fmt.Errorf("%s: no desk %d", ev.Coordinate.Entity, e.Desk)
				}
				t.Desks[e.Desk].Orders++
				t.Desks[e.Desk].Units += e.Qty
			case StockReserved:
				t.Reservations++
				t.Reserved += e.Qty
			case MailQueued:
				t.Mails++
			}
			return t, nil
		},
	}
}

// spawnTotals starts the live projection.
func spawnTotals(store *actors.Store, r *typed.Registry, dir string) (*projection.Projection[Totals], error) {
	return projection.Spawn(store, totalsConfig(r, dir))
}
