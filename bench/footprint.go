package main

import (
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/batpak-go/batpak/storage"
)

// What a store costs per event: the bytes its files take on disk and the
// memory its index holds.

// dataSizer is a system that says which of its files hold its data (the
// others count every file under the directory).
type dataSizer interface {
	// DataBytes is the size of the data files under dir.
	DataBytes(dir string) (int64, error)
}

// indexMeter is a system that can measure its in-memory index.
type indexMeter interface {
	// IndexBytesPerEvent opens the store in dir (closed) and returns the
	// memory its index takes per event.
	IndexBytesPerEvent(dir string) (float64, error)
}

// dataBytes is the size of sys's data files under dir.
func dataBytes(sys System, dir string) (int64, error) {
	if d, ok := sys.(dataSizer); ok {
		return d.DataBytes(dir)
	}
	return filesBytes(dir, func(string) bool { return true })
}

// segmentBytes is the size of batpak's segment files under dir: frames,
// headers and footers (the lock file and anything else left out).
func segmentBytes(dir string) (int64, error) {
	return filesBytes(dir, func(name string) bool { return strings.HasSuffix(name, ".seg") })
}

// filesBytes sums the sizes of the regular files under dir whose names
// keep says to count.
func filesBytes(dir string, keep func(name string) bool) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !keep(d.Name()) {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		total += fi.Size()
		return nil
	})
	return total, err
}

// indexBytesPerEvent is the live heap an engine opened on dir holds, per
// event: the heap after a GC with the engine open, minus the heap after a
// GC before Open. Nothing else may run in the process meanwhile.
// It measures the heap rather than taking storage.Stats' IndexBytes (the
// engine's own estimate, which agrees within a few percent) so that the row
// counts everything Open leaves live.
func indexBytesPerEvent(dir string) (float64, error) {
	var before, after runtime.MemStats
	runtime.GC() // twice: the second empties sync.Pools' victim caches (read buffers)
	runtime.GC()
	runtime.ReadMemStats(&before)
	e, err := storage.Open(dir, engineOptions())
	if err != nil {
		return 0, err
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	events := e.Stats().Events // e stays live until here
	if err := e.Close(); err != nil {
		return 0, err
	}
	if events == 0 {
		return 0, nil
	}
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(events), nil
}
