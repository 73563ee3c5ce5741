//go:build linux

package storage

import (
	"encoding/binary"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/batpak-go/batpak/internal/benchutil"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
)

// Benchmarks of the append path beside those of bench_test.go: atomic
// batches the way 16 producers send them (16 batches of 100 per group,
// pipelined), groups that cross many segment rotations (small segments,
// preallocated), and the bytes a store takes on disk per event.

// benchRotatingSegment is the segment size of the rotating benchmarks: small
// enough that a two-second run seals and starts a dozen segments.
const benchRotatingSegment = 16 << 20

// benchPipeline drives pipelined group commit the way the writer actor
// does: one group syncing on another goroutine while the next is staged and
// written; the group before it is published once its sync returned.
type benchPipeline struct {
	b              *testing.B
	e              *Engine
	inflight, prev *Pending
	synced         chan error
}

func (p *benchPipeline) advance(next *Pending) {
	if p.inflight != nil {
		if err := <-p.synced; err != nil {
			p.b.Fatal(err)
		}
	}
	if next != nil {
		p.synced = make(chan error, 1)
		go func() { p.synced <- next.Sync() }()
	}
	if p.prev != nil {
		if err := p.e.Publish(p.prev); err != nil {
			p.b.Fatal(err)
		}
	}
	p.prev, p.inflight = p.inflight, next
}

func (p *benchPipeline) write() {
	next, err := p.e.Write()
	if err != nil {
		p.b.Fatal(err)
	}
	p.advance(next)
}

func (p *benchPipeline) drain() {
	p.advance(nil)
	p.advance(nil)
}

// BenchmarkAppendBatchPipelined: 16 AppendBatch calls of 100 events each
// per group (what 16 producers of atomic batches queue while a group
// syncs), written and synced with pipelined group commit. One b.N
// iteration is one group of 1,600 events.
func BenchmarkAppendBatchPipelined(b *testing.B) {
	const batches = 16
	for _, pre := range benchPrealloc {
		b.Run(fmt.Sprintf("batches=%d/events=%d/payload=%d/sync=%s/prealloc=%d", batches, benchBatchItems, benchPayloadSize, SyncEveryCommit, pre), func(b *testing.B) {
			e := openBenchEngineOpts(b, Options{SyncMode: SyncEveryCommit, Preallocate: pre})
			w := newBenchWorkload()
			batch := &messages.AppendBatch{Items: make([]messages.BatchItem, benchBatchItems)}
			pl := &benchPipeline{b: b, e: e}
			before := e.WriterStats()
			b.SetBytes(batches * benchBatchItems * benchPayloadSize)
			for b.Loop() {
				for range batches {
					w.fillBatch(batch.Items)
					if _, err := e.AppendBatch(batch); err != nil {
						b.Fatal(err)
					}
				}
				pl.write()
			}
			pl.drain()
			after := e.WriterStats()
			reportEventRate(b, batches*benchBatchItems*b.N)
			b.ReportMetric(float64(after.Fsyncs-before.Fsyncs)/float64(b.N), "fsyncs/op")
			finishBenchEngine(b, e, batches*benchBatchItems*b.N)
		})
	}
}

// BenchmarkCommitDurableRotating is BenchmarkCommitDurable on 16 MiB
// segments zero-filled 4 MiB at a time ahead (Preallocate): the groups pay
// for every rotation (seal, new segment) and every zero-fill on their way.
// Besides the latency of whole groups (appends and commit), it reports the
// mean time of the Commit calls themselves, apart for those that rotated,
// those that zero-filled a chunk of the active segment (and how many did),
// and the others.
func BenchmarkCommitDurableRotating(b *testing.B) {
	for _, g := range []int{16, 256} {
		b.Run(fmt.Sprintf("events=%d/payload=%d/segment=%d/prealloc=%d", g, benchPayloadSize, benchRotatingSegment, 4<<20), func(b *testing.B) {
			e := openBenchEngineOpts(b, Options{SyncMode: SyncEveryCommit, SegmentSize: benchRotatingSegment, Preallocate: 4 << 20})
			w := newBenchWorkload()
			first := e.WriterStats()
			var lat benchutil.Latency
			var commits [3]benchMean // plain, zero-filling, rotating
			b.SetBytes(int64(g * benchPayloadSize))
			for b.Loop() {
				t0 := time.Now()
				if err := w.append(e, g); err != nil {
					b.Fatal(err)
				}
				seg, alloc := e.active.id, e.active.allocated
				t1 := time.Now()
				if err := e.Commit(); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				kind := 0
				switch {
				case e.active.id != seg:
					kind = 2
				case e.active.allocated != alloc:
					kind = 1
				}
				commits[kind].add(t2.Sub(t1))
				lat.Add(t2.Sub(t0))
			}
			lat.Report(b)
			b.ReportMetric(float64(lat.Percentile(0.999))/float64(time.Microsecond), "p999-us")
			for i, unit := range []string{"plain-commit-us", "zerofill-commit-us", "rotate-commit-us"} {
				b.ReportMetric(commits[i].micros(), unit)
			}
			b.ReportMetric(float64(commits[1].n), "zerofills")
			reportRotations(b, e, first, g)
		})
	}
}

// benchMean is the mean of durations.
type benchMean struct {
	sum time.Duration
	n   int
}

func (m *benchMean) add(d time.Duration) { m.sum, m.n = m.sum+d, m.n+1 }

func (m *benchMean) micros() float64 {
	if m.n == 0 {
		return 0
	}
	return float64(m.sum) / float64(m.n) / float64(time.Microsecond)
}

// BenchmarkCommitPipelinedRotating is BenchmarkCommitPipelined on the
// segments of BenchmarkCommitDurableRotating.
func BenchmarkCommitPipelinedRotating(b *testing.B) {
	for _, g := range []int{16, 256} {
		b.Run(fmt.Sprintf("events=%d/payload=%d/segment=%d/prealloc=%d", g, benchPayloadSize, benchRotatingSegment, 4<<20), func(b *testing.B) {
			e := openBenchEngineOpts(b, Options{SyncMode: SyncEveryCommit, SegmentSize: benchRotatingSegment, Preallocate: 4 << 20})
			w := newBenchWorkload()
			pl := &benchPipeline{b: b, e: e}
			first := e.WriterStats()
			b.SetBytes(int64(g * benchPayloadSize))
			for b.Loop() {
				if err := w.append(e, g); err != nil {
					b.Fatal(err)
				}
				pl.write()
			}
			pl.drain()
			reportRotations(b, e, first, g)
		})
	}
}

func reportRotations(b *testing.B, e *Engine, first Stats, g int) {
	b.Helper()
	last := e.WriterStats()
	reportEventRate(b, g*b.N)
	b.ReportMetric(float64(last.ActiveSegment-first.ActiveSegment), "rotations")
	b.ReportMetric(float64(last.Fsyncs-first.Fsyncs)/float64(b.N), "fsyncs/op")
	finishBenchEngine(b, e, g*b.N)
}

// BenchmarkDiskBytes builds a store the way bench/ fills one (1,000
// entities round robin, 256-byte payloads, 1,000 events per commit, the
// default 64 MiB segments), closes it, and reports the bytes its segment
// files take per event: in all, in frames (headers and sync marks
// included) and in footers (with their trailers). One b.N iteration is one
// store of BATPAK_BENCH_EVENTS events (default 200,000 here); run it with
// -benchtime 1x.
func BenchmarkDiskBytes(b *testing.B) {
	events := 200_000
	if os.Getenv(benchEventsEnv) != "" {
		n, err := benchStoreEvents()
		if err != nil {
			b.Fatal(err)
		}
		events = n
	}
	b.Run(fmt.Sprintf("events=%d/payload=%d/entities=%d", events, benchPayloadSize, benchEntities), func(b *testing.B) {
		var total, footer int64
		for b.Loop() {
			dir := b.TempDir()
			e, err := Open(dir, Options{SyncMode: SyncNone})
			if err != nil {
				b.Fatal(err)
			}
			w := newBenchWorkload()
			for done := 0; done < events; {
				k := min(1000, events-done)
				if err := w.append(e, k); err != nil {
					b.Fatal(err)
				}
				if err := e.Commit(); err != nil {
					b.Fatal(err)
				}
				done += k
			}
			if err := e.Close(); err != nil {
				b.Fatal(err)
			}
			total, footer, err = benchSegmentBytes(dir)
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(total)/float64(events), "disk-B/event")
		b.ReportMetric(float64(total-footer)/float64(events), "frame-B/event")
		b.ReportMetric(float64(footer)/float64(events), "footer-B/event")
	})
}

// benchSegmentBytes sums the sizes of the segment files of dir and the
// part of them that footers and trailers take.
func benchSegmentBytes(dir string) (total, footer int64, err error) {
	paths, err := benchSegments(dir)
	if err != nil {
		return 0, 0, err
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return 0, 0, err
		}
		total += int64(len(data))
		if n := len(data); n >= format.TrailerSize && [8]byte(data[n-8:]) == format.TrailerMagic {
			footer += int64(n) - int64(binary.LittleEndian.Uint64(data[n-16:]))
		}
	}
	return total, footer, nil
}
