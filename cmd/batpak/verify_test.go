package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
)

func TestVerifyCleanStoreExitsZero(t *testing.T) {
	dir, evs := writeSegmented(t, 400, 7)
	r := cli(t, "", "verify", dir)
	if r.code != ExitOK || r.stderr != "" {
		t.Fatalf("%+v", r)
	}
	if !strings.Contains(r.stdout, "400 events, 7 entities") || !strings.Contains(r.stdout, "ok: every frame") {
		t.Fatalf("stdout %q", r.stdout)
	}
	r = cli(t, "", "verify", dir, "--json")
	var out verifyJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != ExitOK {
		t.Fatalf("%v: %+v", err, r)
	}
	segs := int(evs[len(evs)-1].Segment)
	if !out.OK || out.Events != 400 || out.Entities != 7 || out.Segments != segs || out.Bytes == 0 ||
		out.Checkpoints != segs || out.Errors == nil || len(out.Errors) != 0 {
		t.Fatalf("%+v", out)
	}
	// The JSON object has exactly the documented keys.
	var keys map[string]any
	_ = json.Unmarshal([]byte(r.stdout), &keys)
	for _, k := range []string{"ok", "segments", "events", "entities", "bytes", "errors"} {
		if _, ok := keys[k]; !ok {
			t.Fatalf("no %q in %s", k, r.stdout)
		}
	}
}

// A corrupted copy of a store exits 3, naming the segment, the offset and,
// where the damage is in an event, its entity; the original stays clean.
func TestVerifyCorruptCopiesExitThree(t *testing.T) {
	dir, evs := writeSegmented(t, 400, 7)
	mid := evs[len(evs)/2]
	if mid.Segment < 2 || mid.Segment >= evs[len(evs)-1].Segment {
		t.Fatalf("the middle event is in segment %d of %d", mid.Segment, evs[len(evs)-1].Segment)
	}
	segPath := func(d string, id uint64) string { return filepath.Join(d, format.SegmentName(id)) }
	cases := []struct {
		name    string
		damage  func(d string)
		part    string
		segment uint64
		offset  int64 // -1: any
		entity  messages.Coordinate
	}{
		{"payload byte", func(d string) { flipByte(t, segPath(d, mid.Segment), mid.Offset+int64(len(mid.Payload))/2+20) },
			"frame", mid.Segment, mid.Offset, mid.Coordinate},
		{"truncated sealed segment", func(d string) {
			if err := os.Truncate(segPath(d, 1), 5000); err != nil {
				t.Fatal(err)
			}
		}, "frame", 1, -1, messages.Coordinate{}},
		{"footer", func(d string) {
			f, err := os.Open(segPath(d, mid.Segment))
			if err != nil {
				t.Fatal(err)
			}
			info, _ := f.Stat()
			at := format.FooterAt(f, info.Size())
			f.Close()
			flipByte(t, segPath(d, mid.Segment), at+40)
		}, "footer", mid.Segment, -1, messages.Coordinate{}},
		{"checkpoint", func(d string) {
			flipByte(t, filepath.Join(d, format.CheckpointName(mid.Segment)), format.CheckpointHeaderSize+10)
		}, "checkpoint", mid.Segment, -1, messages.Coordinate{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := copyStore(t, dir)
			c.damage(d)
			r := cli(t, "", "verify", d)
			oneLineErr(t, r, ExitCorrupt, "corrupt", fmt.Sprintf("segment %d", c.segment))
			r = cli(t, "", "verify", d, "--json")
			var out verifyJSON
			if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != ExitCorrupt || out.OK {
				t.Fatalf("%v: %+v", err, r)
			}
			var f *faultJSON
			for i := range out.Errors {
				if out.Errors[i].Part == c.part && f == nil {
					f = &out.Errors[i]
				}
			}
			if f == nil || f.Segment != c.segment || c.offset >= 0 && f.Offset != c.offset ||
				f.Entity != c.entity.Entity || f.Scope != c.entity.Scope || f.Reason == "" {
				t.Fatalf("errors %+v, want a %s fault in segment %d at %d of %q", out.Errors, c.part, c.segment, c.offset, c.entity)
			}
			if c.entity.Entity != "" && !strings.Contains(r.stdout, "") {
				t.Fatal("unreachable")
			}
			text := cli(t, "", "verify", d).stdout
			if !strings.Contains(text, fmt.Sprintf("FAULT %s: segment %d at offset %d", c.part, f.Segment, f.Offset)) {
				t.Fatalf("text output %q", text)
			}
			if c.entity.Entity != "" && !strings.Contains(text, "entity "+c.entity.String()) {
				t.Fatalf("text output %q does not name %s", text, c.entity)
			}
		})
	}
	if r := cli(t, "", "verify", dir); r.code != ExitOK {
		t.Fatalf("the original: %+v", r)
	}
}

// A segment that cannot be read is an I/O error: exit 4 (here a directory
// in a segment file's place, which even root cannot read as a file).
func TestVerifyUnreadableSegmentExitsFour(t *testing.T) {
	dir, _ := writeSegmented(t, 100, 3)
	path := filepath.Join(dir, format.SegmentName(1))
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"verify", "stats", "dump", "tail"} {
		oneLineErr(t, cli(t, "", cmd, dir), ExitIO, "segment 1")
	}
}

// A segment file that cannot be read is an I/O error: exit 4.
func TestVerifyUnreadableFileExitsFour(t *testing.T) {
	dir, _ := writeSegmented(t, 100, 3)
	path := filepath.Join(dir, format.SegmentName(1))
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(path, 0o600)
	if f, err := os.Open(path); err == nil {
		f.Close()
		t.Skipf("running as uid %d: chmod 0 does not stop this process reading", os.Geteuid())
	}
	r := cli(t, "", "verify", dir)
	oneLineErr(t, r, ExitIO, "segment 1")
}

// Bad input is one line and exit 1; a usage error exit 2.
func TestReadCommandsBadInput(t *testing.T) {
	notStore := t.TempDir()
	os.WriteFile(filepath.Join(notStore, "notes.txt"), []byte("x"), 0o600)
	file := filepath.Join(notStore, "notes.txt")
	missing := filepath.Join(t.TempDir(), "missing")
	for _, cmd := range []string{"verify", "stats", "dump", "tail"} {
		oneLineErr(t, cli(t, "", cmd, missing), ExitError, "no such file or directory")
		oneLineErr(t, cli(t, "", cmd, notStore), ExitError, "not a store")
		oneLineErr(t, cli(t, "", cmd, file), ExitError, "not a directory")
		oneLineErr(t, cli(t, "", cmd), ExitUsage, "accepts 1 arg")
		if _, err := os.Stat(filepath.Join(missing)); err == nil {
			t.Fatalf("%s created the missing directory", cmd)
		}
		if names, _ := os.ReadDir(notStore); len(names) != 1 {
			t.Fatalf("%s wrote into a directory that is not a store", cmd)
		}
	}
	oneLineErr(t, cli(t, "", "verify", notStore, "--progress", "sometimes"), ExitError, "--progress")
}

// verify changes no file of the store it reads, and in a test (stderr is
// not a terminal) draws no progress bar.
func TestVerifyChangesNothingAndDrawsNoBarIntoAPipe(t *testing.T) {
	dir, _ := writeSegmented(t, 300, 5)
	before := snapshot(t, dir)
	r := cli(t, "", "verify", dir)
	if r.code != ExitOK || r.stderr != "" {
		t.Fatalf("%+v", r)
	}
	for _, cmd := range [][]string{{"stats", dir}, {"dump", dir}, {"tail", dir}} {
		if r := cli(t, "", cmd...); r.code != ExitOK || r.stderr != "" {
			t.Fatalf("%v: %+v", cmd, r)
		}
	}
	if after := snapshot(t, dir); after != before {
		t.Fatalf("the store changed:\n%s\n%s", before, after)
	}
}

// snapshot describes every file of dir: name, size, mode, time.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	names, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, n := range names {
		info, err := n.Info()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %d %v %v\n", n.Name(), info.Size(), info.Mode(), info.ModTime().UnixNano())
	}
	return b.String()
}

// An index checkpoint that cannot be read (here a directory in its place)
// is an I/O error, exit 4, not corruption: verify and stats read them.
func TestUnreadableCheckpointExitsFour(t *testing.T) {
	dir, _ := writeSegmented(t, 100, 3)
	path := filepath.Join(dir, format.CheckpointName(1))
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"verify", "stats"} {
		r := cli(t, "", cmd, dir)
		if r.code != ExitIO || !strings.Contains(r.stderr, "checkpoint "+format.CheckpointName(1)) || strings.Count(r.stderr, "\n") != 1 {
			t.Fatalf("%s: code %d, stderr %q", cmd, r.code, r.stderr)
		}
	}
}
