package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// result is what one run of the command line gave.
type result struct {
	stdout, stderr string
	code           int
}

// cli runs batpak with args (and stdin, if given) in-process.
func cli(t testing.TB, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// testKind is the kind the test stores' events have.
var testKind = messages.MustKind(1, 1)

// writeStore creates a closed store in a new directory with events events
// spread over entities entities ("entity-0"... in scope "test"), each
// payload a msgpack map {"n": i}, and returns the directory.
func writeStore(t testing.TB, events, entities int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	e, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	appendEvents(t, e, 0, events, entities)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// appendEvents appends and commits events from..from+n-1 to e (see
// writeStore).
func appendEvents(t testing.TB, e *storage.Engine, from, n, entities int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		payload, err := msgpack.Marshal(map[string]int{"n": i})
		if err != nil {
			t.Fatal(err)
		}
		c := messages.Coordinate{Entity: fmt.Sprintf("entity-%d", i%entities), Scope: "test"}
		if _, err := e.Append(&messages.Append{Coordinate: c, Kind: testKind, Payload: payload}); err != nil {
			t.Fatal(err)
		}
		if i%256 == 255 {
			if err := e.Commit(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := e.Commit(); err != nil {
		t.Fatal(err)
	}
}
