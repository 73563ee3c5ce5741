package main

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// benchStore writes a closed store of n events of 100-byte payloads over
// 1000 entities (SyncNone: the benchmarks read it, they do not time it).
func benchStore(b *testing.B, n int) string { return benchStoreOf(b, n, 100) }

// benchStoreOf is benchStore with payloads of size bytes.
func benchStoreOf(b *testing.B, n, size int) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "store")
	e, err := storage.Open(dir, storage.Options{SyncMode: storage.SyncNone})
	if err != nil {
		b.Fatal(err)
	}
	payload := bytes.Repeat([]byte("a"), size)
	for i := range n {
		c := messages.Coordinate{Entity: fmt.Sprintf("entity-%d", i%1000), Scope: "bench"}
		if _, err := e.Append(&messages.Append{Coordinate: c, Kind: testKind, Payload: payload}); err != nil {
			b.Fatal(err)
		}
		if i%1024 == 1023 {
			if err := e.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := e.Close(); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkExport runs export (open, streaming read, JSON lines, close) on
// a 100k-event store; events/s is the figure to compare with the store's
// streaming read (storage's BenchmarkRead*).
func BenchmarkExport(b *testing.B) {
	const n = 100_000
	dir := benchStore(b, n)
	env := &env{stdin: bytes.NewReader(nil), stdout: io.Discard, stderr: io.Discard}
	b.ResetTimer()
	for range b.N {
		if err := runExport(env, dir, &exportFlags{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkImport imports the export of a 10k-event store into a new store
// per iteration (commits of 4096 events, each an fsync).
func BenchmarkImport(b *testing.B) {
	const n = 10_000
	dir := benchStore(b, n)
	var out bytes.Buffer
	if err := runExport(&env{stdout: &out, stderr: io.Discard}, dir, &exportFlags{}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		env := &env{stdin: bytes.NewReader(out.Bytes()), stdout: io.Discard, stderr: io.Discard}
		if err := runImport(env, filepath.Join(b.TempDir(), fmt.Sprint(i)), &importFlags{commitEvery: 4096}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkReimport imports the export of a 20k-event store (4 KiB
// payloads: 80 MiB, over import's 32 MiB commit threshold) into a store
// that already holds it: every line is a replay that writes nothing. Its
// cost per event must not grow with the number of lines replayed.
func BenchmarkReimport(b *testing.B) {
	const n = 20_000
	dir := benchStoreOf(b, n, 4<<10)
	var out bytes.Buffer
	if err := runExport(&env{stdout: &out, stderr: io.Discard}, dir, &exportFlags{}); err != nil {
		b.Fatal(err)
	}
	dst := filepath.Join(b.TempDir(), "dst")
	imp := func() {
		env := &env{stdin: bytes.NewReader(out.Bytes()), stdout: io.Discard, stderr: io.Discard}
		if err := runImport(env, dst, &importFlags{commitEvery: 4096}); err != nil {
			b.Fatal(err)
		}
	}
	imp()
	b.ResetTimer()
	for range b.N {
		imp()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}
