//go:build linux

package storage

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batpak-go/batpak/internal/benchutil"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"golang.org/x/sys/unix"
)

// Benchmarks of the engine on the real file system (b.TempDir, fs.OS): the
// machine's disk is the point. Compare the durable ones with
// BenchmarkBaselineFdatasync (baseline_bench_test.go) in the same process.
//
// BATPAK_BENCH_EVENTS sets the size of the store that BenchmarkReopen and
// BenchmarkIndexMemory open (default 1,000,000 events); use a small value
// for a quick run.

const (
	benchPayloadSize   = 256
	benchEntities      = 1000
	benchCommitEvery   = 256 // events per commit when not syncing
	benchBatchItems    = 100
	benchDefaultEvents = 1_000_000
	benchEventsEnv     = "BATPAK_BENCH_EVENTS"
)

// benchGroups are the events (or records) per fsync of the durable benchmarks.
var benchGroups = []int{1, 16, 64, 256}

var benchKind = messages.MustKind(1, 1)

// benchWorkload produces the benchmarks' events: benchPayloadSize-byte
// payloads, round robin over benchEntities entities of one scope.
type benchWorkload struct {
	coords  []messages.Coordinate
	payload []byte
	next    int
	a       messages.Append
}

func newBenchWorkload() *benchWorkload {
	w := &benchWorkload{coords: make([]messages.Coordinate, benchEntities), payload: make([]byte, benchPayloadSize)}
	for i := range w.coords {
		w.coords[i] = messages.Coordinate{Entity: fmt.Sprintf("order/%d", i), Scope: "bench"}
	}
	for i := range w.payload {
		w.payload[i] = byte(i*7 + 1)
	}
	w.a = messages.Append{Kind: benchKind, Payload: w.payload}
	return w
}

func (w *benchWorkload) coord() messages.Coordinate {
	c := w.coords[w.next]
	w.next = (w.next + 1) % len(w.coords)
	return c
}

// append stages n events on e (one Append each).
func (w *benchWorkload) append(e *Engine, n int) error {
	for range n {
		w.a.Coordinate = w.coord()
		if _, err := e.Append(&w.a); err != nil {
			return err
		}
	}
	return nil
}

// fillBatch sets items to the next len(items) events.
func (w *benchWorkload) fillBatch(items []messages.BatchItem) {
	for i := range items {
		items[i] = messages.BatchItem{Coordinate: w.coord(), Kind: benchKind, Payload: w.payload}
	}
}

// openBenchEngine opens a fresh engine in a new temporary directory.
func openBenchEngine(b *testing.B, mode SyncMode) *Engine {
	return openBenchEngineOpts(b, Options{SyncMode: mode})
}

// benchPrealloc are the Options.Preallocate values the durable benchmarks
// compare: segments that grow with each write, and 4 MiB zero-filled ahead.
var benchPrealloc = []int64{0, 4 << 20}

func openBenchEngineOpts(b *testing.B, o Options) *Engine {
	b.Helper()
	e, err := Open(b.TempDir(), o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if !e.closed { // only after a Fatal: the normal path closes and checks
			_ = e.Close()
		}
	})
	return e
}

// finishBenchEngine checks that the run committed what it should have and
// closes the engine.
func finishBenchEngine(b *testing.B, e *Engine, wantEvents int) {
	b.Helper()
	if got := e.Stats().Events; got != wantEvents {
		b.Fatalf("store holds %d events, want %d", got, wantEvents)
	}
	if err := e.Close(); err != nil {
		b.Fatal(err)
	}
}

func reportEventRate(b *testing.B, events int) {
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkCommitDurable: g Appends then one Commit (SyncEveryCommit), so
// one fsync per group. One b.N iteration is one group; the latencies are of
// whole groups (appends + commit) as the caller sees them.
func BenchmarkCommitDurable(b *testing.B) {
	for _, pre := range benchPrealloc {
		for _, g := range benchGroups {
			b.Run(fmt.Sprintf("events=%d/payload=%d/sync=%s/prealloc=%d", g, benchPayloadSize, SyncEveryCommit, pre), func(b *testing.B) {
				e := openBenchEngineOpts(b, Options{SyncMode: SyncEveryCommit, Preallocate: pre})
				w := newBenchWorkload()
				var lat benchutil.Latency
				before := e.WriterStats()
				b.SetBytes(int64(g * benchPayloadSize))
				for b.Loop() {
					t0 := time.Now()
					if err := w.append(e, g); err != nil {
						b.Fatal(err)
					}
					if err := e.Commit(); err != nil {
						b.Fatal(err)
					}
					lat.Add(time.Since(t0))
				}
				after := e.WriterStats()
				if commits := after.Commits - before.Commits; commits != uint64(b.N) {
					b.Fatalf("%d commits for %d groups", commits, b.N)
				}
				reportEventRate(b, g*b.N)
				b.ReportMetric(float64(after.Fsyncs-before.Fsyncs)/float64(b.N), "fsyncs/op")
				lat.Report(b)
				finishBenchEngine(b, e, g*b.N)
			})
		}
	}
}

// BenchmarkCommitPipelined: the same groups as BenchmarkCommitDurable, but
// with pipelined group commit (Write, then Pending.Sync on another
// goroutine while the next group is staged and written, then Publish): one
// fsync in flight at a time, as the writer actor runs it. Every group is
// durable before it is published.
func BenchmarkCommitPipelined(b *testing.B) {
	for _, pre := range benchPrealloc {
		for _, g := range benchGroups {
			b.Run(fmt.Sprintf("events=%d/payload=%d/sync=%s/prealloc=%d", g, benchPayloadSize, SyncEveryCommit, pre), func(b *testing.B) {
				e := openBenchEngineOpts(b, Options{SyncMode: SyncEveryCommit, Preallocate: pre})
				w := newBenchWorkload()
				before := e.WriterStats()
				// One group is in flight (syncing) while the writer publishes the
				// group before it and stages and writes the next.
				var inflight, prev *Pending
				var synced chan error
				advance := func(next *Pending) {
					if inflight != nil {
						if err := <-synced; err != nil {
							b.Fatal(err)
						}
					}
					if next != nil {
						synced = make(chan error, 1)
						go func() { synced <- next.Sync() }()
					}
					if prev != nil {
						if err := e.Publish(prev); err != nil {
							b.Fatal(err)
						}
					}
					prev, inflight = inflight, next
				}
				b.SetBytes(int64(g * benchPayloadSize))
				for b.Loop() {
					if err := w.append(e, g); err != nil {
						b.Fatal(err)
					}
					p, err := e.Write()
					if err != nil {
						b.Fatal(err)
					}
					advance(p)
				}
				advance(nil)
				advance(nil)
				after := e.WriterStats()
				if commits := after.Commits - before.Commits; commits != uint64(b.N) {
					b.Fatalf("%d commits for %d groups", commits, b.N)
				}
				reportEventRate(b, g*b.N)
				b.ReportMetric(float64(after.Fsyncs-before.Fsyncs)/float64(b.N), "fsyncs/op")
				finishBenchEngine(b, e, g*b.N)
			})
		}
	}
}

// BenchmarkAppendBatch100: one AppendBatch of 100 events and one durable
// Commit per b.N iteration.
func BenchmarkAppendBatch100(b *testing.B) {
	b.Run(fmt.Sprintf("events=%d/payload=%d/sync=%s", benchBatchItems, benchPayloadSize, SyncEveryCommit), func(b *testing.B) {
		e := openBenchEngine(b, SyncEveryCommit)
		w := newBenchWorkload()
		batch := &messages.AppendBatch{Items: make([]messages.BatchItem, benchBatchItems)}
		var lat benchutil.Latency
		before := e.WriterStats()
		b.SetBytes(benchBatchItems * benchPayloadSize)
		for b.Loop() {
			t0 := time.Now()
			w.fillBatch(batch.Items)
			if _, err := e.AppendBatch(batch); err != nil {
				b.Fatal(err)
			}
			if err := e.Commit(); err != nil {
				b.Fatal(err)
			}
			lat.Add(time.Since(t0))
		}
		after := e.WriterStats()
		reportEventRate(b, benchBatchItems*b.N)
		b.ReportMetric(float64(after.Fsyncs-before.Fsyncs)/float64(b.N), "fsyncs/op")
		lat.Report(b)
		finishBenchEngine(b, e, benchBatchItems*b.N)
	})
}

// BenchmarkAppendNoSync: SyncNone, a Commit every benchCommitEvery events.
// One b.N iteration is one event, so ns/op and allocs/op are per event.
func BenchmarkAppendNoSync(b *testing.B) {
	b.Run(fmt.Sprintf("commit=%d/payload=%d/sync=%s", benchCommitEvery, benchPayloadSize, SyncNone), func(b *testing.B) {
		e := openBenchEngine(b, SyncNone)
		w := newBenchWorkload()
		b.ReportAllocs()
		b.SetBytes(benchPayloadSize)
		for b.Loop() {
			if err := w.append(e, 1); err != nil {
				b.Fatal(err)
			}
			if e.Staged() == benchCommitEvery {
				if err := e.Commit(); err != nil {
					b.Fatal(err)
				}
			}
		}
		reportEventRate(b, b.N)
		if err := e.Commit(); err != nil { // the last partial group, untimed
			b.Fatal(err)
		}
		finishBenchEngine(b, e, b.N)
	})
}

// BenchmarkReopen times Open of a large store: path=footer rebuilds the
// index from segment footers (timed: Open+Close), path=scan from a copy
// without footers, frame by frame (timed: Open). The -cold variants first
// drop the segments from the page cache (posix_fadvise DONTNEED; the host
// may still cache them).
func BenchmarkReopen(b *testing.B) {
	st := sharedBenchStore(b)
	for _, c := range []struct {
		name      string
		scan      bool
		cold      bool
		withClose bool
	}{
		{"path=footer", false, false, true},
		{"path=scan", true, false, false},
		{"path=footer-cold", false, true, true},
		{"path=scan-cold", true, true, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			dir := st.footerDir
			if c.scan {
				dir = st.scanDir
			}
			var rec RecoveryReport
			for b.Loop() {
				if c.cold {
					b.StopTimer()
					if err := dropBenchCache(dir); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				e, err := Open(dir, Options{})
				if err != nil {
					b.Fatal(err)
				}
				if !c.withClose {
					b.StopTimer()
				}
				rec = e.Stats().Recovery
				if err := e.Close(); err != nil {
					b.Fatal(err)
				}
				checkBenchRecovery(b, rec, st.events, c.scan)
				b.StartTimer()
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/open")
			b.ReportMetric(float64(rec.Events), "events")
			b.ReportMetric(float64(rec.Segments), "segments")
		})
	}
}

func checkBenchRecovery(b *testing.B, rec RecoveryReport, events int, scan bool) {
	b.Helper()
	if rec.Events != events {
		b.Fatalf("recovered %d events, want %d", rec.Events, events)
	}
	if scan && rec.ScannedSegments != rec.Segments || !scan && rec.FooterSegments != rec.Segments {
		b.Fatalf("recovery read %d segments: %d by footer, %d by scan", rec.Segments, rec.FooterSegments, rec.ScannedSegments)
	}
}

// BenchmarkIndexMemory measures the live heap the index of the shared store
// takes after Open (from its footers), per event.
func BenchmarkIndexMemory(b *testing.B) {
	st := sharedBenchStore(b)
	b.Run(fmt.Sprintf("events=%d/path=footer", st.events), func(b *testing.B) {
		var perEvent, total float64
		for b.Loop() {
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			e, err := Open(st.footerDir, Options{})
			if err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			runtime.ReadMemStats(&m1)
			runtime.KeepAlive(e)
			rec := e.Stats().Recovery
			if err := e.Close(); err != nil {
				b.Fatal(err)
			}
			checkBenchRecovery(b, rec, st.events, false)
			d := float64(int64(m1.HeapAlloc) - int64(m0.HeapAlloc))
			perEvent += d / float64(st.events)
			total += d
		}
		b.ReportMetric(perEvent/float64(b.N), "B/event")
		b.ReportMetric(total/float64(b.N)/(1<<20), "heap-MiB")
	})
}

// benchStore is a store built once per process and shared by the
// benchmarks that only open it: footerDir as Close left it, scanDir a copy
// with every footer stripped.
type benchStore struct {
	root      string
	footerDir string
	scanDir   string
	events    int
}

var benchShared struct {
	mu      sync.Mutex
	store   *benchStore
	pending int // top-level benchmarks that still need the store
}

// benchStoreUsers are the benchmarks that call sharedBenchStore.
var benchStoreUsers = []string{"BenchmarkReopen", "BenchmarkIndexMemory"}

// sharedBenchStore returns the shared store, building it if needed. Its
// users are top-level benchmarks whose work is all in sub-benchmarks, so
// the testing package runs each of them once per process whatever
// -test.count says; the store is removed when the last of them that
// -test.bench selects finishes. When that cannot be told (-test.skip set,
// a pattern that does not compile), it is removed after each user and
// rebuilt by the next. Stores left behind by dead processes are removed
// before building.
func sharedBenchStore(b *testing.B) *benchStore {
	b.Helper()
	s := &benchShared
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store == nil {
		events, err := benchStoreEvents()
		if err != nil {
			b.Fatal(err)
		}
		removeStaleBenchStores(b)
		t0 := time.Now()
		st, err := makeBenchStore(events)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("built a %d-event store (and its footerless copy) in %s", events, time.Since(t0).Round(time.Millisecond))
		s.store, s.pending = st, pendingBenchStoreUsers()
	}
	st := s.store
	b.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.pending--; s.pending <= 0 && s.store == st {
			if err := os.RemoveAll(st.root); err != nil {
				b.Error(err)
			}
			s.store = nil
		}
	})
	return st
}

// benchStorePrefix starts the name of a shared store's directory, which
// goes on with the pid of the process that built it.
const benchStorePrefix = "batpak-bench-store-"

// removeStaleBenchStores removes shared stores whose process is gone (a
// benchmark run that panicked or was killed).
func removeStaleBenchStores(b *testing.B) {
	paths, _ := filepath.Glob(filepath.Join(os.TempDir(), benchStorePrefix+"*"))
	for _, p := range paths {
		pid, _, ok := strings.Cut(strings.TrimPrefix(filepath.Base(p), benchStorePrefix), "-")
		if !ok || pid == strconv.Itoa(os.Getpid()) {
			continue
		}
		if _, err := strconv.Atoi(pid); err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join("/proc", pid)); errors.Is(err, os.ErrNotExist) {
			if err := os.RemoveAll(p); err != nil {
				b.Logf("remove stale benchmark store: %v", err)
			}
		}
	}
}

func benchStoreEvents() (int, error) {
	v := os.Getenv(benchEventsEnv)
	if v == "" {
		return benchDefaultEvents, nil
	}
	n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s=%q: want a positive event count", benchEventsEnv, v)
	}
	return n, nil
}

// pendingBenchStoreUsers counts the benchStoreUsers that -test.bench
// selects, or returns 1 when it cannot tell for sure.
func pendingBenchStoreUsers() int {
	look := func(name string) string {
		if f := flag.Lookup(name); f != nil {
			return f.Value.String()
		}
		return ""
	}
	if look("test.skip") != "" {
		return 1
	}
	top, _, _ := strings.Cut(look("test.bench"), "/")
	re, err := regexp.Compile(top)
	if err != nil {
		return 1
	}
	n := 0
	for _, u := range benchStoreUsers {
		if re.MatchString(u) {
			n++
		}
	}
	return max(n, 1)
}

// makeBenchStore builds the shared store under a new temporary directory.
func makeBenchStore(events int) (st *benchStore, err error) {
	root, err := os.MkdirTemp("", benchStorePrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(root)
		}
	}()
	// Two copies of ~420 B per event, with room to spare.
	if err := checkBenchSpace(root, int64(events)*1100); err != nil {
		return nil, err
	}
	st = &benchStore{root: root, footerDir: filepath.Join(root, "footer"), scanDir: filepath.Join(root, "scan"), events: events}
	if err := buildBenchStore(st.footerDir, events); err != nil {
		return nil, fmt.Errorf("build store: %w", err)
	}
	if err := copyBenchStoreStripped(st.footerDir, st.scanDir); err != nil {
		return nil, fmt.Errorf("copy store without footers: %w", err)
	}
	return st, nil
}

func checkBenchSpace(dir string, need int64) error {
	var sfs unix.Statfs_t
	if err := unix.Statfs(dir, &sfs); err != nil {
		return err
	}
	if free := int64(sfs.Bavail) * sfs.Bsize; free < need {
		return fmt.Errorf("%s has %d MB free, the benchmark store needs %d MB (set %s lower)", dir, free>>20, need>>20, benchEventsEnv)
	}
	return nil
}

// buildBenchStore writes a store of n events (SyncNone, default segment
// size, a Commit every benchCommitEvery events), closes it cleanly so that
// every segment has a footer, and then fsyncs its segments so that no
// writeback of it runs during later measurements.
func buildBenchStore(dir string, n int) error {
	e, err := Open(dir, Options{SyncMode: SyncNone})
	if err != nil {
		return err
	}
	w := newBenchWorkload()
	for done := 0; done < n; {
		k := min(benchCommitEvery, n-done)
		if err := w.append(e, k); err != nil {
			_ = e.Close()
			return err
		}
		if err := e.Commit(); err != nil {
			_ = e.Close()
			return err
		}
		done += k
	}
	if err := e.Close(); err != nil {
		return err
	}
	return syncBenchSegments(dir)
}

// benchSegments lists the segment files of dir.
func benchSegments(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, de := range ents {
		if _, ok := format.ParseSegmentName(de.Name()); ok {
			paths = append(paths, filepath.Join(dir, de.Name()))
		}
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no segments in %s", dir)
	}
	return paths, nil
}

func syncBenchSegments(dir string) error {
	paths, err := benchSegments(dir)
	if err != nil {
		return err
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// copyBenchStoreStripped copies the segments of src to dst, each cut at
// its data end (from the trailer: footer offset u64 LE + "BPKFOOT1"), so
// that opening dst must scan every segment.
func copyBenchStoreStripped(src, dst string) error {
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return err
	}
	paths, err := benchSegments(src)
	if err != nil {
		return err
	}
	for _, p := range paths {
		if err := copyBenchSegmentStripped(p, filepath.Join(dst, filepath.Base(p))); err != nil {
			return err
		}
	}
	return nil
}

func copyBenchSegmentStripped(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	end := fi.Size()
	var tr [format.TrailerSize]byte
	if end >= format.HeaderSize+format.TrailerSize {
		if _, err := in.ReadAt(tr[:], end-format.TrailerSize); err != nil {
			return err
		}
	}
	if [8]byte(tr[8:]) != format.TrailerMagic {
		return fmt.Errorf("%s has no footer trailer", src)
	}
	end = int64(binary.LittleEndian.Uint64(tr[:8]))
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err := io.Copy(out, io.NewSectionReader(in, 0, end)); err != nil {
		return err
	}
	return out.Sync()
}

// dropBenchCache asks the kernel to drop the (clean) page-cache pages of
// the segments of dir.
func dropBenchCache(dir string) error {
	paths, err := benchSegments(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		errs = append(errs, unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED), f.Close())
	}
	return errors.Join(errs...)
}
