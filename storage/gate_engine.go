package storage

import (
	"fmt"
	"maps"
	"strings"

	"github.com/batpak-go/batpak/messages"
)

// gateScratch is what the engine reuses from request to request to run its
// gates and build metadata: the proposal and the batch items' metadata.
type gateScratch struct {
	prop Proposal
	meta []messages.Metadata
}

// gated reports whether the engine's gates run for a request with bypass
// bp: there are gates and no bypass. Cheap enough to inline: the cost of an
// empty gate set is this test.
func (e *Engine) gated(bp *messages.Bypass) bool { return len(e.opts.Gates.Gates) > 0 && bp == nil }

// gateAppend runs the gates over the single event of a (whose id,
// correlation and metadata are decided) on the stream h.
func (e *Engine) gateAppend(a *messages.Append, h *streamHead, id, corr messages.ID, md messages.Metadata) error {
	p := e.proposal(false, 1)
	p.Events[0] = ProposedEvent{ID: id, Coordinate: a.Coordinate, Kind: a.Kind, Payload: a.Payload,
		Expected: a.Expected, CorrelationID: corr, CausationID: a.CausationID,
		IdempotencyKey: a.IdempotencyKey, Metadata: md, Version: h.tail.version + 1}
	return e.evaluateGates(p)
}

// gateBatch runs the gates over the items of b (heads[i] is item i's
// stream), whose event ids are ids and metadata mds (nil: none has any).
func (e *Engine) gateBatch(b *messages.AppendBatch, heads []*streamHead, ids []messages.ID, mds []messages.Metadata) error {
	p := e.proposal(true, len(b.Items))
	sc := &e.stage.batch
	if sc.before == nil {
		sc.before = make(map[*streamHead]uint64)
	}
	before := sc.before // earlier items of this batch, per stream
	defer clear(before)
	for i := range b.Items {
		it := &b.Items[i]
		ev := &p.Events[i]
		h := heads[i]
		before[h]++
		*ev = ProposedEvent{ID: ids[i], Coordinate: it.Coordinate, Kind: it.Kind, Payload: it.Payload,
			Expected: it.Expected, CorrelationID: it.CorrelationID, IdempotencyKey: it.IdempotencyKey,
			Version: h.tail.version + before[h]}
		if ev.CorrelationID.IsZero() {
			ev.CorrelationID = ids[i]
		}
		switch it.Causation.Mode {
		case messages.CauseAbsolute:
			ev.CausationID = it.Causation.ID
		case messages.CausePriorItem:
			ev.CausationID = ids[it.Causation.Index]
		}
		if mds != nil {
			ev.Metadata = mds[i]
		}
	}
	return e.evaluateGates(p)
}

// proposal returns the engine's reused proposal, sized for n events.
func (e *Engine) proposal(batch bool, n int) *Proposal {
	p := &e.gate.prop
	p.e, p.Batch = e, batch
	if cap(p.Events) < n {
		p.Events = make([]ProposedEvent, n)
	}
	p.Events = p.Events[:n]
	return p
}

// evaluateGates runs the gate set over p, then drops p's references to
// the request.
func (e *Engine) evaluateGates(p *Proposal) error {
	err := e.opts.Gates.evaluate(p)
	clear(p.Events)
	return err
}

// metadataOf returns the metadata of an event appended with the user's
// metadata md and bypass bp: nil when there is neither, else a new map the
// engine owns (md's entries and the bypass record), or why it is refused.
func (e *Engine) metadataOf(md messages.Metadata, bp *messages.Bypass) (messages.Metadata, error) {
	if len(md) == 0 && bp == nil {
		return nil, nil
	}
	return e.buildMetadata(md, bp)
}

func (e *Engine) buildMetadata(md messages.Metadata, bp *messages.Bypass) (messages.Metadata, error) {
	bad := func(f string, args ...any) error {
		return fmt.Errorf("storage: metadata: %w: "+f, append([]any{messages.ErrInvalidArgument}, args...)...)
	}
	for k := range md {
		switch {
		case k == "":
			return nil, bad("an empty key")
		case strings.HasPrefix(k, messages.ReservedMetadataPrefix):
			return nil, bad("key %q: the %q prefix is reserved for the store", k, messages.ReservedMetadataPrefix)
		}
	}
	out := maps.Clone(md)
	if bp != nil {
		if bp.Reason == "" {
			return nil, bad("a gate bypass needs a Reason")
		}
		if out == nil {
			out = make(messages.Metadata, 2)
		}
		out[messages.MetaBypassReason] = bp.Reason
		if bp.Justification != "" {
			out[messages.MetaBypassJustification] = bp.Justification
		}
	}
	if n := out.Bytes(); n > e.opts.MaxMetadataBytes {
		return nil, bad("%d bytes of keys and values (the bypass record included), limit %d", n, e.opts.MaxMetadataBytes)
	}
	return out, nil
}

// batchMetadata returns the metadata of each item of b (in a slice the
// next batch reuses), or nil when no item has any and b has no bypass. A
// refused item's error is a *messages.BatchError naming it.
func (e *Engine) batchMetadata(b *messages.AppendBatch) ([]messages.Metadata, error) {
	has := b.Bypass != nil
	for i := 0; i < len(b.Items) && !has; i++ {
		has = len(b.Items[i].Metadata) > 0
	}
	if !has {
		return nil, nil
	}
	mds := append(e.gate.meta[:0], make([]messages.Metadata, len(b.Items))...)
	e.gate.meta = mds
	for i := range b.Items {
		md, err := e.metadataOf(b.Items[i].Metadata, b.Bypass)
		if err != nil {
			clear(mds)
			return nil, messages.NewBatchError(i, err)
		}
		mds[i] = md
	}
	return mds, nil
}

// metaAt returns mds[i], or nil when mds is nil (no item has metadata).
func metaAt(mds []messages.Metadata, i int) messages.Metadata {
	if mds == nil {
		return nil
	}
	return mds[i]
}

// metadataEqual reports whether two metadata maps hold the same entries
// (nil equals empty).
func metadataEqual(a, b messages.Metadata) bool { return maps.Equal(a, b) }
