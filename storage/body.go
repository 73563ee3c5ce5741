package storage

import (
	"fmt"

	"github.com/batpak-go/batpak/messages"
)

// Frame body types: the first element of every body's msgpack array.
const (
	bodyEvent  = 1 // a user event
	bodyBegin  = 2 // BEGIN(n) of an atomic batch
	bodyCommit = 3 // COMMIT of an atomic batch
	bodyFooter = 4 // the index footer of a sealed segment
	bodySynced = 5 // a sync mark: how far this segment was durable when the group was staged
)

// An event body is the msgpack array
//
//	[1, seq, id, entity, scope, kind, version, wall_ms, ts_us,
//	 corr|nil, cause|nil, batch|nil, prev_hash, payload, hash]
//
// where corr is nil when it equals id, and hash is the blake3 digest of
// every body byte before the hash field. A marker body is
// [2, batch, count, first_seq] (BEGIN) or [3, batch, count] (COMMIT).
const (
	eventFields    = 15
	hashFieldBytes = 2 + 32 // bin8 header + digest
)

// appendEventFrame encodes e as a frame at the end of b, computing e.Hash
// with h from e.PrevHash and the rest of the event.
func appendEventFrame(b []byte, e *messages.Event, h *hasher) []byte {
	b, start := beginFrame(b)
	body := len(b)
	b = appendArrayLen(b, eventFields)
	b = appendUint(b, bodyEvent)
	b = appendUint(b, e.Sequence)
	b = appendBin(b, e.ID[:])
	b = appendStr(b, e.Coordinate.Entity)
	b = appendStr(b, e.Coordinate.Scope)
	b = appendUint(b, uint64(e.Kind))
	b = appendUint(b, e.Version)
	b = appendInt(b, e.WallMS)
	b = appendInt(b, e.TimestampUS)
	b = appendCorr(b, e)
	b = appendOptID(b, e.CausationID)
	b = appendOptID(b, e.BatchID)
	b = appendBin(b, e.PrevHash[:])
	b = appendBin(b, e.Payload)
	e.Hash = h.sum(b[body:])
	b = appendBin(b, e.Hash[:])
	finishFrame(b, start)
	return b
}

func appendBeginFrame(b []byte, batch messages.ID, count int, firstSeq uint64) []byte {
	b, start := beginFrame(b)
	b = appendArrayLen(b, 4)
	b = appendUint(b, bodyBegin)
	b = appendBin(b, batch[:])
	b = appendUint(b, uint64(count))
	b = appendUint(b, firstSeq)
	finishFrame(b, start)
	return b
}

func appendCommitFrame(b []byte, batch messages.ID, count int) []byte {
	b, start := beginFrame(b)
	b = appendArrayLen(b, 3)
	b = appendUint(b, bodyCommit)
	b = appendBin(b, batch[:])
	b = appendUint(b, uint64(count))
	finishFrame(b, start)
	return b
}

// appendSyncedFrame encodes a sync mark [5, synced]: the segment's bytes
// before offset synced were durable (fsynced) when the group that starts
// with this mark was staged. Recovery uses it to tell a torn tail from
// damage (see scanSegment).
func appendSyncedFrame(b []byte, synced int64) []byte {
	b, start := beginFrame(b)
	b = appendArrayLen(b, 2)
	b = appendUint(b, bodySynced)
	b = appendUint(b, uint64(synced))
	finishFrame(b, start)
	return b
}

// decodeSynced decodes a sync mark body and returns its offset.
func decodeSynced(body []byte) (int64, error) {
	r := reader{b: body}
	if n := r.arrayLen(); r.err == nil && n != 2 {
		return 0, errMalformed
	}
	r.uint()
	w := r.uint()
	if r.err != nil || r.off != len(body) || w > MaxSegmentSize+MaxFrameBytes {
		return 0, errMalformed
	}
	return int64(w), nil
}

// appendCorr writes an event's correlation id, or nil when it is the
// event's own id (a root: most events), to save 16 bytes.
func appendCorr(b []byte, e *messages.Event) []byte {
	if e.CorrelationID == e.ID {
		return appendNil(b)
	}
	return appendOptID(b, e.CorrelationID)
}

// bodyType returns the type of a frame body without decoding the rest.
func bodyType(body []byte) (int, error) {
	r := reader{b: body}
	r.arrayLen()
	t := r.uint()
	if r.err != nil {
		return 0, r.err
	}
	return int(t), nil
}

// decodeEvent decodes an event body. The payload is copied only when
// withPayload is true; otherwise e.Payload is nil.
func decodeEvent(body []byte, e *messages.Event, withPayload bool) error {
	r := reader{b: body}
	if n := r.arrayLen(); r.err == nil && n != eventFields {
		return fmt.Errorf("event body has %d fields, want %d: %w", n, eventFields, errMalformed)
	}
	if t := r.uint(); r.err == nil && t != bodyEvent {
		return fmt.Errorf("body type %d is not an event: %w", t, errMalformed)
	}
	e.Sequence = r.uint()
	r.fixed(e.ID[:])
	e.Coordinate.Entity = r.str()
	e.Coordinate.Scope = r.str()
	kind := r.uint()
	e.Kind = messages.EventKind(kind)
	e.Version = r.uint()
	e.WallMS = r.int()
	e.TimestampUS = r.int()
	e.CorrelationID = r.corr(e.ID)
	e.CausationID = r.optID()
	e.BatchID = r.optID()
	r.fixed(e.PrevHash[:])
	payload := r.bin()
	r.fixed(e.Hash[:])
	if r.err != nil {
		return r.err
	}
	if r.off != len(body) || kind > 0xFFFF {
		return errMalformed
	}
	e.Payload = nil
	if withPayload {
		e.Payload = append(make([]byte, 0, len(payload)), payload...)
	}
	return nil
}

// marker is a decoded BEGIN or COMMIT body.
type marker struct {
	batch    messages.ID
	count    int
	firstSeq uint64
}

func decodeMarker(body []byte, typ int) (marker, error) {
	r := reader{b: body}
	want := 3
	if typ == bodyBegin {
		want = 4
	}
	if n := r.arrayLen(); r.err == nil && n != want {
		return marker{}, errMalformed
	}
	r.uint()
	var m marker
	r.fixed(m.batch[:])
	c := r.uint()
	if typ == bodyBegin {
		m.firstSeq = r.uint()
	}
	if r.err != nil || r.off != len(body) || c > MaxFrameBytes {
		return marker{}, errMalformed
	}
	m.count = int(c)
	return m, nil
}
