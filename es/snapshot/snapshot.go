package snapshot

import (
	"fmt"
	"log/slog"
	"unicode/utf8"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/fs"
)

// Snapshot is an entity's state at a version.
type Snapshot struct {
	// Coordinate is the entity whose state this is; it must Validate.
	Coordinate messages.Coordinate
	// Type says what the state is (the aggregate or type name and its
	// schema version, chosen by the caller): non-empty, at most
	// MaxTypeBytes bytes, valid UTF-8. One entity may have snapshots of
	// several types; each type has its own newest snapshot and retention.
	Type string
	// Version is the entity's version the state reflects: the state after
	// the events with versions 1..Version. At least 1.
	Version uint64
	// EventHash is the Hash of the entity's event at Version. The store
	// keeps it and does not check it: a loader compares it with the log's
	// event at Version to detect a stale snapshot (one of a log that has
	// since been replaced) and then ignores the snapshot.
	EventHash messages.Hash
	// Data is the encoded state, opaque to the store (nil or empty
	// allowed). Save copies it; Latest returns a fresh slice.
	Data []byte
	// WallMS is when the snapshot was taken, in Unix milliseconds. Zero at
	// Save means "now".
	WallMS int64
}

// MaxTypeBytes is the longest Snapshot.Type, in bytes.
const MaxTypeBytes = 1024

// DefaultKeep is the number of snapshots kept per coordinate and type when
// Options.Keep is zero.
const DefaultKeep = 2

// Options configures a Store. The zero value works.
type Options struct {
	// Keep is how many snapshots are kept per coordinate and type: Save
	// removes the older ones beyond the newest Keep. Default DefaultKeep
	// (2); negative is refused with messages.ErrInvalidArgument.
	Keep int
	// FS is the file system. Default fs.OS(); tests use fs.NewMem (to
	// simulate power loss) or fs.NewFaulty.
	FS fs.FS
	// Logger receives a warning for each snapshot file found corrupt and
	// set aside. Default slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Keep < 0:
		return o, fmt.Errorf("%w: snapshot: Options.Keep is %d, want >= 0", messages.ErrInvalidArgument, o.Keep)
	case o.Keep == 0:
		o.Keep = DefaultKeep
	}
	if o.FS == nil {
		o.FS = fs.OS()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}

// validateKey checks a coordinate and a type, the key of a snapshot series.
func validateKey(c messages.Coordinate, typ string) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	switch {
	case typ == "":
		return fmt.Errorf("%w: snapshot: type is empty", messages.ErrInvalidArgument)
	case len(typ) > MaxTypeBytes:
		return fmt.Errorf("%w: snapshot: type is %d bytes, over %d", messages.ErrInvalidArgument, len(typ), MaxTypeBytes)
	case !utf8.ValidString(typ):
		return fmt.Errorf("%w: snapshot: type is not valid UTF-8", messages.ErrInvalidArgument)
	}
	return nil
}

// validate checks a snapshot before Save.
func (sn *Snapshot) validate() error {
	if err := validateKey(sn.Coordinate, sn.Type); err != nil {
		return err
	}
	if sn.Version == 0 {
		return fmt.Errorf("%w: snapshot: version is 0, want >= 1", messages.ErrInvalidArgument)
	}
	return nil
}
