package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// writeSegmented writes a closed store of small segments (16 KiB), so that
// it has several sealed segments with footers and index checkpoints, and
// returns its directory and its events as an engine reads them.
func writeSegmented(t *testing.T, events, entities int) (string, []messages.Event) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	e, err := storage.Open(dir, storage.Options{SegmentSize: 16 << 10, SyncMode: storage.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	appendEvents(t, e, 0, events, entities)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, readAll(t, dir)
}

// readAll reads every event of the closed store in dir through an engine
// (which rewrites nothing in a clean store).
func readAll(t *testing.T, dir string) []messages.Event {
	t.Helper()
	e, err := storage.Open(dir, storage.Options{SyncMode: storage.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var evs []messages.Event
	for ev, err := range e.Read(storage.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		ev.Payload = bytes.Clone(ev.Payload)
		evs = append(evs, ev)
	}
	return evs
}

// copyStore copies the files of the store in dir to a new directory.
func copyStore(t *testing.T, dir string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), "copy")
	if err := os.Mkdir(to, 0o700); err != nil {
		t.Fatal(err)
	}
	names, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, n.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// flipByte flips the bits of the byte at off in the file at path.
func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[off] ^= 0xff
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// jsonLines decodes stdout as JSON lines.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}

// oneLineErr checks that r failed with code and one "batpak: " line on
// stderr containing each of want.
func oneLineErr(t *testing.T, r result, code int, want ...string) {
	t.Helper()
	if r.code != code || !strings.HasPrefix(r.stderr, "batpak: ") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("want exit %d and one line, got %d: stderr %q", code, r.code, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Fatalf("stderr %q lacks %q", r.stderr, w)
		}
	}
}
