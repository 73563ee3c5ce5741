package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// sequences returns the sequences of dump's or tail's JSON lines.
func sequences(t *testing.T, out string) []uint64 {
	t.Helper()
	var s []uint64
	for _, l := range jsonLines(t, out) {
		s = append(s, uint64(l["sequence"].(float64)))
	}
	return s
}

func span(from, to uint64) []uint64 {
	var s []uint64
	for q := from; q < to; q++ {
		s = append(s, q)
	}
	return s
}

func TestTailPrintsTheLastEvents(t *testing.T) {
	dir, _ := writeSegmented(t, 300, 4)
	for _, c := range []struct {
		args []string
		want []uint64
	}{
		{nil, span(290, 300)},
		{[]string{"-n", "3"}, span(297, 300)},
		{[]string{"-n", "0"}, nil},
		{[]string{"-n", "1000"}, span(0, 300)},
		{[]string{"-n", "5", "--count", "2"}, span(295, 297)},
		{[]string{"-n", "5", "--until-seq", "296"}, span(295, 297)},
	} {
		r := cli(t, "", append([]string{"tail", dir, "--json"}, c.args...)...)
		if r.code != ExitOK || r.stderr != "" {
			t.Fatalf("%v: %+v", c.args, r)
		}
		if got := sequences(t, r.stdout); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Fatalf("%v: %v, want %v", c.args, got, c.want)
		}
	}
	r := cli(t, "", "tail", dir, "-n", "1")
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, "#299  ") {
		t.Fatalf("%+v", r)
	}
	oneLineErr(t, cli(t, "", "tail", dir, "--poll", "0s"), ExitError, "--poll")
}

// tail -f follows a store a writer holds open (its lock taken), printing
// what the writer commits, batches included, until --count is reached.
func TestTailFollowsAWriter(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	w, err := storage.Open(dir, storage.Options{SegmentSize: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	appendEvents(t, w, 0, 20, 3)
	const more = 400
	out := &lineWriter{want: 5, reached: make(chan struct{})}
	done := make(chan result, 1)
	go func() {
		var errb bytes.Buffer
		code := run([]string{"tail", "-f", dir, "-n", "5", "--json", "--poll", "5ms", "--count", fmt.Sprint(5 + more)},
			strings.NewReader(""), out, &errb)
		done <- result{stdout: out.String(), stderr: errb.String(), code: code}
	}()
	select { // tail has read the store and follows it now
	case <-out.reached:
	case r := <-done:
		t.Fatalf("tail -f ended: %+v", r)
	case <-time.After(60 * time.Second):
		t.Fatal("tail -f printed no 5 lines within a minute")
	}
	// The writer goes on: single events and batches, over several segments.
	for i := 20; i < 20+more; {
		if i%3 == 0 {
			items := make([]messages.BatchItem, min(4, 20+more-i))
			for j := range items {
				items[j] = messages.BatchItem{Coordinate: messages.Coordinate{Entity: "batched", Scope: "test"}, Kind: testKind,
					Payload: []byte(fmt.Sprint(i + j))}
			}
			if _, err := w.AppendBatch(&messages.AppendBatch{Items: items}); err != nil {
				t.Fatal(err)
			}
			if err := w.Commit(); err != nil {
				t.Fatal(err)
			}
			i += len(items)
			continue
		}
		appendEvents(t, w, i, 1, 3)
		i++
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("tail -f did not print the writer's events within a minute")
	}
	if r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
	if got, want := sequences(t, r.stdout), span(15, 20+more); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("tail -f printed %v\nwant %v", got, want)
	}
	if st := w.Stats(); st.Segments < 3 {
		t.Fatalf("the writer used %d segments: the test did not cross a rotation", st.Segments)
	}
}

// lineWriter is a buffer safe for one writer and readers, which closes
// reached once want lines are written.
type lineWriter struct {
	mu      sync.Mutex
	b       bytes.Buffer
	want    int
	reached chan struct{}
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	before := bytes.Count(l.b.Bytes(), []byte("\n")) >= l.want
	n, err := l.b.Write(p)
	if !before && bytes.Count(l.b.Bytes(), []byte("\n")) >= l.want {
		close(l.reached)
	}
	return n, err
}

func (l *lineWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
