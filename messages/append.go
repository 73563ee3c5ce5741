package messages

// Append asks the writer to append one event. Only Coordinate and Kind
// must be set; every other field's zero value means "none" or "no
// condition".
type Append struct {
	// Coordinate is the event's stream; it must Validate (non-empty entity
	// and scope, at most MaxCoordinateBytes each), else the append is
	// refused with a *CoordinateError (ErrInvalidCoordinate).
	Coordinate Coordinate `msgpack:"coord"`
	// Kind is the event's type, made with Kind or MustKind; reserved kinds
	// (categories 0x0 and 0xD, the zero Kind among them) are refused with
	// ErrReservedKind.
	Kind EventKind `msgpack:"kind"`
	// Payload is the event's body, opaque to the store; nil or empty is
	// allowed. At most the engine's MaxPayloadBytes (default 4 MiB), else
	// ErrPayloadTooLarge.
	Payload []byte `msgpack:"payload"`
	// CorrelationID groups the events of one saga or conversation. Zero
	// means "the event's own id" (a new correlation), so a stored event's
	// CorrelationID is never zero.
	CorrelationID ID `msgpack:"corr"`
	// CausationID is the id of the event this one reacts to. Zero means
	// none (a root event). The store does not check that it names a
	// stored event.
	CausationID ID `msgpack:"cause"`
	// Expected is the optimistic-concurrency condition on the entity's
	// current version (versions count from 1; 0 = no events). The zero
	// value is Any(): no condition. When it does not hold the append is
	// refused with a *VersionConflictError (ErrVersionConflict).
	Expected ExpectedVersion `msgpack:"expected"`
	// IdempotencyKey, when non-zero, makes the append safe to retry: a
	// second append of the same request (coordinate, kind, payload,
	// correlation, causation, metadata) with the same key returns the first one's
	// receipt (even if its Expected no longer holds) and writes nothing; a
	// different request with the same key is refused with
	// ErrIdempotencyConflict. The event's id is IDFromKey(key).
	IdempotencyKey ID `msgpack:"key"`
	// Trace optionally carries the sender's W3C trace context (see
	// actors.Trace), so that the writer's spans become children of the
	// sender's span; nil means none.
	Trace TraceCarrier `msgpack:"trace,omitempty"`
	// Metadata optionally annotates the event (stored with it and covered
	// by its hash; see Metadata for the rules). The store keeps its own
	// copy. nil means none. An idempotent retry must carry the same
	// metadata (and bypass) to be replayed.
	Metadata Metadata `msgpack:"meta,omitempty"`
	// Bypass, when set, skips the engine's policy gates for this append
	// and records the bypass in the event's metadata (see Bypass). nil: the
	// gates run.
	Bypass *Bypass `msgpack:"bypass,omitempty"`
}

// CauseMode says where a batch item's causation comes from.
type CauseMode uint8

// Causation modes of a batch item.
const (
	// CauseNone: the item is a root event (no causation).
	CauseNone CauseMode = iota
	// CauseAbsolute: the causation is the event id in CausationRef.ID.
	CauseAbsolute
	// CausePriorItem: the causation is the item of the same batch at index
	// CausationRef.Index, which must come earlier in the batch.
	CausePriorItem
)

// CausationRef is a batch item's causation: none, an absolute event id, or
// an earlier item of the same batch.
//
// The zero value is NoCause(). Build one with NoCause, CausedBy or
// CausedByItem rather than by hand.
type CausationRef struct {
	// Mode says which of ID and Index applies. Zero (CauseNone): neither;
	// a mode above CausePriorItem is refused with ErrInvalidBatch.
	Mode CauseMode `msgpack:"mode"`
	// ID is the causing event's id when Mode is CauseAbsolute, and must
	// then be non-zero (a zero ID is refused with ErrInvalidBatch); it is
	// ignored in the other modes. The store does not check that it names a
	// stored event.
	ID ID `msgpack:"id,omitempty"`
	// Index is the causing item's index in the same batch (0 = the first
	// item) when Mode is CausePriorItem; it must name an earlier item, so
	// its range is [0, this item's index), else ErrInvalidBatch. Ignored in
	// the other modes. The stored event's CausationID is that item's event
	// id.
	Index int `msgpack:"index,omitempty"`
}

// NoCause is the causation of a root event.
func NoCause() CausationRef { return CausationRef{} }

// CausedBy names an already stored event as the cause.
func CausedBy(id ID) CausationRef { return CausationRef{Mode: CauseAbsolute, ID: id} }

// CausedByItem names the earlier batch item at index i as the cause.
func CausedByItem(i int) CausationRef { return CausationRef{Mode: CausePriorItem, Index: i} }

// BatchItem is one event of an AppendBatch. An item may carry an expected
// version (see Expected): a batch is all-or-nothing, so one failed
// condition refuses every item.
//
// A bad item refuses the whole batch with a *BatchError whose Item is the
// item's index (0 = the first) and whose Cause says why.
type BatchItem struct {
	// Coordinate is the item's stream; it must Validate (non-empty entity
	// and scope, at most MaxCoordinateBytes each). The items of one batch
	// may name any mix of streams, the same one several times.
	Coordinate Coordinate `msgpack:"coord"`
	// Kind is the item's type; reserved kinds (categories 0x0 and 0xD) are
	// refused with ErrReservedKind. The zero Kind is reserved: set one.
	Kind EventKind `msgpack:"kind"`
	// Payload is the item's body, opaque to the store; nil or empty is
	// allowed. Each is at most the engine's MaxPayloadBytes (default
	// 4 MiB) and the batch's payloads together at most MaxBatchBytes
	// (default 16 MiB).
	Payload []byte `msgpack:"payload"`
	// CorrelationID groups the events of one saga. Zero means the item's
	// own event id (a new correlation), as for an Append; it is not
	// inherited from other items.
	CorrelationID ID `msgpack:"corr"`
	// Causation is the event this item reacts to: none (the zero value),
	// a stored event (CausedBy) or an earlier item (CausedByItem).
	Causation CausationRef `msgpack:"cause"`
	// IdempotencyKey, when non-zero, identifies the item for retries (see
	// AppendBatch) and makes its event id IDFromKey(key); two items of one
	// batch may not share a key (ErrInvalidBatch). Zero means none: the
	// item gets a fresh UUIDv7 id.
	IdempotencyKey ID `msgpack:"key"`
	// Expected is the optimistic-concurrency condition on the item's
	// entity, checked against the entity's version just before this item
	// is staged: its current version plus the earlier items of the same
	// batch on the same entity. So a command that read a stream at version
	// 5 and appends three events to it sets the first item's Expected to
	// Exactly(5) (NoStream() for a new stream) and leaves the other two
	// Any(). The zero value is Any(): no condition. A condition that does
	// not hold refuses the whole batch, nothing written, with a *BatchError
	// whose Item is this item's index and whose cause is a
	// *VersionConflictError (ErrVersionConflict) with the version the item
	// was checked against; errors.Is and errors.As find both, also in a
	// reply. A batch that is an idempotent replay (see AppendBatch) returns
	// the original receipts whatever its conditions say. An unknown mode is
	// refused with ErrInvalidBatch.
	Expected ExpectedVersion `msgpack:"expected"`
	// Metadata optionally annotates the item's event, as Append.Metadata
	// does (each item has its own limit). nil means none.
	Metadata Metadata `msgpack:"meta,omitempty"`
}

// AppendBatch asks the writer to append several events atomically: all of
// them become visible together, or none does, now and after any crash.
//
// Idempotency: the items that carry a key identify the batch. If they were
// all written by one earlier batch and this batch equals it item for item
// (keyed and unkeyed items alike: coordinate, kind, payload, correlation,
// causation, metadata), the original receipts come back and nothing is
// written, so the very same batch is always safe to retry (its items'
// expected versions are not checked again). If only some keyed items were
// written, the batch is refused with ErrPartialReplay; if the stored batch
// differs, with ErrIdempotencyConflict. A batch without keys is never a
// replay.
type AppendBatch struct {
	// Items are the batch's events, in the order they are written: they
	// get consecutive global sequences, and receipts come back in this
	// order. At most the engine's MaxBatchItems (default 4096), else
	// ErrInvalidBatch; an empty batch writes nothing and returns no
	// receipts.
	Items BatchItems `msgpack:"items"`
	// Trace optionally carries the sender's W3C trace context, as
	// Append.Trace does; nil means none.
	Trace TraceCarrier `msgpack:"trace,omitempty"`
	// Bypass, when set, skips the engine's policy gates for the whole
	// batch and records the bypass in the metadata of each of its events
	// (see Bypass). nil: the gates run.
	Bypass *Bypass `msgpack:"bypass,omitempty"`
}
