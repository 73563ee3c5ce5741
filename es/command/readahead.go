package command

import (
	"context"
	"sync/atomic"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// A long catch-up reads in two places at once. After splitMin events read
// and applied as usual, CatchUp looks up the stream's head and splits the
// events up to it: a goroutine reads the later part into memory (copying
// the payloads, which the storage iterator reuses at its next step) while
// the caller reads and applies the earlier part, then applies the later
// part from memory. Reading is the larger cost, so on two free cores the
// two reads overlap; on one the split costs a copy of the later part and
// one goroutine switch, not one per batch as a producer/consumer pipeline
// would (measured: on a loaded two-core machine such a pipeline was slower
// than no read-ahead at all).
const (
	// splitMin: catch-ups shorter than this never start a goroutine.
	splitMin = 2048
	// splitShare is the caller's share of a split, in percent: it also
	// applies the goroutine's part, so it reads less.
	splitShare = 45
	// aheadBytes bounds the memory of the part read ahead; past it the
	// goroutine stops and the caller goes on from there.
	aheadBytes = 16 << 20
	// ctxEvery is how often (in events) a catch-up checks its context.
	ctxEvery = 256
)

// aheadEvent is what applying an event needs of it; its payload is
// ahead.payloads[start:end], start the previous event's end.
type aheadEvent struct {
	version uint64
	hash    messages.Hash
	kind    messages.EventKind
	end     int
}

// ahead holds the events read ahead, and the error that ended the read
// after them, if any.
type ahead struct {
	evs      []aheadEvent
	payloads []byte
	err      error
}

// catchUpN applies up to limit events after st.Version (0: all) as they
// are read, and returns how many it applied.
func (h *Handler[S, C]) catchUpN(ctx context.Context, st *State[S], limit int) (int, error) {
	n := 0
	for ev, err := range h.store.ReadStream(st.Coordinate, storage.StreamRange{From: st.Version + 1, Limit: limit}) {
		if err != nil {
			return n, err
		}
		if err := h.applyOne(st, ev.Version, ev.Hash, ev.Kind, ev.Payload); err != nil {
			return n, err
		}
		if n++; n%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// head returns the version of the stream's newest event (0: none).
func (h *Handler[S, C]) head(c messages.Coordinate) (uint64, error) {
	for ev, err := range h.store.ReadStream(c, storage.StreamRange{Backward: true, Limit: 1}) {
		if err != nil {
			return 0, err
		}
		return ev.Version, nil
	}
	return 0, nil
}

// catchUpLong applies the events after st.Version, splitting the reads
// while more than splitMin are left up to the head.
func (h *Handler[S, C]) catchUpLong(ctx context.Context, st *State[S]) error {
	for {
		head, err := h.head(st.Coordinate)
		if err != nil {
			return err
		}
		if head < st.Version+splitMin {
			break
		}
		before := st.Version
		if err := h.catchUpSplit(ctx, st, head); err != nil {
			return err
		}
		if st.Version == before {
			break
		}
	}
	_, err := h.catchUpN(ctx, st, 0)
	return err
}

// catchUpSplit applies the events after st.Version up to head (or up to
// where the goroutine's read stopped). It returns after the goroutine has
// ended, whatever happens.
func (h *Handler[S, C]) catchUpSplit(ctx context.Context, st *State[S], head uint64) error {
	mine := (head - st.Version) * splitShare / 100
	mid := st.Version + mine
	var a ahead
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.readAhead(st.Coordinate, mid+1, int(head-mid), &a, &stop)
	}()
	_, err := h.catchUpN(ctx, st, int(mine))
	if err != nil || st.Version != mid { // (short of mid: the caller goes on from st)
		stop.Store(true)
		<-done
		return err
	}
	<-done
	start := 0
	for _, ev := range a.evs {
		if err := h.applyOne(st, ev.version, ev.hash, ev.kind, a.payloads[start:ev.end]); err != nil {
			return err
		}
		start = ev.end
	}
	return a.err
}

// readAhead reads up to limit events of c from version from into a, until
// the read ends or fails (the error goes to a.err), stop is set, or a
// holds aheadBytes.
func (h *Handler[S, C]) readAhead(c messages.Coordinate, from uint64, limit int, a *ahead, stop *atomic.Bool) {
	a.evs = make([]aheadEvent, 0, min(limit, aheadBytes/64))
	for ev, err := range h.store.ReadStream(c, storage.StreamRange{From: from, Limit: limit}) {
		if err != nil {
			a.err = err
			return
		}
		a.payloads = append(a.payloads, ev.Payload...)
		a.evs = append(a.evs, aheadEvent{version: ev.Version, hash: ev.Hash, kind: ev.Kind, end: len(a.payloads)})
		if stop.Load() || len(a.payloads)+len(a.evs)*64 > aheadBytes {
			return
		}
	}
}
