//go:build linux

package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"golang.org/x/sys/unix"
)

// BenchmarkOpen times a cold start (Open) of a store laid out like bench/'s
// fill: BATPAK_BENCH_EVENTS events (default 1,000,000) of 256 bytes,
// appended as atomic batches of 1,000 items over 1,000 entities (item i on
// entity i), SyncNone, default segment size. Two stores are built once per
// process (in a temporary directory, removed at the end):
//
//   - state=clean: closed with Close, so every segment is sealed and
//     checkpointed; each iteration is Open, then (untimed) Close.
//   - state=crash: the same fill, then the engine is abandoned (no footer on
//     the last segment, no checkpoint written at Close), as after kill -9
//     mid-segment. Each iteration first (untimed) restores that state: the
//     last segment is cut back to its crashed size (Open seals it by
//     appending a footer) and the checkpoints written since are removed.
//   - state=footers: the clean store with its checkpoints removed before
//     each iteration (untimed): Open reads every footer, then writes the
//     checkpoints again.
//
// It reports ns/op and allocations of Open, and the index's size per event
// (Stats.IndexBytes) as B/event. The page cache is warm (the files were
// just written or read). write-one-checkpoint is the cost a rotation adds
// (see benchCheckpointWrite).
func BenchmarkOpen(b *testing.B) {
	st := openBenchStores(b)
	for _, c := range []struct {
		name string
		dir  string
	}{{"state=clean", st.clean}, {"state=crash", st.crash}, {"state=footers", st.clean}} {
		b.Run(fmt.Sprintf("events=%d/%s", st.events, c.name), func(b *testing.B) {
			b.ReportAllocs()
			var last Stats
			var faults int64
			for b.Loop() {
				b.StopTimer()
				switch c.name {
				case "state=crash":
					if err := st.restoreCrash(); err != nil {
						b.Fatal(err)
					}
				case "state=footers":
					if err := removeCheckpointFiles(c.dir); err != nil {
						b.Fatal(err)
					}
				}
				runtime.GC()
				f0 := minorFaults()
				b.StartTimer()
				e, err := Open(c.dir, Options{SyncMode: SyncNone})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				faults += minorFaults() - f0
				last = e.Stats()
				if err := e.Close(); err != nil {
					b.Fatal(err)
				}
				if last.Events != st.events {
					b.Fatalf("recovered %d events, want %d", last.Events, st.events)
				}
				b.StartTimer()
			}
			rec := last.Recovery
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/open")
			b.ReportMetric(float64(rec.Segments), "segments")
			b.ReportMetric(float64(rec.ScannedSegments), "scanned")
			b.ReportMetric(float64(benchCheckpointSegments(rec)), "from-checkpoint")
			b.ReportMetric(float64(benchIndexBytes(last))/float64(st.events), "B/event")
			b.ReportMetric(float64(faults)/float64(b.N), "pagefaults/open")
		})
	}
	b.Run(fmt.Sprintf("events=%d/write-one-checkpoint", st.events), func(b *testing.B) { benchCheckpointWrite(b, st) })
}

// openBenchStore is the pair of stores BenchmarkOpen opens.
type openBenchStore struct {
	root, clean, crash string
	events             int
	crashLast          string // path of the crashed store's last segment
	crashSize          int64  // its size after the crash
	crashFiles         map[string]bool
}

var openBench struct {
	once  sync.Once
	store *openBenchStore
	err   error
}

func openBenchStores(b *testing.B) *openBenchStore {
	b.Helper()
	openBench.once.Do(func() {
		events, err := benchStoreEvents()
		if err != nil {
			openBench.err = err
			return
		}
		t0 := time.Now()
		openBench.store, openBench.err = makeOpenBenchStores(events)
		if openBench.err == nil {
			b.Logf("built two %d-event stores in %s", events, time.Since(t0).Round(time.Millisecond))
		}
	})
	if openBench.err != nil {
		b.Fatal(openBench.err)
	}
	st := openBench.store
	b.Cleanup(func() { os.RemoveAll(st.root) })
	return st
}

func makeOpenBenchStores(events int) (st *openBenchStore, err error) {
	root, err := os.MkdirTemp("", benchStorePrefix+fmt.Sprint(os.Getpid())+"-open-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(root)
		}
	}()
	if err := checkBenchSpace(root, int64(events)*1100); err != nil {
		return nil, err
	}
	st = &openBenchStore{root: root, clean: filepath.Join(root, "clean"), crash: filepath.Join(root, "crash"), events: events}
	if err := fillOpenBenchStore(st.clean, events, true); err != nil {
		return nil, err
	}
	if err := fillOpenBenchStore(st.crash, events, false); err != nil {
		return nil, err
	}
	segs, err := benchSegments(st.crash)
	if err != nil {
		return nil, err
	}
	st.crashLast = segs[len(segs)-1]
	fi, err := os.Stat(st.crashLast)
	if err != nil {
		return nil, err
	}
	st.crashSize = fi.Size()
	names, err := os.ReadDir(st.crash)
	if err != nil {
		return nil, err
	}
	st.crashFiles = map[string]bool{}
	for _, n := range names {
		st.crashFiles[n.Name()] = true
	}
	return st, nil
}

// fillOpenBenchStore appends n events as bench/'s fill does and closes the
// engine (clean) or abandons it (a crash).
func fillOpenBenchStore(dir string, n int, clean bool) error {
	e, err := Open(dir, Options{SyncMode: SyncNone})
	if err != nil {
		return err
	}
	w := newBenchWorkload()
	items := make([]messages.BatchItem, 1000)
	for done := 0; done < n; {
		k := min(len(items), n-done)
		for i := range items[:k] {
			items[i] = messages.BatchItem{Coordinate: w.coords[i%len(w.coords)], Kind: benchKind, Payload: w.payload}
		}
		if _, err := e.AppendBatch(&messages.AppendBatch{Items: items[:k]}); err != nil {
			e.Close()
			return err
		}
		if err := e.Commit(); err != nil {
			e.Close()
			return err
		}
		done += k
	}
	if clean {
		return e.Close()
	}
	if err := e.Abandon(); err != nil {
		return err
	}
	return e.Release()
}

// restoreCrash puts the crashed store back as the crash left it: the last
// segment cut back to its size (an Open seals it with a footer), files
// written since (checkpoints) removed.
func (st *openBenchStore) restoreCrash() error {
	if err := os.Truncate(st.crashLast, st.crashSize); err != nil {
		return err
	}
	names, err := os.ReadDir(st.crash)
	if err != nil {
		return err
	}
	for _, n := range names {
		if !st.crashFiles[n.Name()] {
			if err := os.Remove(filepath.Join(st.crash, n.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// removeCheckpointFiles removes the checkpoints of the store in dir.
func removeCheckpointFiles(dir string) error {
	names, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, n := range names {
		if _, ok := format.ParseCheckpointName(n.Name()); ok {
			if err := os.Remove(filepath.Join(dir, n.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// benchCheckpointWrite times what a rotation adds to the commit path:
// encoding and writing the checkpoint of one segment of the clean store
// (64 MiB of 256-byte events, ~160,000 events), and reports its size per
// event.
func benchCheckpointWrite(b *testing.B, st *openBenchStore) {
	e, err := Open(st.clean, Options{SyncMode: SyncNone})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	x := e.idx
	seg := x.at(0).segment
	end := uint32(0)
	for int(end) < x.count() && x.at(end).segment == seg {
		end++
	}
	sp := &span{seg: uint64(seg), first: 0, end: end, resume: format.Position{Segment: uint64(seg) + 1}}
	for p := range end {
		sp.endStream = max(sp.endStream, x.at(p).stream+1)
	}
	for si := range sp.endStream {
		s := x.streams[si]
		sp.tails = append(sp.tails, spanTail{stream: si, version: uint64(len(s.pos)), hash: s.lastHash, wall: s.lastWall})
	}
	var size int
	for b.Loop() {
		written, err := e.writeCheckpoint(sp)
		if err != nil || !written {
			b.Fatal(written, err)
		}
		size = len(e.ckptBuf)
	}
	b.ReportMetric(float64(end), "events")
	b.ReportMetric(float64(size)/float64(end), "B/event")
}

// minorFaults returns the process's minor page faults so far.
func minorFaults() int64 {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Minflt
}

func benchCheckpointSegments(r RecoveryReport) int { return r.CheckpointSegments }
func benchIndexBytes(s Stats) int64                { return s.IndexBytes }
