package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkBaselineFdatasync is what the disk can do without the engine:
// g records of benchPayloadSize bytes in one write(2) to a growing file,
// then one fdatasync(2), in a loop. One b.N iteration is one group. The
// engine's durable benchmarks (BenchmarkCommitDurable) are judged against
// its records/s for the same g.
func BenchmarkBaselineFdatasync(b *testing.B) {
	for _, g := range benchGroups {
		b.Run(fmt.Sprintf("records=%d/payload=%d", g, benchPayloadSize), func(b *testing.B) {
			f, err := os.OpenFile(filepath.Join(b.TempDir(), "baseline.log"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = f.Close() }) // after a Fatal; the normal path closes below
			fd := int(f.Fd())
			buf := make([]byte, g*benchPayloadSize)
			for i := range buf {
				buf[i] = byte(i*7 + 1)
			}
			var lat benchLatency
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				t0 := time.Now()
				if _, err := f.Write(buf); err != nil {
					b.Fatal(err)
				}
				if err := benchFdatasync(fd); err != nil {
					b.Fatal(err)
				}
				lat.add(time.Since(t0))
			}
			b.ReportMetric(float64(g*b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(1, "fsyncs/op")
			lat.report(b)
			if err := f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
				b.Fatal(err)
			}
		})
	}
}

// benchFdatasync is fdatasync(2), retried on EINTR like the engine's fs.OS.
func benchFdatasync(fd int) error {
	for {
		if err := unix.Fdatasync(fd); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
