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

// Flags of the remote benchmarks (see BenchmarkRemoteAppends).
var (
	remoteCellDur  = flag.Duration("remote.cell", 2*time.Second, "time each cell of BenchmarkRemoteAppends runs per pass")
	remoteSlices   = flag.Int("remote.slices", 4, "slices each cell's time is cut into, interleaved with the other cells'")
	remoteOnly     = flag.String("remote.cells", "", "comma-separated cells of BenchmarkRemoteAppends to run (default all; for profiles)")
	remoteNoSync   = flag.Bool("remote.nosync", false, "BenchmarkRemoteAppends without fsyncs (storage.SyncNone), to tell the transport's cost from the disk's")
	remoteSyncEcho = flag.Bool("remote.syncecho", false, "BenchmarkRemoteAppends also runs syncecho-local1 and syncecho-remote1: an echo actor that fsyncs before it answers, without batpak")
)

// Remote appends against local ones and against protoactor's bare remote
// request/response, in one run: two actor systems in this process on
// loopback (remotePair), node A holding a store with its default durable
// commits. Six cells — bare, local and remote, each with 1 and 64
// concurrent senders (goroutines in a RequestFuture loop) — run
// interleaved: -remote.cell is each cell's time per pass, cut into
// -remote.slices slices run in the order 1..6, 6..1, 1..6, ..., so that a
// slow spell of the shared machine falls on all of them. One benchmark
// iteration is one such pass; -count gives several.
//
//	cd bench && go test -run '^$' -bench 'RemoteAppends$' -benchtime 1x -count 5
//
// -remote.cells=remote1,local1 runs only those cells (for a profile);
// -remote.syncecho adds two cells without batpak: an echo actor on node
// A that writes and fsyncs 256 bytes before it answers, asked from node A
// and from node B (is a remote round trip dearer after an fsync?);
// -remote.nosync runs the store without fsyncs (a diagnosis, not the
// targets: they are about durable appends).
// Per cell it reports <cell>-p50-us, -p99-us, -ops/s (requests or appends
// per second) and -cpu-us/op (the whole process, both nodes); and the
// issue's two targets as ratios of the same pass:
//
//	p50-target = remote1 p50 / (local1 p50 + 2 × bare1 p50)   (met when ≤ 1)
//	rate-target = remote64 appends/s / local64 appends/s      (met when ≥ 0.5)
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
	all := remoteCells(p)
	if *remoteSyncEcho {
		se, err := p.a.spawnSyncEcho(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		// Node A resolves its own address locally.
		all = append(all,
			remoteCell{name: "syncecho-local1", senders: 1, op: func(int, int) error { return echoVia(p.a.sys.Root, se) }},
			remoteCell{name: "syncecho-remote1", senders: 1, op: func(int, int) error { return echoVia(p.b.sys.Root, se) }})
	}
	var cells []remoteCell
	for _, c := range all {
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
	slice := *remoteCellDur / time.Duration(max(*remoteSlices, 1))
	b.ResetTimer()
	for range b.N {
		for _, i := range interleave(len(cells), *remoteSlices) {
			r, err := runCell(ctx, cells[i].senders, slice, cells[i].op)
			if err != nil {
				b.Fatalf("%s: %v", cells[i].name, err)
			}
			res[i].merge(r)
		}
	}
	b.StopTimer()
	sums := make([]cellSummary, len(cells))
	for i := range cells {
		sums[i] = res[i].summary()
	}
	reportCells(b, cells, sums)
}

// interleave is the order of n cells' slices in one pass: 0..n-1, then
// n-1..0, and so on, slices times in all (at least once).
func interleave(n, slices int) []int {
	order := make([]int, 0, n*max(slices, 1))
	for s := range max(slices, 1) {
		for i := range n {
			if s%2 == 1 {
				i = n - 1 - i
			}
			order = append(order, i)
		}
	}
	return order
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
			remoteCell{name: fmt.Sprintf("bare%d", n), senders: n, op: p.b.bareOp},
			remoteCell{name: fmt.Sprintf("local%d", n), senders: n, appends: true, op: p.a.localOp},
			remoteCell{name: fmt.Sprintf("remote%d", n), senders: n, appends: true, op: p.b.remoteOp})
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

// summary is r's figures.
func (r *cellResult) summary() cellSummary {
	return cellSummary{Ops: r.ops, Elapsed: r.elapsed, P50: r.lat.Percentile(0.5), P99: r.lat.Percentile(0.99),
		CPU: r.cpu, CPUKnown: r.cpuKnown}
}

// cellSummary is what a cell measured in one pass.
type cellSummary struct {
	// Ops are the requests or appends made; Elapsed the time they took.
	Ops     int
	Elapsed time.Duration
	// P50 and P99 are the latency percentiles of one op.
	P50, P99 time.Duration
	// CPU is this process's CPU time over the cell (known if CPUKnown).
	CPU      time.Duration
	CPUKnown bool
	// PeerCPU is the sender process's (node B's) CPU time over the cell,
	// when node B runs in a process of its own (BenchmarkRemoteAppendsSplit).
	PeerCPU   time.Duration
	PeerKnown bool
}

// rate is operations per second.
func (s cellSummary) rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Ops) / s.Elapsed.Seconds()
}

// perOp is d per operation in microseconds.
func (s cellSummary) perOp(d time.Duration) float64 {
	if s.Ops == 0 {
		return 0
	}
	return us(d) / float64(s.Ops)
}

// reportCells reports each cell's figures, and the targets when every
// cell ran.
func reportCells(b *testing.B, cells []remoteCell, sums []cellSummary) {
	b.ReportMetric(0, "ns/op") // a pass's length says nothing
	byName := map[string]cellSummary{}
	for i, c := range cells {
		s := sums[i]
		byName[c.name] = s
		b.ReportMetric(us(s.P50), c.name+"-p50-us")
		b.ReportMetric(us(s.P99), c.name+"-p99-us")
		b.ReportMetric(s.rate(), c.name+"-ops/s")
		line := fmt.Sprintf("%-16s p50 %6.0f µs  p99 %6.0f µs  %7.0f ops/s", c.name, us(s.P50), us(s.P99), s.rate())
		if s.CPUKnown {
			b.ReportMetric(s.perOp(s.CPU), c.name+"-cpu-us/op")
			line += fmt.Sprintf("  cpu %5.1f µs/op", s.perOp(s.CPU))
		}
		if s.PeerKnown {
			b.ReportMetric(s.perOp(s.PeerCPU), c.name+"-cpuB-us/op")
			line += fmt.Sprintf(" (+ node B %5.1f)", s.perOp(s.PeerCPU))
		}
		b.Log(line)
	}
	for _, need := range []string{"bare1", "local1", "remote1", "local64", "remote64"} {
		if _, ok := byName[need]; !ok {
			return // the targets need these cells
		}
	}
	if l, ok := byName["syncecho-local1"]; ok {
		if r, ok := byName["syncecho-remote1"]; ok {
			// The p50 target's formula for an fsync without batpak.
			ratio := us(r.P50) / (us(l.P50) + 2*us(byName["bare1"].P50))
			b.ReportMetric(ratio, "syncecho-p50-target")
			b.Logf("the same for the syncecho actor: ratio %.2f", ratio)
		}
	}
	t := remoteTargets(byName)
	b.ReportMetric(t.p50Ratio, "p50-target")
	b.ReportMetric(t.rateRatio, "rate-target")
	b.Logf("p50 target: remote1 %.0f µs vs local1 + 2×bare1 = %.0f µs: ratio %.2f (met when ≤ 1)", t.remoteP50, t.boundP50, t.p50Ratio)
	b.Logf("rate target: remote64 / local64 = %.2f (met when ≥ 0.5)", t.rateRatio)
}

// runCell runs senders goroutines, each calling op in a loop (the next
// call when the previous one returns) until d has passed (each at least
// once), and measures each call's latency, the calls per second and the
// process's CPU time.
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
			for ; (n == 0 || time.Now().Before(deadline)) && ctx.Err() == nil; n++ {
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

// remoteTargets computes the targets from the cells' figures by name.
func remoteTargets(res map[string]cellSummary) targets {
	var t targets
	t.remoteP50 = us(res["remote1"].P50)
	t.boundP50 = us(res["local1"].P50) + 2*us(res["bare1"].P50)
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
