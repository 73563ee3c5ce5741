package messages

import (
	"fmt"
)

// EventKind is an event's type: a 4-bit category and a 12-bit type packed
// into 16 bits (category<<12 | type), as in batpak. Categories 0x0 and 0xD
// are reserved for the store itself; user appends may not use them.
type EventKind uint16

// System kinds. They mark batches and tombstones on disk and never reach
// readers as user events.
const (
	KindBatchBegin  EventKind = 0x0006 // batpak's BEGIN marker of an atomic batch
	KindBatchCommit EventKind = 0x0007 // batpak's COMMIT marker of an atomic batch
	KindTombstone   EventKind = 0x0FFE // batpak's tombstone
)

// Reserved categories.
const (
	CategorySystem   uint8 = 0x0 // the store's own events
	CategoryReserved uint8 = 0xD // reserved for the store, as in batpak
)

// Kind builds an EventKind from a category (0..15) and a type (0..4095).
// It returns ErrReservedKind for a reserved category and an error for
// out-of-range values.
func Kind(category uint8, typ uint16) (EventKind, error) {
	if category > 0xF || typ > 0xFFF {
		return 0, fmt.Errorf("%w: event kind %#x/%#x out of range (category 0..15, type 0..4095)", ErrInvalidArgument, category, typ)
	}
	k := EventKind(uint16(category)<<12 | typ)
	if k.IsReserved() {
		return 0, fmt.Errorf("%w: category %#x", ErrReservedKind, category)
	}
	return k, nil
}

// MustKind is Kind for constants known to be valid; it panics otherwise.
func MustKind(category uint8, typ uint16) EventKind {
	k, err := Kind(category, typ)
	if err != nil {
		panic(err)
	}
	return k
}

// Category returns the 4-bit category.
func (k EventKind) Category() uint8 { return uint8(k >> 12) }

// Type returns the 12-bit type within the category.
func (k EventKind) Type() uint16 { return uint16(k) & 0xFFF }

// IsReserved reports whether k belongs to a category only the store may use.
func (k EventKind) IsReserved() bool {
	c := k.Category()
	return c == CategorySystem || c == CategoryReserved
}

// Validate returns an error wrapping ErrReservedKind if k is reserved.
func (k EventKind) Validate() error {
	if k.IsReserved() {
		return fmt.Errorf("%w: %v", ErrReservedKind, k)
	}
	return nil
}

// String returns "category:type" in hex.
func (k EventKind) String() string { return fmt.Sprintf("%x:%03x", k.Category(), k.Type()) }
