package snapshot_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/batpak-go/batpak/es/snapshot"
	"github.com/batpak-go/batpak/messages"
)

// A loader saves an entity's state every so often and starts from the
// newest snapshot; only the newest Keep are kept.
func Example() {
	storeDir, err := os.MkdirTemp("", "batpak-snapshot-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(storeDir)

	snaps, err := snapshot.Open(filepath.Join(storeDir, "snapshots"), snapshot.Options{Keep: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer snaps.Close()

	cart := messages.Coordinate{Entity: "cart/7", Scope: "shop"}
	for _, v := range []uint64{100, 200, 300} {
		err := snaps.Save(snapshot.Snapshot{
			Coordinate: cart,
			Type:       "cart.v1",       // the state's type and schema version
			Version:    v,               // the state after events 1..v
			EventHash:  messages.Hash{}, // the hash of event v (from its receipt), checked by the loader
			Data:       []byte(fmt.Sprintf("%d items", v/100)),
		})
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	sn, ok, err := snaps.Latest(cart, "cart.v1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ok, sn.Version, string(sn.Data)) // read the events from version 301 on
	fmt.Println("files kept:", snaps.Stats().Files)

	if err := snaps.Delete(cart, "cart.v1", 300); err != nil {
		fmt.Println(err)
		return
	}
	_, ok, _ = snaps.Latest(cart, "cart.v1")
	fmt.Println("after delete:", ok) // the events alone rebuild the state
	// Output:
	// true 300 3 items
	// files kept: 2
	// after delete: false
}
