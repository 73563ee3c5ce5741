package command

import (
	"context"
	"errors"
	"fmt"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// State is an entity's state as loaded: the value and the version and
// hash of the last event it reflects.
type State[S any] struct {
	// Coordinate is the entity.
	Coordinate messages.Coordinate
	// Value is the state.
	Value S
	// Version is the entity's version Value reflects (0: no events).
	Version uint64
	// Hash is the Hash of the event at Version (zero at version 0).
	Hash messages.Hash
	// FromSnapshot is the version of the snapshot the load started from;
	// 0 when it read every event.
	FromSnapshot uint64
}

// Load returns the current state of the entity c: from its latest valid
// snapshot (if Options.Snapshots is set) plus the events after it, or from
// all of its events. An event that does not decode (a typed error of
// es/typed) or an Evolve that panics (ErrEvolve) fails the load: the
// state is never silently wrong.
func (h *Handler[S, C]) Load(ctx context.Context, c messages.Coordinate) (State[S], error) {
	st := State[S]{Coordinate: c, Value: h.initial()}
	if err := ctx.Err(); err != nil {
		return st, err
	}
	if h.o.Snapshots != nil {
		if sn, ok := h.snapshot(c); ok {
			st = sn
		}
	}
	err := h.CatchUp(ctx, &st)
	return st, err
}

func (h *Handler[S, C]) initial() S {
	if h.d.Initial != nil {
		return h.d.Initial()
	}
	var s S
	return s
}

// snapshot returns the state of c's latest snapshot if it matches the
// log, reporting it otherwise.
func (h *Handler[S, C]) snapshot(c messages.Coordinate) (State[S], bool) {
	ignore := func(v uint64, reason string, err error) (State[S], bool) {
		h.report(&SnapshotError{Coordinate: c, Type: h.d.Type, Version: v, Reason: reason, Op: ErrSnapshotIgnored, Err: err})
		return State[S]{}, false
	}
	sn, ok, err := h.o.Snapshots.Latest(c, h.d.Type)
	switch {
	case err != nil:
		return ignore(0, "Latest failed", err)
	case !ok:
		return State[S]{}, false
	case sn.Coordinate != c || sn.Type != h.d.Type:
		return ignore(sn.Version, fmt.Sprintf("snapshot is of %s type %q", sn.Coordinate, sn.Type), nil)
	case sn.Version == 0:
		return ignore(0, "version 0", nil)
	}
	var at messages.Event
	found := false
	for ev, err := range h.store.ReadStream(c, storage.StreamRange{From: sn.Version, Limit: 1}) {
		if err != nil {
			return ignore(sn.Version, "reading the event at its version failed", err)
		}
		at, found = ev, ev.Version == sn.Version
	}
	if !found {
		return ignore(sn.Version, "version beyond the stream", nil)
	}
	if at.Hash != sn.EventHash {
		return ignore(sn.Version, "event hash differs from the stored event's", nil)
	}
	var v S
	if err := msgpack.Unmarshal(sn.Data, &v); err != nil {
		return ignore(sn.Version, "data does not decode", err)
	}
	return State[S]{Coordinate: c, Value: v, Version: sn.Version, Hash: at.Hash, FromSnapshot: sn.Version}, true
}

// ctxEvery is how often (in events) a catch-up checks its context.
const ctxEvery = 256

// CatchUp applies to st the entity's events after st.Version. On an error
// st stays at the last event applied; a canceled ctx ends it within
// ctxEvery events.
func (h *Handler[S, C]) CatchUp(ctx context.Context, st *State[S]) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	n := 0
	for ev, rerr := range h.store.ReadStream(st.Coordinate, storage.StreamRange{From: st.Version + 1}) {
		if rerr != nil {
			return rerr
		}
		if err := h.applyOne(st, ev.Version, ev.Hash, ev.Kind, ev.Payload); err != nil {
			return err
		}
		if n++; n%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyOne applies the event at version (of kind, with hash and payload)
// to st, which must be at the version before.
func (h *Handler[S, C]) applyOne(st *State[S], version uint64, hash messages.Hash, kind messages.EventKind, payload []byte) error {
	if version != st.Version+1 {
		return fmt.Errorf("command: %s: read version %d after %d: %w", st.Coordinate, version, st.Version, messages.ErrCorrupt)
	}
	if err := h.apply(st, kind, payload); err != nil {
		return fmt.Errorf("command: %s version %d: %w", st.Coordinate, version, err)
	}
	st.Version, st.Hash = version, hash
	return nil
}

// apply decodes one event and evolves st.Value with it.
func (h *Handler[S, C]) apply(st *State[S], kind messages.EventKind, payload []byte) (err error) {
	v, err := typed.DecodePayload(h.d.Registry, kind, payload)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: kind %s: panic: %v", ErrEvolve, kind, p)
		}
	}()
	st.Value = h.d.Evolve(st.Value, v)
	return nil
}

// isNotFound reports whether a Get error says the event does not exist.
func isNotFound(err error) bool { return errors.Is(err, messages.ErrNotFound) }
