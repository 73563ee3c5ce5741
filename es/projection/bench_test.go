package projection_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/projection"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
)

// Benchmarks. BATPAK_BENCH_EVENTS sets the size of BenchmarkRebuild's store
// (default 20,000, so that go test -bench stays fast; the target is
// measured at 1,000,000):
//
//	BATPAK_BENCH_EVENTS=1000000 go test ./es/projection -run '^$' -bench Rebuild -benchtime 3x
//	go test ./es/projection -run '^$' -bench LiveLag -benchtime 200000x

const benchEventsEnv = "BATPAK_BENCH_EVENTS"

func benchEvents() int {
	if n, err := strconv.Atoi(os.Getenv(benchEventsEnv)); err == nil && n > 0 {
		return n
	}
	return 20_000
}

// fillStore writes n events (256-byte payloads, 1,000 entities, batches of
// 1,000) with the engine, and closes it.
func fillStore(b *testing.B, dir string, n int) {
	e, err := storage.Open(dir, storage.Options{SyncMode: storage.SyncNone})
	if err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, 256)
	for i := 0; i < n; {
		batch := &messages.AppendBatch{}
		for j := 0; j < 1000 && i < n; j, i = j+1, i+1 {
			batch.Items = append(batch.Items, messages.BatchItem{Kind: deposited, Payload: payload,
				Coordinate: messages.Coordinate{Entity: fmt.Sprintf("acct/%d", i%1000), Scope: "bank"}})
		}
		if _, err := e.AppendBatch(batch); err != nil {
			b.Fatal(err)
		}
		if err := e.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	if err := e.Close(); err != nil {
		b.Fatal(err)
	}
}

// balances is a typical small projection: events and bytes per account.
type balances struct {
	Events map[string]int
	Bytes  int64
}

func applyBalances(s balances, ev messages.Event) (balances, error) {
	s.Events[ev.Coordinate.Entity]++
	s.Bytes += int64(len(ev.Payload))
	return s, nil
}

// BenchmarkRebuild rebuilds a projection of the whole log with Fold and
// compares it with the raw scan (a Store.Read loop doing nothing) in the
// same run: fold/scan is the share of the scan rate a rebuild keeps
// (target >= 0.5).
func BenchmarkRebuild(b *testing.B) {
	n := benchEvents()
	dir := b.TempDir()
	fillStore(b, dir, n)
	sys := quietSystem()
	s, err := actors.Spawn(sys, actors.Config{Dir: dir, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer sys.Shutdown()
	defer s.Close(context.Background())
	count := func(c int, _ messages.Event) (int, error) { return c + 1, nil }
	for _, apply := range []string{"count", "map"} {
		b.Run("apply="+apply, func(b *testing.B) {
			var scan, fold time.Duration
			for i := 0; i < b.N; i++ {
				for k := 0; k < 2; k++ {
					t0 := time.Now()
					if k == i%2 { // alternate which goes first
						seen := 0
						for _, err := range s.Read(storage.Filter{}) {
							if err != nil {
								b.Fatal(err)
							}
							seen++
						}
						scan += time.Since(t0)
						if seen != n {
							b.Fatalf("seen %d", seen)
						}
						continue
					}
					var next uint64
					var err error
					if apply == "count" {
						_, next, err = projection.Fold(context.Background(), s, storage.Filter{}, 0, count)
					} else {
						_, next, err = projection.Fold(context.Background(), s, storage.Filter{}, balances{Events: map[string]int{}}, applyBalances)
					}
					fold += time.Since(t0)
					if err != nil || next != uint64(n) {
						b.Fatalf("next %d err %v", next, err)
					}
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/scan.Seconds(), "scan-events/s")
			b.ReportMetric(float64(n)*float64(b.N)/fold.Seconds(), "fold-events/s")
			b.ReportMetric(scan.Seconds()/fold.Seconds(), "fold/scan")
		})
	}
	// live: a live projection spawned without a checkpoint catches up on
	// the whole log (in steps, answering queries between them) until a
	// WaitFor of the last event returns; state-ms is how long a State
	// query sent right after Spawn waited for its answer (the worst of
	// the b.N runs).
	b.Run("apply=map/live", func(b *testing.B) {
		var scan, live, query time.Duration
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			for _, err := range s.Read(storage.Filter{}) {
				if err != nil {
					b.Fatal(err)
				}
			}
			scan += time.Since(t0)
			t0 = time.Now()
			p, err := projection.Spawn(s, projection.Config[balances]{Initial: func() balances { return balances{Events: map[string]int{}} },
				Apply: applyBalances, Clone: func(b balances) balances { return balances{Bytes: b.Bytes} }})
			if err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if _, _, err := p.State(context.Background()); err != nil {
				b.Fatal(err)
			}
			query = max(query, time.Since(t1))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			_, next, err := p.WaitFor(ctx, uint64(n-1))
			cancel()
			if err != nil || next != uint64(n) {
				b.Fatalf("next %d err %v", next, err)
			}
			live += time.Since(t0)
			if err := p.Stop(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/scan.Seconds(), "scan-events/s")
		b.ReportMetric(float64(n)*float64(b.N)/live.Seconds(), "live-events/s")
		b.ReportMetric(scan.Seconds()/live.Seconds(), "live/scan")
		b.ReportMetric(float64(query.Microseconds())/1000, "state-ms")
	})
}

// BenchmarkLiveLag appends b.N durable events from 256 producers while a
// live projection (checkpointing every 1,000 events) follows, and samples
// its lag (the log's next sequence minus the projection's position) every
// millisecond: lag-p50/p99/max in events, and how long the projection
// took to reach the last event after the producers were done.
func BenchmarkLiveLag(b *testing.B) {
	const producers = 256
	dir := b.TempDir()
	sys := quietSystem()
	s, err := actors.Spawn(sys, actors.Config{Dir: filepath.Join(dir, "store"), Policy: supervision.Once(), Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer sys.Shutdown()
	defer s.Close(context.Background())
	p, err := projection.Spawn(s, projection.Config[balances]{Name: "balances", Dir: filepath.Join(dir, "proj"),
		Initial: func() balances { return balances{Events: map[string]int{}} }, Apply: applyBalances,
		Clone: func(b balances) balances { return balances{Events: map[string]int{}, Bytes: b.Bytes} }})
	if err != nil {
		b.Fatal(err)
	}
	var lags []uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if st, err := s.Stats(); err == nil {
					lags = append(lags, st.NextSequence-min(st.NextSequence, p.Position()))
				}
			}
		}
	}()
	payload := make([]byte, 256)
	var left atomic.Int64
	left.Store(int64(b.N))
	var last atomic.Uint64
	var wg sync.WaitGroup
	b.ResetTimer()
	t0 := time.Now()
	for g := 0; g < producers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; left.Add(-1) >= 0; i += producers {
				r, err := s.Append(context.Background(), &messages.Append{Kind: deposited, Payload: payload,
					Coordinate: messages.Coordinate{Entity: fmt.Sprintf("acct/%d", i%1000), Scope: "bank"}})
				if err != nil {
					b.Error(err)
					return
				}
				for old := last.Load(); r.Sequence > old && !last.CompareAndSwap(old, r.Sequence); old = last.Load() {
				}
			}
		}()
	}
	wg.Wait()
	appended := time.Since(t0)
	t1 := time.Now()
	if _, _, err := p.WaitFor(context.Background(), last.Load()); err != nil {
		b.Fatal(err)
	}
	drain := time.Since(t1)
	b.StopTimer()
	close(stop)
	<-sampled
	slices.Sort(lags)
	if len(lags) > 0 {
		b.ReportMetric(float64(lags[len(lags)/2]), "lag-p50")
		b.ReportMetric(float64(lags[len(lags)*99/100]), "lag-p99")
		b.ReportMetric(float64(lags[len(lags)-1]), "lag-max")
	}
	b.ReportMetric(float64(b.N)/appended.Seconds(), "appends/s")
	b.ReportMetric(float64(drain.Microseconds())/1000, "drain-ms")
	if err := p.Stop(context.Background()); err != nil {
		b.Fatal(err)
	}
}
