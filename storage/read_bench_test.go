//go:build linux

package storage

import (
	"fmt"
	"os"
	"testing"

	"github.com/batpak-go/batpak/messages"
)

// BenchmarkRead reads a store laid out like bench/'s: benchPayloadSize-byte
// payloads over benchEntities entities, filled with atomic batches of
// benchEntities events (one per entity, SyncNone) and closed cleanly, so
// that every segment is sealed (and mapped) when it is read. Its size is
// BATPAK_BENCH_EVENTS (default 1,000,000). One op is one whole read:
// path=scan reads every event, path=entity one entity's events.
func BenchmarkRead(b *testing.B) {
	n, err := benchStoreEvents()
	if err != nil {
		b.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "batpak-read-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := buildReadBenchStore(dir, n); err != nil {
		b.Fatal(err)
	}
	e, err := Open(dir, Options{SyncMode: SyncNone})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = e.Close() })
	perEntity := n / benchEntities
	entity := messages.Coordinate{Entity: "order/0", Scope: "bench"}
	cases := []struct {
		name string
		want int
		read func() (int, error)
	}{
		{"path=scan/api=iterator", n, func() (int, error) { return countRead(e.Read(Filter{})) }},
		{"path=scan/api=slice", n, func() (int, error) { return countSlice(e.Query(Filter{})) }},
		{"path=entity/dir=forward/api=iterator", perEntity, func() (int, error) { return countRead(e.ReadStream(entity, StreamRange{})) }},
		{"path=entity/dir=backward/api=iterator", perEntity, func() (int, error) {
			return countRead(e.ReadStream(entity, StreamRange{Backward: true}))
		}},
		{"path=entity/dir=forward/api=slice", perEntity, func() (int, error) { return countSlice(e.Stream(entity, 1)) }},
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("events=%d/%s", n, c.name), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				got, err := c.read()
				if err != nil {
					b.Fatal(err)
				}
				if got != c.want {
					b.Fatalf("read %d events, want %d", got, c.want)
				}
			}
			reportEventRate(b, c.want*b.N)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*c.want), "ns/event")
		})
	}
}

// countRead runs a read to its end and counts its events.
func countRead(seq func(func(messages.Event, error) bool)) (int, error) {
	n := 0
	for _, err := range seq {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func countSlice(evs []messages.Event, err error) (int, error) { return len(evs), err }

// buildReadBenchStore fills dir with n events in atomic batches of
// benchEntities events, one per entity, and closes it cleanly.
func buildReadBenchStore(dir string, n int) error {
	e, err := Open(dir, Options{SyncMode: SyncNone})
	if err != nil {
		return err
	}
	w := newBenchWorkload()
	items := make([]messages.BatchItem, benchEntities)
	for done := 0; done < n; {
		k := min(len(items), n-done)
		w.fillBatch(items[:k])
		if _, err := e.AppendBatch(&messages.AppendBatch{Items: items[:k]}); err != nil {
			_ = e.Close()
			return err
		}
		if err := e.Commit(); err != nil {
			_ = e.Close()
			return err
		}
		done += k
	}
	return e.Close()
}
