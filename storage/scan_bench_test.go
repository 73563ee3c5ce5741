//go:build linux

package storage

import (
	"fmt"
	"os"
	"testing"

	"github.com/batpak-go/batpak/messages"
)

// BenchmarkScanDir reads the store BenchmarkRead reads (BATPAK_BENCH_EVENTS
// events, default 1,000,000, closed cleanly) with a DirScanner, next to the
// engine's streaming read of the same store, with and without the Open
// that builds the engine's index. One op is one whole read of every event:
//
//   - engine=read: Engine.Read over an engine opened once (BenchmarkRead's
//     path=scan/api=iterator);
//   - engine=open+read: Open (index checkpoints), Read, Close;
//   - scan=plain: every committed event with its payload (batpak dump);
//   - scan=check: plus every hash, chain, footer and checkpoint (verify);
//   - scan=summary: from the footers, no payloads (batpak stats).
func BenchmarkScanDir(b *testing.B) {
	n, err := benchStoreEvents()
	if err != nil {
		b.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "batpak-scan-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := buildReadBenchStore(dir, n); err != nil {
		b.Fatal(err)
	}
	scan := func(opts ScanOptions) func() (int, error) {
		return func() (int, error) {
			k := 0
			rep, err := ScanDir(dir, opts, func(*messages.Event) error { k++; return nil })
			if err == nil && len(rep.Faults) > 0 {
				err = fmt.Errorf("faults: %+v", rep.Faults[0])
			}
			return k, err
		}
	}
	openRead := func() (int, error) {
		o, err := Open(dir, Options{SyncMode: SyncNone})
		if err != nil {
			return 0, err
		}
		k, err := countRead(o.Read(Filter{}))
		if cerr := o.Close(); err == nil {
			err = cerr
		}
		return k, err
	}
	cases := []struct {
		name string
		read func() (int, error)
	}{
		{"engine=read", nil}, // an engine opened once, outside the timing
		{"engine=open+read", openRead},
		{"scan=plain", scan(ScanOptions{})},
		{"scan=check", scan(ScanOptions{Check: true})},
		{"scan=summary", scan(ScanOptions{Summary: true})},
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("events=%d/%s", n, c.name), func(b *testing.B) {
			read := c.read
			if read == nil {
				e, err := Open(dir, Options{SyncMode: SyncNone})
				if err != nil {
					b.Fatal(err)
				}
				defer e.Close()
				read = func() (int, error) { return countRead(e.Read(Filter{})) }
			}
			b.ReportAllocs()
			for b.Loop() {
				got, err := read()
				if err != nil {
					b.Fatal(err)
				}
				if got != n {
					b.Fatalf("read %d events, want %d", got, n)
				}
			}
			reportEventRate(b, n*b.N)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
		})
	}
}

// BenchmarkScanFollowIdle is one poll of a follower (batpak tail -f) when
// nothing was written since the last: a Scan of a live store's directory
// that finds nothing new. check=on is the Scan as it is, which first checks
// that the segment read last still holds what was read (an open, a header
// read and the trailer's, see checkLog); check=off skips that check, to
// show its cost.
func BenchmarkScanFollowIdle(b *testing.B) {
	dir := b.TempDir()
	e, err := Open(dir, Options{SegmentSize: 1 << 20, SyncMode: SyncNone})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	for i := range 2000 {
		if _, err := e.Append(&messages.Append{Coordinate: coord(fmt.Sprint(i % 10)), Kind: testKind, Payload: make([]byte, 200)}); err != nil {
			b.Fatal(err)
		}
	}
	if err := e.Commit(); err != nil {
		b.Fatal(err)
	}
	for _, check := range []bool{true, false} {
		b.Run(fmt.Sprintf("check=%v", map[bool]string{true: "on", false: "off"}[check]), func(b *testing.B) {
			s, err := NewDirScanner(dir, ScanOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Scan(nil); err != nil {
				b.Fatal(err)
			}
			if !check {
				s.lastSeg = 0 // checkLog's "nothing read yet"
			}
			for b.Loop() {
				if err := s.Scan(nil); err != nil {
					b.Fatal(err)
				}
			}
			if s.Report().Events != 2000 {
				b.Fatalf("%d events", s.Report().Events)
			}
		})
	}
}
