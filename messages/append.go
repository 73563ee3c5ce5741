package messages

// Append asks the writer to append one event.
type Append struct {
	// Coordinate is the event's stream; it must Validate.
	Coordinate Coordinate `msgpack:"coord"`
	// Kind is the event's type; reserved kinds are refused.
	Kind EventKind `msgpack:"kind"`
	// Payload is the event's body, opaque to the store.
	Payload []byte `msgpack:"payload"`
	// CorrelationID groups the events of one saga or conversation. Zero
	// means "the event's own id" (a new correlation).
	CorrelationID ID `msgpack:"corr"`
	// CausationID is the id of the event this one reacts to. Zero means
	// none (a root event).
	CausationID ID `msgpack:"cause"`
	// Expected is the optimistic-concurrency condition on the entity.
	Expected ExpectedVersion `msgpack:"expected"`
	// IdempotencyKey, when non-zero, makes the append safe to retry: a
	// second append of the same request (coordinate, kind, payload,
	// correlation, causation) with the same key returns the first one's
	// receipt (even if its Expected no longer holds) and writes nothing; a
	// different request with the same key is refused with
	// ErrIdempotencyConflict. The event's id is IDFromKey(key).
	IdempotencyKey ID `msgpack:"key"`
	// Trace optionally carries the sender's W3C trace context.
	Trace TraceCarrier `msgpack:"trace,omitempty"`
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
type CausationRef struct {
	Mode  CauseMode `msgpack:"mode"`
	ID    ID        `msgpack:"id,omitempty"`
	Index int       `msgpack:"index,omitempty"`
}

// NoCause is the causation of a root event.
func NoCause() CausationRef { return CausationRef{} }

// CausedBy names an already stored event as the cause.
func CausedBy(id ID) CausationRef { return CausationRef{Mode: CauseAbsolute, ID: id} }

// CausedByItem names the earlier batch item at index i as the cause.
func CausedByItem(i int) CausationRef { return CausationRef{Mode: CausePriorItem, Index: i} }

// BatchItem is one event of an AppendBatch. Batch items carry no expected
// version: a batch is all-or-nothing, and its conditions are the caller's
// to check beforehand.
type BatchItem struct {
	Coordinate     Coordinate   `msgpack:"coord"`
	Kind           EventKind    `msgpack:"kind"`
	Payload        []byte       `msgpack:"payload"`
	CorrelationID  ID           `msgpack:"corr"`
	Causation      CausationRef `msgpack:"cause"`
	IdempotencyKey ID           `msgpack:"key"`
	// Expected must be ExpectAny; any other value is refused. It exists so
	// that a mistaken condition is reported rather than silently ignored.
	Expected ExpectedVersion `msgpack:"expected"`
}

// AppendBatch asks the writer to append several events atomically: all of
// them become visible together, or none does, now and after any crash.
//
// Idempotency: the items that carry a key identify the batch. If they were
// all written by one earlier batch and this batch equals it item for item
// (keyed and unkeyed items alike: coordinate, kind, payload, correlation,
// causation), the original receipts come back and nothing is written, so
// the very same batch is always safe to retry. If only some keyed items were
// written, the batch is refused with ErrPartialReplay; if the stored batch
// differs, with ErrIdempotencyConflict. A batch without keys is never a
// replay.
type AppendBatch struct {
	Items BatchItems   `msgpack:"items"`
	Trace TraceCarrier `msgpack:"trace,omitempty"`
}
