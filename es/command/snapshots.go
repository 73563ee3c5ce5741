package command

import "github.com/batpak-go/batpak/messages"

// Snapshot is an entity's state at a version. It mirrors es/snapshot's
// Snapshot field for field (declared here so that this package does not
// depend on the snapshot store's package).
type Snapshot struct {
	// Coordinate is the entity.
	Coordinate messages.Coordinate
	// Type is what the state is: the Decider's Type (an aggregate name and
	// its state's schema version, chosen by the application).
	Type string
	// Version is the entity's version the state reflects (>= 1).
	Version uint64
	// EventHash is the Hash of the entity's event at Version; the loader
	// compares it with the stored event to detect a stale snapshot.
	EventHash messages.Hash
	// Data is the state in msgpack.
	Data []byte
	// WallMS is when the snapshot was taken, in milliseconds since the Unix
	// epoch.
	WallMS int64
}

// Snapshots is where a Handler loads and saves snapshots: es/snapshot's
// Store has these methods.
type Snapshots interface {
	// Latest returns the newest snapshot of c with type typ; false when
	// there is none.
	Latest(c messages.Coordinate, typ string) (Snapshot, bool, error)
	// Save stores sn durably.
	Save(sn Snapshot) error
}
