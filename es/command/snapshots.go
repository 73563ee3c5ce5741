package command

import (
	"github.com/batpak-go/batpak/es/snapshot"
	"github.com/batpak-go/batpak/messages"
)

// Snapshot is an entity's state at a version, as es/snapshot stores it.
// For a Handler, Type is the Decider's Type (an aggregate name and its
// state's schema version, chosen by the application) and Data is the state
// in msgpack; the loader compares EventHash with the stored event at
// Version to detect a stale snapshot.
type Snapshot = snapshot.Snapshot

// Snapshots is where a Handler loads and saves snapshots; *snapshot.Store
// (es/snapshot) is one.
type Snapshots interface {
	// Latest returns the newest snapshot of c with type typ; false when
	// there is none.
	Latest(c messages.Coordinate, typ string) (Snapshot, bool, error)
	// Save stores sn durably.
	Save(sn Snapshot) error
}

var _ Snapshots = (*snapshot.Store)(nil)
