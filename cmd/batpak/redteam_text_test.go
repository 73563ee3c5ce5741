package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/storage/format"
)

// An entity, scope or metadata key may hold any UTF-8 but NUL: control
// characters in them (a terminal escape sequence, a newline) are shown
// escaped in the text the commands print, never sent raw to the
// operator's terminal or splitting a line.
func TestControlCharactersInNamesArePrintedEscaped(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	e, err := storage.Open(dir, storage.Options{SegmentSize: 16 << 10, SyncMode: storage.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		p, _ := msgpack.Marshal(map[string]int{"n": i})
		c := messages.Coordinate{Entity: fmt.Sprintf("evil\x1b[2J\nline-%d", i%3), Scope: "s\x07"}
		md := messages.Metadata{"key\x1b]0;title\x07": "v"}
		if _, err := e.Append(&messages.Append{Coordinate: c, Kind: testKind, Payload: p, Metadata: md}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	raw := func(what, s string) {
		t.Helper()
		if strings.ContainsAny(s, "\x1b\x07") {
			t.Fatalf("%s prints a control character raw: %q", what, s)
		}
	}
	r := cli(t, "", "dump", dir, "--limit", "1")
	raw("dump", r.stdout)
	if first := strings.SplitN(r.stdout, "\n", 2)[0]; !strings.Contains(first, "kind 1:001") {
		t.Fatalf("dump: the event's first line is split: %q", r.stdout)
	}
	r = cli(t, "", "stats", dir)
	raw("stats", r.stdout)

	evs := readAll(t, dir)
	bad := copyStore(t, dir)
	flipByte(t, filepath.Join(bad, format.SegmentName(evs[100].Segment)), evs[100].Offset+30)
	r = cli(t, "", "verify", bad)
	if r.code != ExitCorrupt {
		t.Fatalf("%+v", r)
	}
	raw("verify", r.stdout)
	raw("verify's error", r.stderr)
	oneLineErr(t, r, ExitCorrupt, `evil\x1b[2J\nline`)
}
