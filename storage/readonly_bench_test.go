package storage

import (
	"testing"

	"github.com/batpak-go/batpak/messages"
)

// BenchmarkRefresh measures what a follower (batpak tail -f) pays per
// poll. A writer holds a store of 64 segments of 64 KiB (about 12,000
// events of 300 bytes) and keeps its active segment preallocated
// (zeros after the data, as Options.Preallocate leaves it).
// state=idle: nothing new since the last Refresh; state=one-event: the
// writer committed one event since (the op includes that commit, with
// SyncNone).
func BenchmarkRefresh(b *testing.B) {
	dir := b.TempDir()
	opts := Options{SegmentSize: 64 << 10, Preallocate: 16 << 10, SyncMode: SyncNone}
	e, err := Open(dir, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	payload := make([]byte, 300)
	put := func(i int) {
		a := messages.Append{Coordinate: messages.Coordinate{Entity: "e" + string(rune('a'+i%8)), Scope: "bench"}, Kind: testKind, Payload: payload}
		if _, err := e.Append(&a); err != nil {
			b.Fatal(err)
		}
		if err := e.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; e.WriterStats().ActiveSegment < 64; i++ {
		put(i)
	}
	ro, err := OpenReadOnly(dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer ro.Close()
	b.Run("state=idle", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if n, err := ro.Refresh(); err != nil || n != 0 {
				b.Fatal(n, err)
			}
		}
	})
	b.Run("state=one-event", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			put(i)
			i++
			if n, err := ro.Refresh(); err != nil || n != 1 {
				b.Fatal(n, err)
			}
		}
	})
}
