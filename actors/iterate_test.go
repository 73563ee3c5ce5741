package actors

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
)

// fillStore appends n events over entities entities through the store, in
// atomic batches of 100; event i has payload "p<i>".
func fillStore(t *testing.T, f *fixture, n, entities int) {
	for done := 0; done < n; {
		var items []messages.BatchItem
		for i := done; i < min(done+100, n); i++ {
			items = append(items, messages.BatchItem{Coordinate: coord(fmt.Sprintf("e%d", i%entities)), Kind: kind,
				Payload: []byte(fmt.Sprintf("p%d", i))})
		}
		_, err := f.store.AppendBatch(ctx(t), &messages.AppendBatch{Items: items})
		require.NoError(t, err)
		done += len(items)
	}
}

// collectRead runs a read to its end, copying payloads; at the event
// numbered at (0-based), it calls hook.
func collectRead(t *testing.T, seq func(func(messages.Event, error) bool), at int, hook func()) []messages.Event {
	t.Helper()
	var out []messages.Event
	for ev, err := range seq {
		require.NoError(t, err)
		ev.Payload = bytes.Clone(ev.Payload)
		out = append(out, ev)
		if len(out)-1 == at {
			hook()
		}
	}
	return out
}

func sameIDsAndPayloads(t *testing.T, want, got []messages.Event, what string) {
	t.Helper()
	require.Equal(t, len(want), len(got), "%s: events read", what)
	for i := range want {
		require.Equal(t, want[i].ID, got[i].ID, "%s: event %d", what, i)
		require.Equal(t, want[i].Payload, got[i].Payload, "%s: event %d", what, i)
	}
}

// The store's iterators read what its slice reads return.
func TestStoreReadMatchesQueryAndStream(t *testing.T) {
	f := spawn(t, Config{})
	fillStore(t, f, 700, 3)
	for _, flt := range []storage.Filter{{}, {Backward: true}, {Limit: 5, Backward: true}, {FromSeq: 10, BeforeSeq: 600, EntityPrefix: "e1"}} {
		want, err := f.store.Query(flt)
		require.NoError(t, err)
		sameIDsAndPayloads(t, want, collectRead(t, f.store.Read(flt), -1, nil), fmt.Sprintf("%+v", flt))
	}
	for _, r := range []storage.StreamRange{{}, {From: 3}, {Backward: true}, {Backward: true, From: 7, Limit: 3}} {
		got := collectRead(t, f.store.ReadStream(coord("e2"), r), -1, nil)
		full, err := f.store.Stream(coord("e2"), 1)
		require.NoError(t, err)
		var want []messages.Event
		for _, ev := range full {
			top := uint64(len(full))
			if r.Backward && r.From != 0 {
				top = r.From
			}
			if !r.Backward && ev.Version >= max(r.From, 1) || r.Backward && ev.Version <= top {
				want = append(want, ev)
			}
		}
		if r.Backward {
			for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
				want[i], want[j] = want[j], want[i]
			}
		}
		if r.Limit > 0 {
			want = want[:r.Limit]
		}
		sameIDsAndPayloads(t, want, got, fmt.Sprintf("%+v", r))
	}
}

// TestStoreReadGoesOnAcrossWriterRestarts crashes the writer in the middle
// of each read (the restart releases the engine the read was on): every
// read still yields each event it selects once, in order, then ends.
func TestStoreReadGoesOnAcrossWriterRestarts(t *testing.T) {
	const n, entities = 1600, 2
	f := spawn(t, Config{Policy: supervision.Bounded(20, time.Minute)})
	fillStore(t, f, n, entities)
	restarts := 0
	crash := func() {
		restarts++
		f.sys.Root.Send(f.store.Writer(), &faults.Panic{Reason: "injected"})
		require.Eventually(t, func() bool { return f.store.Restarts() == restarts }, 10*time.Second, time.Millisecond)
	}
	all, err := f.store.Query(storage.Filter{})
	require.NoError(t, err)
	require.Len(t, all, n)
	backward := func(evs []messages.Event) []messages.Event {
		out := append([]messages.Event(nil), evs...)
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		return out
	}
	var stream []messages.Event
	for _, ev := range all {
		if ev.Coordinate == coord("e1") {
			stream = append(stream, ev)
		}
	}
	for _, c := range []struct {
		name string
		seq  func(func(messages.Event, error) bool)
		want []messages.Event
	}{
		{"forward", f.store.Read(storage.Filter{}), all},
		{"backward", f.store.Read(storage.Filter{Backward: true}), backward(all)},
		{"limit", f.store.Read(storage.Filter{Limit: 1000}), all[:1000]},
		{"backward limit", f.store.Read(storage.Filter{Backward: true, Limit: 1000}), backward(all)[:1000]},
		{"stream", f.store.ReadStream(coord("e1"), storage.StreamRange{}), stream},
		{"stream backward", f.store.ReadStream(coord("e1"), storage.StreamRange{Backward: true}), backward(stream)},
	} {
		before := restarts
		got := collectRead(t, c.seq, 3, crash)
		require.Equal(t, before+1, restarts, c.name)
		sameIDsAndPayloads(t, c.want, got, c.name)
	}
	// The restarts really cut the reads: each read's first engine is gone.
	require.Equal(t, 6, f.store.Restarts())
}

// A read after Close ends with the closed store's error.
func TestStoreReadAfterCloseIsAnError(t *testing.T) {
	f := spawn(t, Config{})
	fillStore(t, f, 10, 1)
	require.NoError(t, f.store.Close(ctx(t)))
	for _, seq := range []func(func(messages.Event, error) bool){f.store.Read(storage.Filter{}),
		f.store.ReadStream(coord("e0"), storage.StreamRange{})} {
		errs := 0
		for _, err := range seq {
			require.ErrorIs(t, err, messages.ErrClosed)
			errs++
		}
		require.Equal(t, 1, errs)
	}
}
