package command_test

import (
	"context"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/command"
	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// BenchmarkLoad loads an entity of 10,000 events (one Opened, then
// Deposited): from an in-memory snapshot taken 100 events ago (target
// <= 1 ms per load), and from its events alone, beside the raw streaming
// read of the same events (Store.ReadStream, no decoding) timed in the same
// loop; the metric load/stream is the load's share of the streaming read's
// speed.
//
//	go test ./es/command -run '^$' -bench Load -benchtime 200x
func BenchmarkLoad(b *testing.B) {
	const events, behind = 10_000, 100
	s := spawnStore(b)
	d := decider(b)
	ctx := context.Background()
	// The snapshot: the state at version events-behind, through the
	// handler's own load; then the last events.
	fill(b, s, d.Registry, 0, events-behind)
	plain, err := command.New(s, d, command.Options{})
	if err != nil {
		b.Fatal(err)
	}
	st, err := plain.Load(ctx, acct)
	if err != nil {
		b.Fatal(err)
	}
	data, err := msgpack.Marshal(st.Value)
	if err != nil {
		b.Fatal(err)
	}
	snaps := newMemSnapshots()
	if err := snaps.Save(command.Snapshot{Coordinate: acct, Type: d.Type, Version: st.Version, EventHash: st.Hash, Data: data}); err != nil {
		b.Fatal(err)
	}
	fill(b, s, d.Registry, events-behind, behind)
	withSnaps, err := command.New(s, d, command.Options{Snapshots: snaps})
	if err != nil {
		b.Fatal(err)
	}

	b.Run("from=snapshot/events=10000/behind=100", func(b *testing.B) {
		for b.Loop() {
			st, err := withSnaps.Load(ctx, acct)
			if err != nil || st.Version != events || st.FromSnapshot != events-behind {
				b.Fatal(err, st.Version, st.FromSnapshot)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/load")
	})
	b.Run("from=events/events=10000", func(b *testing.B) {
		var load, stream time.Duration
		for b.Loop() {
			t0 := time.Now()
			st, err := plain.Load(ctx, acct)
			if err != nil || st.Version != events {
				b.Fatal(err)
			}
			t1 := time.Now()
			n := 0
			for _, err := range s.ReadStream(acct, storage.StreamRange{}) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != events {
				b.Fatal(n)
			}
			load, stream = load+t1.Sub(t0), stream+time.Since(t1)
		}
		b.ReportMetric(float64(events)*float64(b.N)/load.Seconds(), "load-events/s")
		b.ReportMetric(float64(events)*float64(b.N)/stream.Seconds(), "stream-events/s")
		b.ReportMetric(stream.Seconds()/load.Seconds(), "load/stream")
	})
}

// fill appends n events to acct, in batches: Opened as version 1, then
// Deposited; from is the number of events already there.
func fill(b testing.TB, s *actors.Store, r *typed.Registry, from, n int) {
	ctx := context.Background()
	var items messages.BatchItems
	flush := func() {
		if _, err := s.AppendBatch(ctx, &messages.AppendBatch{Items: items}); err != nil {
			b.Fatal(err)
		}
		items = items[:0]
	}
	for i := from; i < from+n; i++ {
		var v any = Deposited{Amount: 1}
		if i == 0 {
			v = Opened{Owner: "ann"}
		}
		it, err := typed.Item(r, acct, v)
		if err != nil {
			b.Fatal(err)
		}
		items = append(items, it)
		if len(items) == 1000 {
			flush()
		}
	}
	if len(items) > 0 {
		flush()
	}
}
