package messages

// Receipt is the writer's answer to a successful append: where the event
// is and how it is chained. In the default sync mode a receipt means the
// event is on disk.
type Receipt struct {
	EventID ID `msgpack:"id"`
	// Sequence is the event's position in the store's global order.
	Sequence uint64 `msgpack:"seq"`
	// Version is the event's position in its entity's stream (from 1).
	Version uint64 `msgpack:"version"`
	// Hash is the event's link in its entity's hash chain.
	Hash Hash `msgpack:"hash"`
	// Segment and Offset locate the event's frame on disk.
	Segment uint64 `msgpack:"segment"`
	Offset  int64  `msgpack:"offset"`
	// Replayed is true when an idempotent retry returned an earlier receipt.
	Replayed bool `msgpack:"replayed,omitempty"`
}

// Event is a stored event as readers see it.
type Event struct {
	ID            ID         `msgpack:"id"`
	Sequence      uint64     `msgpack:"seq"`
	Coordinate    Coordinate `msgpack:"coord"`
	Kind          EventKind  `msgpack:"kind"`
	Version       uint64     `msgpack:"version"`
	WallMS        int64      `msgpack:"wall_ms"`
	TimestampUS   int64      `msgpack:"ts_us"`
	CorrelationID ID         `msgpack:"corr"`
	CausationID   ID         `msgpack:"cause"`
	// BatchID is the id of the atomic batch the event was written in, or
	// zero for a single append.
	BatchID  ID     `msgpack:"batch"`
	PrevHash Hash   `msgpack:"prev_hash"`
	Hash     Hash   `msgpack:"hash"`
	Payload  []byte `msgpack:"payload"`
	Segment  uint64 `msgpack:"segment"`
	Offset   int64  `msgpack:"offset"`
}

// Receipt returns the receipt that described this event when it was written.
func (e *Event) Receipt() Receipt {
	return Receipt{EventID: e.ID, Sequence: e.Sequence, Version: e.Version, Hash: e.Hash, Segment: e.Segment, Offset: e.Offset}
}
