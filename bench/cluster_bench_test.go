//go:build !race

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Flags of the cluster benchmarks (see BenchmarkClusterAppends and
// BenchmarkClusterStop).
var (
	clusterCellDur    = flag.Duration("cluster.cell", 1500*time.Millisecond, "time each cell of BenchmarkClusterAppends runs per pass")
	clusterSlices     = flag.Int("cluster.slices", 4, "slices each cell's time is cut into, interleaved with the other cells'")
	clusterOnly       = flag.String("cluster.cells", "", "comma-separated cells of BenchmarkClusterAppends to run (default all; for profiles)")
	clusterPartitions = flag.Int("cluster.partitions", 6, "partitions of each cluster's store")
	clusterStops      = flag.Int("cluster.stops", 4, "owner stops BenchmarkClusterStop measures per iteration")
	clusterLoad       = flag.Int("cluster.load", 64, "senders appending over every partition during BenchmarkClusterStop's stops")
	clusterMany       = flag.Int("cluster.many", 64, "the many-sender cells' senders (cells <cluster>-s<many>; 1 sender in the others)")
	clusterNoSync     = flag.Bool("cluster.nosync", false, "every store of the cluster benchmarks without fsyncs (storage.SyncNone), to see what the CPU alone allows")
)

// clusterMembers are the member counts of BenchmarkClusterAppends' main
// clusters, each with -cluster.partitions partitions.
var clusterMembers = []int{1, 2, 3}

// clusterSpec is the shape of one benchmark cluster.
type clusterSpec struct{ members, partitions int }

// name is the cluster's cell prefix: m<members>p<partitions>.
func (s clusterSpec) name() string { return fmt.Sprintf("m%dp%d", s.members, s.partitions) }

// clusterSpecs are BenchmarkClusterAppends' clusters: one member with one
// partition (a partition through the member's API, against actors.Store),
// then each of clusterMembers with -cluster.partitions partitions.
func clusterSpecs() []clusterSpec {
	specs := []clusterSpec{{1, 1}}
	for _, n := range clusterMembers {
		specs = append(specs, clusterSpec{n, *clusterPartitions})
	}
	return specs
}

// Durable appends to a partitioned store (partition.Member.Append) on
// clusters of 1, 2 and 3 members, against one local store (actors.Store),
// in one run. The clusters (each its own store of -cluster.partitions
// partitions, default 6, spread round robin over its members; and one of
// 1 member and 1 partition) and the local store run in this process, every
// member its own actor system with a loopback remote, on protoactor's
// in-memory test provider; every partition is a store with actors'
// defaults (an fdatasync per commit group), all on one disk. Ten cells:
//
//	store-s1, store-s64     the local store, 1 or 64 concurrent senders
//	m1p1-s1, m1p1-s64       1 member, 1 partition, through the member
//	m<n>p6-s1, m<n>p6-s64   n = 1, 2, 3 members, 6 partitions, through them
//
// Every sender is a goroutine appending a 256-byte event, the next when
// the receipt is in, to the bench's 1,000 entities round robin (over every
// partition), through member (sender+i) mod n for its i-th append: from
// every member alike, so (n-1)/n of a cluster's appends go to a partition
// on another member, over remote. The cells run interleaved as in
// BenchmarkRemoteAppends (-cluster.cell per pass in -cluster.slices
// slices, 1..10, 10..1, ...); one iteration is one pass.
//
//	cd bench && go test -run '^$' -bench 'ClusterAppends$' -benchtime 1x -count 5
//
// Per cell: <cell>-p50-us, -p99-us, -ops/s (appends per second),
// -cpu-us/op (the whole process's CPU per append), -group (events per
// commit group, i.e. per fdatasync), -fsync-us (a group's mean fsync
// time) and, for the clusters, -wire-B/op (bytes on the members' remote
// connections per append). Then
// <cluster>-s64-vs-store = its appends/s over store-s64's, and
// m<n>p6-remote-cpu-us/op: the CPU of one remote append (both members),
// solved from m1p6-s64 (all local) and m<n>p6-s64 ((n-1)/n remote).
// -cluster.cells=m3p6-s64 runs only those cells (for a profile);
// -cluster.many=256 gives the many-sender cells 256 senders (is 64 enough
// to load the stores?);
// -cluster.nosync runs every store without fsyncs (a diagnosis: what the
// CPU alone allows, not durable appends).
func BenchmarkClusterAppends(b *testing.B) {
	local, err := openLocalStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer closeOrFail(b, local.Close)
	specs := clusterSpecs()
	clusters, err := startClusters(b, specs)
	if err != nil {
		b.Fatal(err)
	}
	var all []clusterCell
	for _, s := range []int{1, *clusterMany} {
		all = append(all, clusterCell{remoteCell: remoteCell{name: fmt.Sprintf("store-s%d", s), senders: s, appends: true, op: local.appendOp}, meter: local.meter})
		for i, c := range clusters {
			all = append(all, clusterCell{remoteCell: remoteCell{name: fmt.Sprintf("%s-s%d", specs[i].name(), s), senders: s, appends: true, op: c.appendOp}, c: c, meter: c.meter})
		}
	}
	var cells []clusterCell
	for _, c := range all {
		if *clusterOnly == "" || slices.Contains(strings.Split(*clusterOnly, ","), c.name) {
			cells = append(cells, c)
		}
	}
	ctx := context.Background()
	// Warm up: connections between the members, writers, segment files.
	for _, c := range cells {
		if _, err := runCell(ctx, min(c.senders, 8), 200*time.Millisecond, c.op); err != nil {
			b.Fatalf("warm-up %s: %v", c.name, err)
		}
	}
	res := make([]cellResult, len(cells))
	wire := make([]int64, len(cells))
	groups := make([]groupCounts, len(cells))
	slice := *clusterCellDur / time.Duration(max(*clusterSlices, 1))
	b.ResetTimer()
	for range b.N {
		for _, i := range interleave(len(cells), *clusterSlices) {
			w0, g0 := cells[i].wireBytes(), cells[i].meter.read()
			r, err := runCell(ctx, cells[i].senders, slice, cells[i].op)
			if err != nil {
				b.Fatalf("%s: %v", cells[i].name, err)
			}
			wire[i] += cells[i].wireBytes() - w0
			groups[i].add(cells[i].meter.read().sub(g0))
			res[i].merge(r)
		}
	}
	b.StopTimer()
	reportClusterCells(b, cells, res, wire, groups)
}

// clusterCell is a remoteCell on a cluster (c nil: the local store).
type clusterCell struct {
	remoteCell
	c *benchCluster
	// meter reads the commit groups of the cell's stores.
	meter *groupMeter
}

// wireBytes is the cluster's remote traffic so far (0 for the store).
func (c clusterCell) wireBytes() int64 {
	if c.c == nil {
		return 0
	}
	return c.c.wire.bytes()
}

// startClusters starts the clusters at once (each member's start waits
// 1 s in protoactor), closed when b ends.
func startClusters(b *testing.B, specs []clusterSpec) ([]*benchCluster, error) {
	out := make([]*benchCluster, len(specs))
	errs := make([]error, len(specs))
	done := make(chan int)
	for i, s := range specs {
		go func() {
			out[i], errs[i] = startCluster("bench-"+s.name(), s.members, s.partitions, b.TempDir())
			done <- i
		}()
	}
	for range specs {
		<-done
	}
	for _, c := range out {
		if c != nil {
			b.Cleanup(func() {
				if err := c.Close(); err != nil {
					b.Error(err)
				}
			})
		}
	}
	return out, errors.Join(errs...)
}

// reportClusterCells reports each cell's figures, the clusters' rates
// over the local store's, and the CPU of a remote append.
func reportClusterCells(b *testing.B, cells []clusterCell, res []cellResult, wire []int64, groups []groupCounts) {
	b.ReportMetric(0, "ns/op") // a pass's length says nothing
	byName := map[string]cellSummary{}
	for i, c := range cells {
		s := res[i].summary()
		byName[c.name] = s
		b.ReportMetric(us(s.P50), c.name+"-p50-us")
		b.ReportMetric(us(s.P99), c.name+"-p99-us")
		b.ReportMetric(s.rate(), c.name+"-ops/s")
		line := fmt.Sprintf("%-9s p50 %6.0f µs  p99 %6.0f µs  %7.0f appends/s", c.name, us(s.P50), us(s.P99), s.rate())
		if s.CPUKnown {
			b.ReportMetric(s.perOp(s.CPU), c.name+"-cpu-us/op")
			line += fmt.Sprintf("  cpu %5.1f µs/op", s.perOp(s.CPU))
		}
		if g := groups[i]; g.groups > 0 {
			b.ReportMetric(float64(g.events)/float64(g.groups), c.name+"-group")
			b.ReportMetric(g.fsyncSeconds/float64(g.groups)*1e6, c.name+"-fsync-us")
			line += fmt.Sprintf("  group %4.1f  fsync %4.0f µs", float64(g.events)/float64(g.groups), g.fsyncSeconds/float64(g.groups)*1e6)
		}
		if c.c != nil && s.Ops > 0 {
			b.ReportMetric(float64(wire[i])/float64(s.Ops), c.name+"-wire-B/op")
			line += fmt.Sprintf("  wire %5.0f B/op", float64(wire[i])/float64(s.Ops))
		}
		b.Log(line)
	}
	many := fmt.Sprintf("-s%d", *clusterMany)
	store, ok := byName["store"+many]
	for _, spec := range clusterSpecs() {
		m, okM := byName[spec.name()+many]
		if ok && okM && store.rate() > 0 {
			b.ReportMetric(m.rate()/store.rate(), spec.name()+many+"-vs-store")
		}
	}
	// cpu(m<n>pN) = cpu_local/n + cpu_remote·(n-1)/n, cpu_local = cpu(m1pN).
	p := *clusterPartitions
	one, ok1 := byName[fmt.Sprintf("m1p%d", p)+many]
	for _, n := range clusterMembers[1:] {
		name := fmt.Sprintf("m%dp%d", n, p)
		m, okM := byName[name+many]
		if !ok1 || !okM || !one.CPUKnown || !m.CPUKnown {
			continue
		}
		cpuRemote := (float64(n)*m.perOp(m.CPU) - one.perOp(one.CPU)) / float64(n-1)
		b.ReportMetric(cpuRemote, name+"-remote-cpu-us/op")
		b.Logf("%s: a remote append costs %.1f µs of CPU (both members), a local one through the member %.1f µs, through actors.Store %.1f µs",
			name, cpuRemote, one.perOp(one.CPU), store.perOp(store.CPU))
	}
}

// closeOrFail calls closeFn and reports its error.
func closeOrFail(b testing.TB, closeFn func() error) {
	if err := closeFn(); err != nil {
		b.Error(err)
	}
}
