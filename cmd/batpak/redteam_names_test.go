package main

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// strayFile adds a file of junk named name to a copy of the store in dir.
func strayFile(t *testing.T, dir, name string) string {
	t.Helper()
	c := copyStore(t, dir)
	if err := os.WriteFile(filepath.Join(c, name), []byte("not a segment: 32 bytes or more of junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// A file whose name only looks like a segment's (segment 0, which the
// engine never creates, an id written with more digits than a segment
// name has, or one past format.MaxSegmentID) is not a segment: every read
// command answers as without it, with no internal error (segment 0 was a
// panic in the scanner; an 11-digit name was read as the segment of the
// same id, whose real file it is not; after repair set a junk
// 4294967297.seg aside, the engine wrote segment 4294967298, which its
// 32-bit index took for segment 2, and a junk 18446744073709551615.seg
// made the next segment 0).
func TestNamesThatOnlyLookLikeSegmentsAreIgnored(t *testing.T) {
	dir, _ := writeSegmented(t, 300, 4)
	want := map[string]result{}
	for _, c := range []string{"verify", "dump", "export"} {
		want[c] = cli(t, "", c, dir)
	}
	for _, name := range []string{"0000000000.seg", "00000000002.seg", "000000000099.seg",
		"4294967297.seg", "9999999999.seg", "18446744073709551615.seg"} {
		c := strayFile(t, dir, name)
		for cmd, w := range want {
			r := cli(t, "", cmd, c)
			if r.code != w.code || r.stderr != w.stderr {
				t.Fatalf("%s with a file %s: exit %d, stderr %q; want exit %d, stderr %q", cmd, name, r.code, r.stderr, w.code, w.stderr)
			}
			if cmd != "verify" && r.stdout != w.stdout {
				t.Fatalf("%s with a file %s: another answer", cmd, name)
			}
		}
	}
}

// A junk file with a segment's name and a high id is set aside by repair
// (renamed .dropped) at a cost that does not grow with the id: the
// engine's index made an (empty) checkpoint span for every id in the gap,
// so that 9999999999.seg took a dry run to an out-of-memory kill.
func TestRepairOfAJunkSegmentWithAHighIDIsCheap(t *testing.T) {
	dir, _ := writeSegmented(t, 300, 4)
	c := strayFile(t, dir, "0004000000.seg")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := cli(t, "", "repair", c, "--dry-run")
	runtime.ReadMemStats(&after)
	if r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Fatalf("a dry run allocated %d MiB for a store of 300 events", alloc>>20)
	}
	if r := cli(t, "", "repair", c); r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
	if r := cli(t, "", "verify", c); r.code != ExitOK {
		t.Fatalf("after repair: %+v", r)
	}
	// The store takes new events after it, and reads them back through
	// the engine's index.
	export := cli(t, "", "export", dir, "--limit", "2")
	if r := cli(t, export.stdout, "import", c); r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
	last := jsonLines(t, cli(t, "", "dump", c, "--json", "--from", "300").stdout)
	if len(last) != 2 {
		t.Fatalf("after import: %d events from sequence 300, want 2", len(last))
	}
	if r := cli(t, "", "graph", c, "--event", last[1]["id"].(string)); r.code != ExitOK {
		t.Fatalf("the imported event does not read back: %+v", r)
	}
}
