package snapshot_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/batpak-go/batpak/es/snapshot"
	"github.com/batpak-go/batpak/storage/fs"
)

var benchSizes = []int{256, 64 << 10, 1 << 20}

// BenchmarkSave measures a durable Save (temp file, fsync, rename,
// directory fsync, retention) on real files, beside a naive baseline that
// writes and fsyncs one file in place (not crash-safe).
func BenchmarkSave(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("data=%d/store", size), func(b *testing.B) {
			s, err := snapshot.Open(b.TempDir(), snapshot.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			sn := snap(1)
			sn.Data = make([]byte, size)
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := range b.N {
				sn.Version = uint64(i + 1)
				if err := s.Save(sn); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("data=%d/baseline=write+fsync", size), func(b *testing.B) {
			dir := b.TempDir()
			data := make([]byte, size)
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := range b.N {
				f, err := os.Create(filepath.Join(dir, fmt.Sprint(i%2)))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := f.Write(data); err != nil {
					b.Fatal(err)
				}
				if err := fs.SyncFile(f); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
	}
}

// BenchmarkLatest measures Latest (list lookup, read, size and checksum
// checks) beside a baseline that only reads the file.
func BenchmarkLatest(b *testing.B) {
	for _, size := range benchSizes {
		dir := b.TempDir()
		s, err := snapshot.Open(dir, snapshot.Options{})
		if err != nil {
			b.Fatal(err)
		}
		sn := snap(1)
		sn.Data = make([]byte, size)
		for v := uint64(1); v <= 2; v++ {
			sn.Version = v
			if err := s.Save(sn); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("data=%d/store", size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for range b.N {
				if _, ok, err := s.Latest(order, orderType); err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
		newest := filepath.Join(dir, lastSnapName(b, dir))
		b.Run(fmt.Sprintf("data=%d/baseline=readfile", size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for range b.N {
				if _, err := os.ReadFile(newest); err != nil {
					b.Fatal(err)
				}
			}
		})
		s.Close()
	}
}

func lastSnapName(b *testing.B, dir string) string {
	m, err := filepath.Glob(filepath.Join(dir, "*.snap"))
	if err != nil || len(m) == 0 {
		b.Fatal(m, err)
	}
	return filepath.Base(m[len(m)-1])
}
