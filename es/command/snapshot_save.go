package command

import (
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// Snapshot saves st as a snapshot of its entity (Options.Snapshots must be
// set). A failure is returned as a *SnapshotError (ErrSnapshotSave) and
// also reported as an automatic save's is.
func (h *Handler[S, C]) Snapshot(st State[S]) error {
	fail := func(reason string, err error) error {
		e := &SnapshotError{Coordinate: st.Coordinate, Type: h.d.Type, Version: st.Version, Reason: reason, Op: ErrSnapshotSave, Err: err}
		h.report(e)
		return e
	}
	if h.o.Snapshots == nil {
		return fail("no Snapshots configured", ErrInvalid)
	}
	if st.Version == 0 {
		return fail("an entity without events has no snapshot", ErrInvalid)
	}
	data, err := msgpack.Marshal(st.Value)
	if err != nil {
		return fail("state does not encode", err)
	}
	sn := Snapshot{Coordinate: st.Coordinate, Type: h.d.Type, Version: st.Version, EventHash: st.Hash,
		Data: data, WallMS: time.Now().UnixMilli()}
	if err := h.o.Snapshots.Save(sn); err != nil {
		return fail("Save failed", err)
	}
	h.saved.Add(1)
	return nil
}

// maybeSnapshot saves a snapshot when the entity went from version before
// across a multiple of Options.SnapshotEvery. A failure is only reported.
func (h *Handler[S, C]) maybeSnapshot(st *State[S], before uint64) {
	n := h.o.SnapshotEvery
	if h.o.Snapshots == nil || n == 0 || st.Version/n == before/n {
		return
	}
	_ = h.Snapshot(*st)
}
