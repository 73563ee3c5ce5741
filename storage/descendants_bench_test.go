//go:build linux

package storage

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/batpak-go/batpak/messages"
)

// BenchmarkDescendants walks a chain of reactions three levels deep (six
// events across entities) in a store of benchStoreEvents() events (1M by
// default; BATPAK_BENCH_EVENTS), a fifth of which have a causation:
//   - warm: the causation table is complete (the events were appended in
//     this session, or an earlier Descendants read them);
//   - first-after-open/root=recent: the first call after Open, for a root
//     written in the last 1% of the log (it reads the causation of the
//     events after the root from their frames, once);
//   - first-after-open/root=oldest: the same for the log's first event
//     (it reads the whole log once).
func BenchmarkDescendants(b *testing.B) {
	n, err := benchStoreEvents()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	first, recent := fillDescendantsStore(b, dir, n)
	e, err := Open(dir, Options{SyncMode: SyncNone})
	if err != nil {
		b.Fatal(err)
	}
	want := func(e *Engine, id messages.ID, min int) {
		evs, err := e.Descendants(id)
		if err != nil || len(evs) < min {
			b.Fatalf("descendants: %d, %v", len(evs), err)
		}
	}
	b.Run(fmt.Sprintf("events=%d/warm", n), func(b *testing.B) {
		want(e, recent, 5)
		for b.Loop() {
			want(e, recent, 5)
		}
	})
	if err := e.Close(); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		root messages.ID
	}{{"root=recent", recent}, {"root=oldest", first}} {
		b.Run(fmt.Sprintf("events=%d/first-after-open/%s", n, c.name), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				e, err := Open(dir, Options{SyncMode: SyncNone})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				want(e, c.root, 0)
				b.StopTimer()
				b.ReportMetric(float64(e.Stats().IndexBytes)/float64(n), "index-B/event")
				e.Close()
				b.StartTimer()
			}
		})
	}
}

// fillDescendantsStore writes n events of 100-byte payloads to dir (a
// fifth caused by a random earlier event) with a chain three levels deep
// rooted in the last 1%, and returns the first event's id and the chain's
// root.
func fillDescendantsStore(b *testing.B, dir string, n int) (first, root messages.ID) {
	b.Helper()
	e, err := Open(dir, Options{SyncMode: SyncNone})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	payload := make([]byte, 100)
	var sample []messages.ID
	var chain []messages.ID
	at := n - n/100 - 1
	for i := range n {
		a := messages.Append{Coordinate: messages.Coordinate{Entity: fmt.Sprintf("e%d", rng.IntN(10000)), Scope: "bench"},
			Kind: testKind, Payload: payload}
		switch {
		case i == at:
			a.CausationID = messages.ID{}
		case i > at && len(chain) < 6 && i%7 == 0:
			a.CausationID = chain[[]int{0, 0, 1, 1, 3, 4}[len(chain)]]
		case len(sample) > 0 && rng.IntN(5) == 0:
			a.CausationID = sample[rng.IntN(len(sample))]
		}
		r, err := e.Append(&a)
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			first = r.EventID
		}
		if i == at || (i > at && !a.CausationID.IsZero() && len(chain) < 6 && i%7 == 0) {
			chain = append(chain, r.EventID)
		}
		if len(sample) < 4096 {
			sample = append(sample, r.EventID)
		} else if rng.IntN(64) == 0 {
			sample[rng.IntN(len(sample))] = r.EventID
		}
		if i%1000 == 999 {
			if err := e.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := e.Close(); err != nil {
		b.Fatal(err)
	}
	if len(chain) < 6 {
		fmt.Fprintf(os.Stderr, "chain of %d events only\n", len(chain))
	}
	return first, chain[0]
}
