package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/storage"
)

// Remote appends against local ones and against protoactor's bare remote
// request/response, in one run: two actor systems in this process on
// loopback (remotePair), node A holding a store with its default durable
// commits. Six cells — bare, local and remote, each with 1 and 64
// concurrent senders (goroutines in a RequestFuture loop) — run
// interleaved: each cell twice for half of -remote.cell, in the order
// 1..6 then 6..1, so a slow spell of the shared machine falls on all of
// them. One benchmark iteration is one such pass; -count gives several.
//
//	cd bench && go test -run '^$' -bench RemoteAppends -benchtime 1x -count 5
//
// -remote.cells=remote1,local1 runs only those cells (for a profile);
// -remote.nosync runs the store without fsyncs (a diagnosis, not the
// targets: they are about durable appends).
// Per cell it reports <cell>-p50-us, -p99-us, -ops/s (requests or appends
// per second) and -cpu-us/op (the whole process, both nodes); and the
// issue's two targets as ratios of the same pass:
//
//	p50-target = remote1 p50 / (local1 p50 + 2 × bare1 p50)   (met when ≤ 1)
//	rate-target = remote64 appends/s / local64 appends/s      (met when ≥ 0.5)
var (
	remoteCellDur = flag.Duration("remote.cell", time.Second, "time each cell of BenchmarkRemoteAppends runs per pass")
	remoteOnly    = flag.String("remote.cells", "", "comma-separated cells of BenchmarkRemoteAppends to run (default all; for profiles)")
	remoteNoSync  = flag.Bool("remote.nosync", false, "BenchmarkRemoteAppends without fsyncs (storage.SyncNone), to tell the transport's cost from the disk's")
)

func BenchmarkRemoteAppends(b *testing.B) {
	cfg := actors.Config{Dir: b.TempDir()} // durable: storage.SyncEveryCommit
	if *remoteNoSync {
		cfg.Storage.SyncMode = storage.SyncNone
	}
	p, err := newRemotePair(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := p.Close(); err != nil {
			b.Error(err)
		}
	}()
	ctx := context.Background()
	var cells []remoteCell
	for _, c := range remoteCells(p) {
		if *remoteOnly == "" || slices.Contains(strings.Split(*remoteOnly, ","), c.name) {
			cells = append(cells, c)
		}
	}
	// Warm up: connections both ways, the writer, the segment file.
	for _, c := range cells {
		if _, err := runCell(ctx, min(c.senders, 8), 100*time.Millisecond, c.op); err != nil {
			b.Fatalf("warm-up %s: %v", c.name, err)
		}
	}
	res := make([]cellResult, len(cells))
	order := make([]int, 0, 2*len(cells))
	for i := range cells {
		order = append(order, i)
	}
	for i := range cells {
		order = append(order, len(cells)-1-i)
	}
	b.ResetTimer()
	for range b.N {
		for _, i := range order {
			r, err := runCell(ctx, cells[i].senders, *remoteCellDur/2, cells[i].op)
			if err != nil {
				b.Fatalf("%s: %v", cells[i].name, err)
			}
			res[i].merge(r)
		}
	}
	b.StopTimer()
	b.ReportMetric(0, "ns/op") // a pass's length says nothing
	byName := map[string]*cellResult{}
	for i, c := range cells {
		r := &res[i]
		byName[c.name] = r
		p50, p99 := us(r.lat.Percentile(0.5)), us(r.lat.Percentile(0.99))
		b.ReportMetric(p50, c.name+"-p50-us")
		b.ReportMetric(p99, c.name+"-p99-us")
		b.ReportMetric(r.rate(), c.name+"-ops/s")
		line := fmt.Sprintf("%-9s p50 %7.0f µs  p99 %7.0f µs  %8.0f ops/s", c.name, p50, p99, r.rate())
		if r.cpuKnown {
			b.ReportMetric(r.cpuPerOp(), c.name+"-cpu-us/op")
			line += fmt.Sprintf("  %5.1f cpu-µs/op", r.cpuPerOp())
		}
		b.Log(line)
	}
	if len(byName) < 6 {
		return // the targets need every cell
	}
	t := remoteTargets(byName)
	b.ReportMetric(t.p50Ratio, "p50-target")
	b.ReportMetric(t.rateRatio, "rate-target")
	b.Logf("p50 target: remote1 %.0f µs vs local1 + 2×bare1 = %.0f µs: ratio %.2f (met when ≤ 1)", t.remoteP50, t.boundP50, t.p50Ratio)
	b.Logf("rate target: remote64 / local64 = %.2f (met when ≥ 0.5)", t.rateRatio)
}

// remoteCell is one interleaved measurement: senders goroutines calling op.
type remoteCell struct {
	// name is the metrics' prefix, e.g. remote64.
	name string
	// senders is the number of concurrent senders.
	senders int
	// appends says whether op appends an event to the store.
	appends bool
	// op is one request; sender is the goroutine's number, i its count.
	op func(sender, i int) error
}

// remoteCells are the benchmark's cells on p.
func remoteCells(p *remotePair) []remoteCell {
	var cs []remoteCell
	for _, n := range []int{1, 64} {
		cs = append(cs,
			remoteCell{name: fmt.Sprintf("bare%d", n), senders: n, op: p.bareOp},
			remoteCell{name: fmt.Sprintf("local%d", n), senders: n, appends: true, op: p.localOp},
			remoteCell{name: fmt.Sprintf("remote%d", n), senders: n, appends: true, op: p.remoteOp})
	}
	return cs
}

// cellResult is what a cell measured, summed over its slices.
type cellResult struct {
	ops      int
	elapsed  time.Duration
	lat      Latency
	cpu      time.Duration
	cpuKnown bool
}

func (r *cellResult) merge(o cellResult) {
	first := r.ops == 0 && r.elapsed == 0
	r.ops += o.ops
	r.elapsed += o.elapsed
	r.lat.Merge(&o.lat)
	r.cpu += o.cpu
	r.cpuKnown = o.cpuKnown && (first || r.cpuKnown)
}

// rate is operations per second.
func (r *cellResult) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.ops) / r.elapsed.Seconds()
}

// cpuPerOp is the process's CPU time per operation in microseconds.
func (r *cellResult) cpuPerOp() float64 {
	if r.ops == 0 {
		return 0
	}
	return us(r.cpu) / float64(r.ops)
}

// runCell runs senders goroutines, each calling op in a loop (the next
// call when the previous one returns) until d has passed, and measures
// each call's latency, the calls per second and the process's CPU time.
func runCell(ctx context.Context, senders int, d time.Duration, op func(sender, i int) error) (cellResult, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		res   cellResult
		first error
	)
	cpu0, cpuKnown := processCPU()
	start := time.Now()
	deadline := start.Add(d)
	for s := range senders {
		wg.Go(func() {
			var lat Latency
			n := 0
			var err error
			for ; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
				t0 := time.Now()
				if err = op(s, n); err != nil {
					break
				}
				lat.Add(time.Since(t0))
			}
			mu.Lock()
			defer mu.Unlock()
			res.lat.Merge(&lat)
			res.ops += n
			if err != nil && first == nil {
				first = fmt.Errorf("sender %d: %w", s, err)
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	cpu1, _ := processCPU()
	res.cpu, res.cpuKnown = cpu1-cpu0, cpuKnown
	if first == nil {
		first = ctx.Err()
	}
	return res, first
}

// targets are the two targets, measured in one pass.
type targets struct {
	remoteP50, boundP50 float64 // µs: remote1's p50; local1's p50 + 2 × bare1's
	p50Ratio            float64 // remoteP50 / boundP50: met when ≤ 1
	rateRatio           float64 // remote64's appends/s over local64's: met when ≥ 0.5
}

// remoteTargets computes the targets from the cells' results by name.
func remoteTargets(res map[string]*cellResult) targets {
	var t targets
	t.remoteP50 = us(res["remote1"].lat.Percentile(0.5))
	t.boundP50 = us(res["local1"].lat.Percentile(0.5)) + 2*us(res["bare1"].lat.Percentile(0.5))
	if t.boundP50 > 0 {
		t.p50Ratio = t.remoteP50 / t.boundP50
	}
	if l := res["local64"].rate(); l > 0 {
		t.rateRatio = res["remote64"].rate() / l
	}
	return t
}

// us is d in microseconds.
func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
