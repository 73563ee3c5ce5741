package messages

// Receipt is the writer's answer to a successful append: where the event
// is and how it is chained. In the default sync mode a receipt means the
// event is on disk. Every field has the value of the same field of the
// stored Event (Event.Receipt).
type Receipt struct {
	// EventID is the event's id: IDFromKey(key) when the append carried an
	// idempotency key, else a fresh UUIDv7 (time-ordered). Never zero.
	EventID ID `msgpack:"id"`
	// Sequence is the event's position in the store's global order. The
	// first event committed to a store has sequence 0; each event after it
	// has a larger one (one more than the event before it, unless a
	// Repair dropped events), across every entity.
	Sequence uint64 `msgpack:"seq"`
	// Version is the event's position in its entity's stream: 1 for the
	// entity's first event, then 2, 3, ... without gaps. An entity with no
	// events is at version 0 (what NoStream expects).
	Version uint64 `msgpack:"version"`
	// Hash is the event's link in its entity's hash chain: the blake3-256
	// digest of the event's encoded body up to the hash, which covers the
	// previous event's hash, the event's identity and header, and its
	// payload.
	Hash Hash `msgpack:"hash"`
	// Segment is the id of the segment file that holds the event's frame
	// (segment ids start at 1; segment 7 is the file 0000000007.seg).
	Segment uint64 `msgpack:"segment"`
	// Offset is the byte offset of the event's frame from the start of
	// its segment file; at least 32 (the segment header's size).
	Offset int64 `msgpack:"offset"`
	// Replayed is true when an idempotent retry returned an earlier receipt
	// (and wrote nothing); false for an event this append wrote.
	Replayed bool `msgpack:"replayed,omitempty"`
}

// Event is a stored event as readers see it. Events that readers get are
// committed: never a staged one, never the store's own batch markers.
type Event struct {
	// ID is the event's id: IDFromKey(key) for an append that carried an
	// idempotency key, else a fresh UUIDv7. Never zero; unique in a store.
	ID ID `msgpack:"id"`
	// Sequence is the event's position in the store's global order,
	// starting at 0 for the first event committed; see Receipt.Sequence.
	Sequence uint64 `msgpack:"seq"`
	// Coordinate is the event's stream (entity and scope).
	Coordinate Coordinate `msgpack:"coord"`
	// Kind is the event's type as appended; never a reserved kind.
	Kind EventKind `msgpack:"kind"`
	// Version is the event's position in its entity's stream, starting at
	// 1 for the entity's first event, without gaps.
	Version uint64 `msgpack:"version"`
	// WallMS is the event's wall clock in milliseconds since the Unix
	// epoch (UTC): the engine's clock (Options.Clock, default time.Now)
	// when the event was appended (staged, shortly before its commit),
	// raised to the previous event's WallMS of the same entity if the
	// clock went back, so it never decreases along an entity's stream.
	WallMS int64 `msgpack:"wall_ms"`
	// TimestampUS is the same clock reading in microseconds since the Unix
	// epoch, as read (not raised), so it may go back when the clock does.
	TimestampUS int64 `msgpack:"ts_us"`
	// CorrelationID is the saga the event belongs to: the append's
	// CorrelationID, or the event's own ID when that was zero. Never zero.
	CorrelationID ID `msgpack:"corr"`
	// CausationID is the id of the event this one reacts to (the append's
	// CausationID, or the earlier batch item's id), or zero for a root
	// event.
	CausationID ID `msgpack:"cause"`
	// BatchID is the id of the atomic batch the event was written in, or
	// zero for a single append.
	BatchID ID `msgpack:"batch"`
	// PrevHash is the Hash of the previous event of the same entity; zero
	// for the entity's first event (version 1).
	PrevHash Hash `msgpack:"prev_hash"`
	// Hash is the event's link in its entity's hash chain; see
	// Receipt.Hash. Verify recomputes it.
	Hash Hash `msgpack:"hash"`
	// Payload is the event's body as appended (empty when it had none).
	// The streaming reads (Read, ReadStream) yield it as a view of their
	// read buffer, valid only until the loop's next step: copy it to keep
	// it. Do not modify it.
	Payload []byte `msgpack:"payload"`
	// Segment is the id of the segment file that holds the event's frame
	// (from 1); see Receipt.Segment.
	Segment uint64 `msgpack:"segment"`
	// Offset is the byte offset of the event's frame in its segment file
	// (at least 32); see Receipt.Offset.
	Offset int64 `msgpack:"offset"`
	// Metadata is the event's annotations as appended (the append's
	// Metadata, plus the store's record of a gate bypass under
	// ReservedMetadataPrefix keys), or nil when it has none. Do not modify
	// it.
	Metadata Metadata `msgpack:"meta,omitempty"`
}

// Receipt returns the receipt that described this event when it was written.
func (e *Event) Receipt() Receipt {
	return Receipt{EventID: e.ID, Sequence: e.Sequence, Version: e.Version, Hash: e.Hash, Segment: e.Segment, Offset: e.Offset}
}
