package format_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/storage/format"
)

// Applications use package storage; format is for tools that read the
// files themselves. This one reads a sealed segment's header and its
// footer's records (one per frame: a batch's BEGIN, its events, its
// COMMIT) without decoding a single frame.
func ExampleReadFooter() {
	dir, err := os.MkdirTemp("", "batpak-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	e, err := storage.Open(dir, storage.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	order := messages.Coordinate{Entity: "order/42", Scope: "shop"}
	kind := messages.MustKind(1, 1)
	if _, err := e.AppendBatch(&messages.AppendBatch{Items: []messages.BatchItem{
		{Coordinate: order, Kind: kind}, {Coordinate: order, Kind: kind}}}); err != nil {
		fmt.Println(err)
		return
	}
	if err := e.Commit(); err != nil {
		fmt.Println(err)
		return
	}
	if err := e.Close(); err != nil { // seals the segment: footer and trailer
		fmt.Println(err)
		return
	}

	f, err := os.Open(filepath.Join(dir, format.SegmentName(1)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := format.ReadHeader(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("segment", h.ID, format.SegmentName(h.ID))
	err = format.ReadFooter(f, h.ID, st.Size(), func(r *format.Record) error {
		switch r.Type {
		case format.TypeBegin:
			fmt.Println(r.Offset, "BEGIN", r.Marker.Count, "events from sequence", r.Marker.FirstSeq)
		case format.TypeEvent:
			fmt.Println(r.Offset, "event", r.Event.Sequence, r.Event.Coordinate.Entity, "version", r.Event.Version)
		case format.TypeCommit:
			fmt.Println(r.Offset, "COMMIT", r.Marker.Count)
		}
		return nil
	})
	fmt.Println(err)
	// Output:
	// segment 1 0000000001.seg
	// 32 BEGIN 2 events from sequence 0
	// 62 event 0 order/42 version 1
	// 217 event 1 order/42 version 2
	// 372 COMMIT 2
	// <nil>
}
