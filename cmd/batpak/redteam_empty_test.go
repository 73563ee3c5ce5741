package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/batpak-go/batpak/storage"
)

// A store opened and closed without an event holds only its LOCK file (a
// Close removes an empty segment): every command takes it for the empty
// store it is, repair too (it said "not a batpak store", exit status 1).
func TestAStoreWithNoEventIsAnEmptyStoreForEveryCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	e, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	for _, args := range [][]string{
		{"verify", dir}, {"stats", dir}, {"dump", dir}, {"export", dir}, {"tail", dir},
		{"repair", dir, "--dry-run"}, {"repair", dir},
		{"backup", dir, filepath.Join(t.TempDir(), "copy")},
	} {
		r := cli(t, "", args...)
		if r.code != ExitOK || r.stderr != "" {
			t.Fatalf("%v: %+v", args, r)
		}
		if args[0] == "repair" && !strings.Contains(r.stdout, "nothing to repair") {
			t.Fatalf("%v: %q", args, r.stdout)
		}
	}
	if after := snapshot(t, dir); after != before {
		t.Fatalf("the store changed:\n%s\n%s", before, after)
	}
}
