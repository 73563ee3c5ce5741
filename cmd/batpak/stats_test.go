package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/storage/format"
)

func TestStatsOfACleanStore(t *testing.T) {
	dir, evs := writeSegmented(t, 400, 7)
	r := cli(t, "", "stats", dir, "--json")
	if r.code != ExitOK || r.stderr != "" {
		t.Fatalf("%+v", r)
	}
	var out statsJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if out.Events != 400 || out.Entities != 7 || out.Segments != int(last.Segment) || out.Sealed != out.Segments ||
		out.IndexFiles != out.Segments || out.IndexBytes == 0 || out.Bytes == 0 || len(out.Errors) != 0 {
		t.Fatalf("%+v", out)
	}
	if out.Oldest == nil || out.Oldest.Sequence != 0 || out.Oldest.Entity != evs[0].Coordinate.Entity ||
		out.Newest == nil || out.Newest.Sequence != 399 || out.Newest.Entity != last.Coordinate.Entity || out.Newest.Segment != last.Segment {
		t.Fatalf("oldest %+v, newest %+v", out.Oldest, out.Newest)
	}
	for _, s := range out.Recovery {
		if !s.Sealed || s.Footer != "ok" || s.Checkpoint != "ok" || s.TornBytes != 0 || s.Events == 0 {
			t.Fatalf("segment %+v", s)
		}
	}
	text := cli(t, "", "stats", dir).stdout
	for _, want := range []string{"events       400", "entities     7", "newest       sequence 399", "recovery state:", "checkpoint"} {
		if !strings.Contains(text, want) {
			t.Fatalf("no %q in\n%s", want, text)
		}
	}
}

// A store whose writer stopped without closing it, with garbage after its
// last frame: stats shows the torn tail and the unsealed segment, and
// changes nothing (an open would cut the tail).
func TestStatsShowsATornTail(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	e, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	appendEvents(t, e, 0, 50, 3)
	if err := e.Abandon(); err != nil { // as a crashed writer leaves it
		t.Fatal(err)
	}
	defer e.Release()
	path := filepath.Join(dir, format.SegmentName(1))
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("raw garbage after the last frame")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	before := snapshot(t, dir)
	r := cli(t, "", "stats", dir, "--json")
	if r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
	var out statsJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	s := out.Recovery[0]
	if out.Events != 50 || out.Sealed != 0 || s.Sealed || s.Footer != "none" || s.Checkpoint != "none" ||
		s.TornBytes != info.Size()+32-s.DataEnd || s.TornZeros || s.TornReason == "" || len(out.Errors) != 0 {
		t.Fatalf("%+v\n%+v", out, s)
	}
	text := cli(t, "", "stats", dir).stdout
	if !strings.Contains(text, "torn tail: ") {
		t.Fatalf("text:\n%s", text)
	}
	if after := snapshot(t, dir); after != before {
		t.Fatal("stats changed the store")
	}
	// verify: not damage, a note.
	r = cli(t, "", "verify", dir)
	if r.code != ExitOK || !strings.Contains(r.stdout, "note: segment 1: torn tail") {
		t.Fatalf("%+v", r)
	}
}

func TestStatsOfAnEmptyStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	e, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	r := cli(t, "", "stats", dir, "--json")
	var out statsJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != ExitOK {
		t.Fatalf("%v %+v", err, r)
	}
	if out.Events != 0 || out.Oldest != nil || out.Newest != nil {
		t.Fatalf("%+v", out)
	}
	if r := cli(t, "", "verify", dir); r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
}

// stats says whether a running store holds the directory.
func TestStatsSaysWhetherAWriterHoldsTheStore(t *testing.T) {
	dir, _ := writeSegmented(t, 50, 3)
	var out statsJSON
	r := cli(t, "", "stats", dir, "--json")
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), r.stderr)
	require.Equal(t, "free", out.Writer)

	e, err := storage.Open(dir, storage.Options{})
	require.NoError(t, err)
	defer e.Close()
	r = cli(t, "", "stats", dir, "--json")
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &out), r.stderr)
	require.Equal(t, "held", out.Writer)
	require.Contains(t, cli(t, "", "stats", dir).stdout, "a running store holds it")
}
