package storage

import (
	"fmt"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
)

// Append stages one event and returns its receipt. The event becomes
// durable and visible only when Commit succeeds; until then the receipt is
// a promise. The protocol, in order:
//
//  1. validation: coordinate, kind not reserved, payload size, metadata;
//  2. idempotency: with a key, an event already written (or staged) under
//     it is returned as is (Replayed), whatever the expected version says;
//  3. optimistic concurrency: the expected version must hold;
//  4. policy: the gates (Options.Gates) must allow it, unless it carries a
//     Bypass, which is recorded in the event's metadata;
//  5. version = last + 1, wall_ms = max(now, last wall_ms) per entity,
//     prev_hash = the entity's last hash, hash over all of it, frame staged.
func (e *Engine) Append(a *messages.Append) (messages.Receipt, error) {
	if err := e.writable(); err != nil {
		return messages.Receipt{}, err
	}
	if a == nil {
		return messages.Receipt{}, fmt.Errorf("storage: nil append: %w", messages.ErrInvalidArgument)
	}
	h, err := e.validateEvent(a.Coordinate, a.Kind, a.Payload)
	if err != nil {
		return messages.Receipt{}, err
	}
	if a.Expected.Mode > messages.ExpectExact {
		return messages.Receipt{}, fmt.Errorf("storage: %w: unknown expected-version mode %d", messages.ErrInvalidArgument, a.Expected.Mode)
	}
	md, err := e.metadataOf(a.Metadata, a.Bypass)
	if err != nil {
		return messages.Receipt{}, err
	}
	id := e.ids.next()
	if !a.IdempotencyKey.IsZero() {
		id = messages.IDFromKey(a.IdempotencyKey)
		if r, ok, err := e.replaySingle(a, id, md); ok || err != nil {
			return r, err
		}
	}
	if !a.Expected.Check(h.tail.version) {
		return messages.Receipt{}, e.conflict(a.Coordinate, a.Expected, h.tail)
	}
	corr := a.CorrelationID
	if corr.IsZero() {
		corr = id
	}
	if e.gated(a.Bypass) {
		if err := e.gateAppend(a, h, id, corr, md); err != nil {
			return messages.Receipt{}, err
		}
	}
	return e.stageEvent(messages.Event{
		ID: id, Coordinate: a.Coordinate, Kind: a.Kind, CorrelationID: corr,
		CausationID: a.CausationID, Payload: a.Payload, Metadata: md,
	}, h), nil
}

// validateEvent checks one event's coordinate, kind and payload size and
// returns the head of its stream. A coordinate the writer already holds a
// head for was validated when the head was made.
func (e *Engine) validateEvent(c messages.Coordinate, k messages.EventKind, payload []byte) (*streamHead, error) {
	if uint64(e.idx.count()+len(e.stage.events)) >= maxEvents {
		return nil, fmt.Errorf("storage: the index holds its maximum of %d events: %w", uint64(maxEvents), messages.ErrInvalidArgument)
	}
	h := e.over.heads.lookup(c)
	if h == nil {
		if err := c.Validate(); err != nil {
			return nil, err
		}
	}
	if err := k.Validate(); err != nil {
		return nil, err
	}
	if len(payload) > e.opts.MaxPayloadBytes {
		return nil, fmt.Errorf("storage: payload of %d bytes: %w (limit %d)", len(payload), messages.ErrPayloadTooLarge, e.opts.MaxPayloadBytes)
	}
	if h == nil {
		h = e.over.heads.add(c, e.idx.tailOf(c))
	}
	return h, nil
}

// conflict explains why expected does not hold on c, whose tail as staged
// or written is t. If the published (durable) state would satisfy it, the
// answer depends on groups not yet published: ErrUndecided. Otherwise the
// conflict is a fact of the committed log, reported with its version.
func (e *Engine) conflict(c messages.Coordinate, expected messages.ExpectedVersion, t tail) error {
	published := e.idx.tailOf(c).version
	if published != t.version && expected.Check(published) {
		return fmt.Errorf("%w: %s expects %s of %s, which the unpublished groups change", ErrUndecided, "an append", expected, c)
	}
	return &VersionConflictError{Coordinate: c, Expected: expected, Actual: published}
}

// stageEvent completes ev (sequence, version, clock, chain) from the head
// of its stream, encodes it into the staging buffer and records it. It
// cannot fail.
func (e *Engine) stageEvent(ev messages.Event, h *streamHead) messages.Receipt {
	e.stageSynced()
	t := h.tail
	now := e.opts.Clock()
	ev.Sequence = e.nextSeq
	ev.Version = t.version + 1
	ev.WallMS = max(now.UnixMilli(), t.wall)
	ev.TimestampUS = now.UnixMicro()
	ev.PrevHash = t.hash
	st := &e.stage
	off := len(st.buf)
	st.buf = format.AppendEventFrame(st.buf, &ev, e.hasher)
	f := st.place(format.TypeEvent, off, e.opts.SegmentSize)
	ev.Segment, ev.Offset = f.seg, f.offset
	f.event = len(st.events)
	st.events = append(st.events, ev)
	st.sizes = append(st.sizes, f.size)
	st.heads = append(st.heads, h)
	h.advance(&ev)
	e.over.record(&ev, st.gen)
	e.nextSeq++
	return ev.Receipt()
}

func (e *Engine) stageMarker(typ int, m format.Marker) {
	e.stageSynced()
	st := &e.stage
	off := len(st.buf)
	if typ == format.TypeBegin {
		st.buf = format.AppendBeginFrame(st.buf, m.Batch, m.Count, m.FirstSeq)
	} else {
		st.buf = format.AppendCommitFrame(st.buf, m.Batch, m.Count)
	}
	st.place(typ, off, e.opts.SegmentSize).m = m
}

// stageSynced starts a new group with a sync mark when the active segment
// is known durable further than its last mark says: the mark records how
// far. Recovery treats damage at or after the last mark's offset in the
// last segment as a torn write (bytes that were never synced), and damage
// before it as corruption. A group that would have to rotate for its mark
// gets none (a new segment is durable up to its header).
func (e *Engine) stageSynced() {
	st := &e.stage
	if !st.empty() {
		return
	}
	e.prepStep() // a group starts: the previous one may be syncing meanwhile
	w := e.synced
	if w.Segment != st.seg || w.Offset <= e.marked || w.Offset > st.size {
		return
	}
	off := len(st.buf)
	st.buf = format.AppendSyncedFrame(st.buf, w.Offset)
	if st.size+int64(len(st.buf)-off) > e.opts.SegmentSize {
		st.buf = st.buf[:off]
		return
	}
	st.place(format.TypeSynced, off, e.opts.SegmentSize).synced = w.Offset
	e.marked = w.Offset
}
