package storage_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// A gate set refuses a proposal before anything is staged; the caller gets
// the denial (which is never stored), and an audited bypass writes anyway,
// recording why in the event's metadata.
func ExampleGateSet() {
	dir, err := os.MkdirTemp("", "batpak-gates-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	maxItems := storage.Gate{
		Name:        "cart_limit",
		Description: "a cart holds at most 2 items",
		Check: func(p *storage.Proposal) *messages.Denial {
			for _, ev := range p.Events {
				if ev.Version > 2 { // the version it would take: staged events and earlier batch items count
					return storage.Deny("cart_full", "%s already holds %d items", ev.Coordinate.Entity, ev.Version-1)
				}
			}
			return nil
		},
	}
	e, err := storage.Open(dir, storage.Options{Gates: storage.GateSet{Gates: []storage.Gate{maxItems}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()

	cart := messages.Coordinate{Entity: "cart/7", Scope: "shop"}
	added := messages.MustKind(1, 1)
	for i := range 3 {
		_, err := e.Append(&messages.Append{Coordinate: cart, Kind: added, Payload: []byte{byte(i)}})
		var denied *messages.DenialError
		if errors.As(err, &denied) {
			d := denied.Denials[0]
			fmt.Printf("item %d: denied by %s (%s): %s\n", i, d.Gate, d.Code, d.Message)
		}
	}
	r, _ := e.Append(&messages.Append{Coordinate: cart, Kind: added, Payload: []byte{3},
		Bypass: &messages.Bypass{Reason: "support-ticket-12", Justification: "goodwill item"}})
	_ = e.Commit()
	ev, _ := e.Get(r.EventID)
	fmt.Println("bypassed: version", ev.Version, "reason", ev.Metadata[messages.MetaBypassReason])
	// Output:
	// item 2: denied by cart_limit (cart_full): cart/7 already holds 2 items
	// bypassed: version 3 reason support-ticket-12
}
