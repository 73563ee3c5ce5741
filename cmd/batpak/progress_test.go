package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/batpak-go/batpak/storage/format"
)

// A bar is drawn only when asked for or on a terminal (a buffer is not one),
// and only once the read has taken progressDelay.
func TestProgressBarOnlyWhereItBelongs(t *testing.T) {
	var buf bytes.Buffer
	p, err := newProgress(&buf, "auto", "verify")
	if err != nil {
		t.Fatal(err)
	}
	p.delay = 0
	p.update(50, 100)
	p.finish()
	if buf.Len() != 0 {
		t.Fatalf("auto drew into a buffer: %q", buf.String())
	}
	p, _ = newProgress(&buf, "always", "verify")
	p.update(50, 100)
	if !bytes.Contains(buf.Bytes(), []byte("verify")) || !bytes.Contains(buf.Bytes(), []byte("50%")) {
		t.Fatalf("always drew %q", buf.String())
	}
	p.finish()
	buf.Reset()
	p, _ = newProgress(&buf, "always", "verify")
	p.delay = progressDelay * 1000 // a quick run
	p.update(50, 100)
	p.finish()
	if buf.Len() != 0 {
		t.Fatalf("a quick run drew %q", buf.String())
	}
	if _, err := newProgress(&buf, "never", "verify"); err != nil {
		t.Fatal(err)
	}
}

// verify stops after --max-errors faults and says so.
func TestVerifyMaxErrors(t *testing.T) {
	dir, evs := writeSegmented(t, 300, 4)
	d := copyStore(t, dir)
	seg := evs[150].Segment
	flipByte(t, filepath.Join(d, format.CheckpointName(seg)), format.CheckpointHeaderSize+10)
	flipByte(t, filepath.Join(d, format.CheckpointName(seg+1)), format.CheckpointHeaderSize+10)
	var out verifyJSON
	r := cli(t, "", "verify", d, "--json")
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != ExitCorrupt || len(out.Errors) != 2 || out.Truncated {
		t.Fatalf("%v %+v", err, r)
	}
	r = cli(t, "", "verify", d, "--json", "--max-errors", "1")
	out = verifyJSON{}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != ExitCorrupt || len(out.Errors) != 1 || !out.Truncated {
		t.Fatalf("%v %+v", err, r)
	}
}
