package command

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
)

// Result is what a command did.
type Result struct {
	// Receipts are the receipts of the command's events, in the order
	// Decide returned them; none when it decided no events.
	Receipts []messages.Receipt `msgpack:"receipts"`
	// Version is the entity's version after the command (for a replay:
	// the version of the state the handler holds after catching up; for a
	// rejection: the version of the state Decide rejected it on).
	Version uint64 `msgpack:"version"`
	// Replayed is true when the command id's events were already stored:
	// Receipts are theirs and nothing was appended.
	Replayed bool `msgpack:"replayed,omitempty"`
	// Attempts is how many times the command was decided (more than 1
	// after version conflicts).
	Attempts int `msgpack:"attempts"`
}

// Handle runs the command cmd with id commandID on the entity c: Load,
// then Run.
func (h *Handler[S, C]) Handle(ctx context.Context, c messages.Coordinate, commandID string, cmd C) (Result, error) {
	if commandID == "" {
		return Result{}, fmt.Errorf("%w: empty command id", ErrInvalid)
	}
	st, err := h.Load(ctx, c)
	if err != nil {
		return Result{}, err
	}
	return h.Run(ctx, &st, commandID, cmd)
}

// Run runs the command cmd with id commandID on the state st (loaded with
// Load, kept by the caller, as the entity actor does) and leaves st at the
// entity's state after it:
//
//  0. st catches up with the events stored after st.Version (by other
//     writers), so that Decide never judges a stale state.
//  1. If the command id's events are stored, their receipts come back
//     (Replayed) after st catches up; nothing is decided or appended.
//  2. Decide(st.Value, cmd); an error is returned wrapped in ErrRejected.
//  3. The events are appended with the keys KeyOf(commandID, "0"), ...,
//     on condition that the entity is at st.Version.
//  4. On a version conflict st catches up and the command goes back to 1,
//     at most Options.MaxAttempts times in all, then a *ConflictError.
//
// Any other error of the store is returned as it is; st is then still a
// state the entity had (it may be behind: CatchUp brings it forward).
func (h *Handler[S, C]) Run(ctx context.Context, st *State[S], commandID string, cmd C) (Result, error) {
	if commandID == "" {
		return Result{}, fmt.Errorf("%w: empty command id", ErrInvalid)
	}
	if err := h.CatchUp(ctx, st); err != nil {
		return Result{}, err
	}
	var last error
	for attempt := 1; attempt <= h.o.MaxAttempts; attempt++ {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		if rs, ok, err := h.replay(st.Coordinate, commandID); err != nil || ok {
			if ok && attempt > 1 {
				err = h.CatchUp(ctx, st) // stored by a concurrent run of the command
			}
			return Result{Receipts: rs, Version: st.Version, Replayed: true, Attempts: attempt}, err
		}
		evs, err := h.decide(st.Value, cmd)
		if err != nil {
			return Result{Version: st.Version, Attempts: attempt}, err
		}
		if len(evs) == 0 {
			return Result{Version: st.Version, Attempts: attempt}, nil
		}
		rs, err := h.append(ctx, st, commandID, evs)
		switch {
		case err == nil:
			return Result{Receipts: rs, Version: st.Version, Replayed: rs[0].Replayed, Attempts: attempt}, nil
		case errors.Is(err, messages.ErrVersionConflict):
			last = err
			if err := h.CatchUp(ctx, st); err != nil {
				return Result{Attempts: attempt}, err
			}
		case errors.Is(err, messages.ErrIdempotencyConflict), errors.Is(err, messages.ErrPartialReplay):
			// The same command, run concurrently elsewhere, stored its
			// events first: step 1 of the next attempt replays them.
			last = err
		default:
			return Result{Attempts: attempt}, err
		}
	}
	if !errors.Is(last, messages.ErrVersionConflict) {
		return Result{Attempts: h.o.MaxAttempts}, last
	}
	return Result{Attempts: h.o.MaxAttempts}, &ConflictError{Coordinate: st.Coordinate, Attempts: h.o.MaxAttempts, Last: last}
}

// key returns the idempotency key of the command's i-th event.
func key(commandID string, i int) messages.ID { return messages.KeyOf(commandID, strconv.Itoa(i)) }

// replay returns the receipts of the command's stored events, if its
// first event is stored.
func (h *Handler[S, C]) replay(c messages.Coordinate, commandID string) ([]messages.Receipt, bool, error) {
	var rs []messages.Receipt
	for i := 0; ; i++ {
		ev, err := h.store.Get(messages.IDFromKey(key(commandID, i)))
		if isNotFound(err) {
			return rs, len(rs) > 0, nil
		}
		if err != nil {
			return nil, false, err
		}
		if ev.Coordinate != c {
			return nil, false, fmt.Errorf("%w: command %q stored event %s on %s, not %s", ErrCommandIDReused, commandID, ev.ID, ev.Coordinate, c)
		}
		r := ev.Receipt()
		r.Replayed = true
		rs = append(rs, r)
	}
}

// decide runs Decide, turning an error or a panic into ErrRejected.
func (h *Handler[S, C]) decide(s S, cmd C) (evs []any, err error) {
	defer func() {
		if p := recover(); p != nil {
			evs, err = nil, fmt.Errorf("%w: Decide panicked: %v", ErrRejected, p)
		}
	}()
	evs, err = h.d.Decide(s, cmd)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRejected, err)
	}
	return evs, nil
}

// expect is the condition "the entity is at version v".
func expect(v uint64) messages.ExpectedVersion {
	if v == 0 {
		return messages.NoStream()
	}
	return messages.Exactly(v)
}

// append appends the decided events on condition that the entity is at
// st.Version, then applies them to st.
func (h *Handler[S, C]) append(ctx context.Context, st *State[S], commandID string, evs []any) ([]messages.Receipt, error) {
	r, c := h.d.Registry, st.Coordinate
	var rs []messages.Receipt
	var kinds []messages.EventKind
	var payloads [][]byte
	if len(evs) == 1 {
		a, err := typed.Append(r, c, evs[0], typed.Expect(expect(st.Version)), typed.Key(key(commandID, 0)))
		if err != nil {
			return nil, err
		}
		rc, err := h.store.Append(ctx, a)
		if err != nil {
			return nil, err
		}
		rs, kinds, payloads = []messages.Receipt{rc}, []messages.EventKind{a.Kind}, [][]byte{a.Payload}
	} else {
		items := make(messages.BatchItems, len(evs))
		for i, v := range evs {
			opts := []typed.Option{typed.Key(key(commandID, i))}
			if i == 0 {
				opts = append(opts, typed.Expect(expect(st.Version)))
			}
			it, err := typed.Item(r, c, v, opts...)
			if err != nil {
				return nil, err
			}
			items[i] = it
			kinds, payloads = append(kinds, it.Kind), append(payloads, it.Payload)
		}
		var err error
		if rs, err = h.store.AppendBatch(ctx, &messages.AppendBatch{Items: items}); err != nil {
			return nil, err
		}
	}
	if rs[0].Replayed {
		// Stored before (a concurrent run of the same command): st is
		// not the state these events were decided on.
		return rs, h.CatchUp(ctx, st)
	}
	before := st.Version
	for i := range rs {
		if err := h.apply(st, kinds[i], payloads[i]); err != nil {
			return rs, fmt.Errorf("command: %s version %d: %w", c, rs[i].Version, err)
		}
		st.Version, st.Hash = rs[i].Version, rs[i].Hash
	}
	h.maybeSnapshot(st, before)
	return rs, nil
}
