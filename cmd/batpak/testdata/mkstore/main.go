// Command mkstore writes a batpak-go store for trying and measuring the
// batpak tool (go run ./cmd/batpak/testdata/mkstore -dir DIR -events N):
// events with msgpack map payloads ({"n": i, "pad": bytes}, or with -pad 0
// {"order": ..., "total": ...}) over a number
// of entities, in atomic batches, closed cleanly. With -read it instead
// opens the store with an Engine and reads every event (the engine's
// streaming read, to compare with the tool's).
package main

import (
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

func main() {
	dir := flag.String("dir", "", "the store directory")
	events := flag.Int("events", 1_000_000, "events to write")
	entities := flag.Int("entities", 1000, "entities to spread them over")
	pad := flag.Int("pad", 220, "bytes of padding in each payload")
	batch := flag.Int("batch", 1000, "events per atomic batch")
	read := flag.Bool("read", false, "read the store through an Engine instead of writing it")
	segment := flag.Int64("segment", 0, "segment size in bytes (0: the engine's default, 64 MiB)")
	flag.Parse()
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	if *read {
		readAll(*dir)
		return
	}
	e, err := storage.Open(*dir, storage.Options{SyncMode: storage.SyncNone, SegmentSize: *segment})
	if err != nil {
		log.Fatal(err)
	}
	kind := messages.MustKind(1, 1)
	padding := make([]byte, *pad)
	items := make([]messages.BatchItem, 0, *batch)
	for i := 0; i < *events; i++ {
		v := map[string]any{"n": i, "pad": padding}
		if *pad == 0 {
			v = map[string]any{"order": i % *entities, "total": i * 10}
		}
		p, err := msgpack.Marshal(v)
		if err != nil {
			log.Fatal(err)
		}
		items = append(items, messages.BatchItem{Kind: kind, Payload: p,
			Coordinate: messages.Coordinate{Entity: fmt.Sprintf("order/%d", i%*entities), Scope: "bench"}})
		if len(items) == cap(items) || i == *events-1 {
			if _, err := e.AppendBatch(&messages.AppendBatch{Items: items}); err != nil {
				log.Fatal(err)
			}
			if err := e.Commit(); err != nil {
				log.Fatal(err)
			}
			items = items[:0]
		}
	}
	if err := e.Close(); err != nil {
		log.Fatal(err)
	}
}

func readAll(dir string) {
	start := time.Now()
	e, err := storage.Open(dir, storage.Options{SyncMode: storage.SyncNone})
	if err != nil {
		log.Fatal(err)
	}
	opened := time.Since(start)
	n := 0
	for _, err := range e.Read(storage.Filter{}) {
		if err != nil {
			log.Fatal(err)
		}
		n++
	}
	if err := e.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d events: open %v, open+read %v\n", n, opened.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}
