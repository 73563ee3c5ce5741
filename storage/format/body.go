package format

import (
	"github.com/batpak-go/batpak/messages"
)

// Frame body types: the first element of every body's msgpack array.
const (
	TypeEvent  = 1 // a user event
	TypeBegin  = 2 // BEGIN(n) of an atomic batch
	TypeCommit = 3 // COMMIT of an atomic batch
	TypeFooter = 4 // the index footer of a sealed segment
	TypeSynced = 5 // a sync mark: how far this segment was durable when the group was staged
)

// An event body is the msgpack array
//
//	[1, seq, id, entity, scope, kind, version, wall_ms, ts_us,
//	 corr|nil, cause|nil, batch|nil, prev_hash, payload, (meta,) hash]
//
// where corr is nil when it equals id, meta is the event's metadata (a map
// of str to str, keys in ascending order, at least one entry: see
// metadata.go), present only when the event has metadata, and hash is the
// blake3 digest of every body byte before the hash field (so it covers the
// metadata). An event without metadata has 15 elements, exactly as before
// metadata existed: old segments read as they are, and an engine writes
// them byte for byte as it did. A marker body is
// [2, batch, count, first_seq] (BEGIN) or [3, batch, count] (COMMIT).
const (
	EventFields     = 15     // elements of an event body's array without metadata
	EventFieldsMeta = 16     // elements of an event body's array with metadata
	HashFieldBytes  = 2 + 32 // bin8 header + digest
)

// AppendEventFrame encodes e as a frame at the end of b, computing e.Hash
// with h from e.PrevHash and the rest of the event. Its metadata element is
// written only when e.Metadata is not empty.
func AppendEventFrame(b []byte, e *messages.Event, h *Hasher) []byte {
	b, start := BeginFrame(b)
	body := len(b)
	if len(e.Metadata) == 0 {
		b = AppendArrayLen(b, EventFields)
	} else {
		b = AppendArrayLen(b, EventFieldsMeta)
	}
	b = AppendUint(b, TypeEvent)
	b = AppendUint(b, e.Sequence)
	b = AppendBin(b, e.ID[:])
	b = AppendStr(b, e.Coordinate.Entity)
	b = AppendStr(b, e.Coordinate.Scope)
	b = AppendUint(b, uint64(e.Kind))
	b = AppendUint(b, e.Version)
	b = AppendInt(b, e.WallMS)
	b = AppendInt(b, e.TimestampUS)
	b = appendCorr(b, e)
	b = AppendOptID(b, e.CausationID)
	b = AppendOptID(b, e.BatchID)
	b = AppendBin(b, e.PrevHash[:])
	b = AppendBin(b, e.Payload)
	if len(e.Metadata) > 0 {
		b = appendMetadata(b, e.Metadata)
	}
	e.Hash = h.Sum(b[body:])
	b = AppendBin(b, e.Hash[:])
	FinishFrame(b, start)
	return b
}

// AppendBeginFrame encodes the BEGIN marker [2, batch, count, firstSeq] of
// an atomic batch of count events, the first of sequence firstSeq, as a
// frame at the end of b.
func AppendBeginFrame(b []byte, batch messages.ID, count int, firstSeq uint64) []byte {
	b, start := BeginFrame(b)
	b = AppendArrayLen(b, 4)
	b = AppendUint(b, TypeBegin)
	b = AppendBin(b, batch[:])
	b = AppendUint(b, uint64(count))
	b = AppendUint(b, firstSeq)
	FinishFrame(b, start)
	return b
}

// AppendCommitFrame encodes the COMMIT marker [3, batch, count] that ends
// an atomic batch of count events as a frame at the end of b. A batch
// whose COMMIT is missing was never committed.
func AppendCommitFrame(b []byte, batch messages.ID, count int) []byte {
	b, start := BeginFrame(b)
	b = AppendArrayLen(b, 3)
	b = AppendUint(b, TypeCommit)
	b = AppendBin(b, batch[:])
	b = AppendUint(b, uint64(count))
	FinishFrame(b, start)
	return b
}

// AppendSyncedFrame encodes a sync mark [5, synced]: the segment's bytes
// before offset synced were durable (fsynced) when the group that starts
// with this mark was staged. Recovery uses it to tell a torn tail from
// damage (see scanSegment).
func AppendSyncedFrame(b []byte, synced int64) []byte {
	b, start := BeginFrame(b)
	b = AppendArrayLen(b, 2)
	b = AppendUint(b, TypeSynced)
	b = AppendUint(b, uint64(synced))
	FinishFrame(b, start)
	return b
}

// DecodeSynced decodes a sync mark body and returns its offset.
func DecodeSynced(body []byte) (int64, error) {
	r := reader{b: body}
	if n := r.arrayLen(); r.err == nil && n != 2 {
		return 0, ErrMalformed
	}
	r.uint()
	w := r.uint()
	if r.err != nil || r.off != len(body) || w > MaxSegmentSize+MaxFrameBytes {
		return 0, ErrMalformed
	}
	return int64(w), nil
}

// appendCorr writes an event's correlation id, or nil when it is the
// event's own id (a root: most events), to save 16 bytes.
func appendCorr(b []byte, e *messages.Event) []byte {
	if e.CorrelationID == e.ID {
		return AppendNil(b)
	}
	return AppendOptID(b, e.CorrelationID)
}

// BodyType returns the type of a frame body without decoding the rest.
func BodyType(body []byte) (int, error) {
	r := reader{b: body}
	r.arrayLen()
	t := r.uint()
	if r.err != nil {
		return 0, r.err
	}
	return int(t), nil
}

// DecodeEvent decodes an event body. The payload is copied only when
// withPayload is true; otherwise e.Payload is nil. e.Metadata is a new map
// when the body has metadata, else nil.
func DecodeEvent(body []byte, e *messages.Event, withPayload bool) error {
	var v EventView
	if err := decodeEventView(body, e, &v); err != nil {
		return err
	}
	e.Coordinate.Entity, e.Coordinate.Scope = string(v.Entity), string(v.Scope)
	e.Payload = nil
	if withPayload {
		e.Payload = append(make([]byte, 0, len(v.Payload)), v.Payload...)
	}
	return nil
}

// Marker is a decoded BEGIN or COMMIT body.
type Marker struct {
	// Batch is the batch's id (a UUIDv7, never zero): the BatchID of each
	// of its events, and the same in its BEGIN and its COMMIT.
	Batch messages.ID
	// Count is the number of events in the batch: at least 1 when written
	// (an empty batch writes nothing); a decoder accepts 0..MaxFrameBytes.
	Count int
	// FirstSeq is the global sequence of the batch's first event (its
	// events have FirstSeq, FirstSeq+1, ...). Only a BEGIN frame carries
	// it: DecodeMarker of a COMMIT leaves it 0.
	FirstSeq uint64
}

// DecodeMarker decodes a BEGIN (typ TypeBegin) or COMMIT (TypeCommit)
// body; it returns ErrMalformed for anything else.
func DecodeMarker(body []byte, typ int) (Marker, error) {
	r := reader{b: body}
	want := 3
	if typ == TypeBegin {
		want = 4
	}
	if n := r.arrayLen(); r.err == nil && n != want {
		return Marker{}, ErrMalformed
	}
	r.uint()
	var m Marker
	r.fixed(m.Batch[:])
	c := r.uint()
	if typ == TypeBegin {
		m.FirstSeq = r.uint()
	}
	if r.err != nil || r.off != len(body) || c > MaxFrameBytes {
		return Marker{}, ErrMalformed
	}
	m.Count = int(c)
	return m, nil
}

// MaxSyncedFrame bounds the size of a sync mark frame: a header, a fixarray,
// the type and a uint64.
const MaxSyncedFrame = FrameHeaderSize + 2 + 9
