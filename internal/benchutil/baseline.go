package benchutil

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/batpak-go/batpak/storage/fs"
)

// FdatasyncLoop is what the disk can do without a store: group records of
// size bytes in one write(2) to a growing file in a fresh temporary
// directory, then one fdatasync(2), once per b.N iteration. It reports
// records/s, fsyncs/op and the latency of each write+fdatasync. The sync is
// fs.SyncFile, the store's own: fdatasync on Linux, F_FULLFSYNC on macOS,
// FlushFileBuffers on Windows.
func FdatasyncLoop(b *testing.B, group, size int) {
	f, err := os.OpenFile(filepath.Join(b.TempDir(), "baseline.log"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, group*size)
	for i := range buf {
		buf[i] = byte(i*7 + 1)
	}
	var lat Latency
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		t0 := time.Now()
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
		if err := fs.SyncFile(f); err != nil {
			b.Fatal(err)
		}
		lat.Add(time.Since(t0))
	}
	b.ReportMetric(float64(group*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(1, "fsyncs/op")
	lat.Report(b)
}
