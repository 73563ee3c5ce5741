package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/storage/format"
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
	out, _, done := startTail(t, "tail", "-f", dir, "-n", "5", "--json", "--poll", "5ms", "--count", fmt.Sprint(5+more))
	out.await(t, 5, done) // tail has read the store and follows it now
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
	r := waitTail(t, done)
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

// lineBuffer is a buffer safe for one writer and readers, which wakes
// await at each write. mark, if set, is called at each write, and what it
// returns kept in marks.
type lineBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote chan struct{}
	mark  func() int
	marks []int
}

func newLineBuffer() *lineBuffer { return &lineBuffer{wrote: make(chan struct{}, 1)} }

func (l *lineBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mark != nil {
		l.marks = append(l.marks, l.mark())
	}
	n, err := l.b.Write(p)
	select {
	case l.wrote <- struct{}{}:
	default:
	}
	return n, err
}

func (l *lineBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lineBuffer) lines() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Count(l.b.Bytes(), []byte("\n"))
}

// await waits until l holds n lines; done says that tail ended first.
func (l *lineBuffer) await(t *testing.T, n int, done <-chan result) {
	t.Helper()
	limit := time.After(60 * time.Second)
	for l.lines() < n {
		select {
		case <-l.wrote:
		case r := <-done:
			t.Fatalf("tail ended before it printed %d lines: %+v", n, r)
		case <-limit:
			t.Fatalf("tail printed no %d lines within a minute: %q", n, l.String())
		}
	}
}

// startTail runs batpak with args (a tail -f) in-process, on a goroutine.
// stderr's marks say how many lines stdout held at each write to stderr.
func startTail(t *testing.T, args ...string) (stdout, stderr *lineBuffer, done <-chan result) {
	out, errb := newLineBuffer(), newLineBuffer()
	errb.mark = out.lines
	ch := make(chan result, 1)
	go func() {
		code := run(args, strings.NewReader(""), out, errb)
		ch <- result{stdout: out.String(), stderr: errb.String(), code: code}
	}()
	return out, errb, ch
}

// waitTail waits for tail to end.
func waitTail(t *testing.T, done <-chan result) result {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(60 * time.Second):
		t.Fatal("tail -f did not end within a minute")
	}
	return result{}
}

// appendReceipts appends n events to e ("fresh-i" in entity "fresh"),
// commits them and returns their receipts.
func appendReceipts(t *testing.T, e *storage.Engine, n int) []messages.Receipt {
	t.Helper()
	var rs []messages.Receipt
	for i := range n {
		payload, err := msgpack.Marshal(map[string]string{"fresh": fmt.Sprint(i)})
		require.NoError(t, err)
		r, err := e.Append(&messages.Append{Coordinate: messages.Coordinate{Entity: "fresh", Scope: "test"}, Kind: testKind, Payload: payload})
		require.NoError(t, err)
		rs = append(rs, r)
	}
	require.NoError(t, e.Commit())
	return rs
}

// requireLines requires tail's JSON lines to be the events of receipts
// rs, in order, from line at on.
func requireLines(t *testing.T, lines []map[string]any, at int, rs []messages.Receipt) {
	t.Helper()
	for i, r := range rs {
		l := lines[at+i]
		require.Equal(t, r.EventID.String(), l["id"], "line %d", at+i)
		require.Equal(t, float64(r.Sequence), l["sequence"], "line %d", at+i)
	}
}

// tail -f prints events a writer wrote but has not yet acknowledged
// (pipelined commit: the group is written, not yet published). The writer
// crashes; its recovery (a new Open with CutAfter, or CutUnpublished and
// Reopen) cuts them, in the segment tail reads or in the segment a
// rotation made, and the writer goes on. tail says so once, on stderr,
// after what it printed before, then prints the new events, which reuse
// the sequences of those cut; exit status 0.
func TestTailNoticesACutByTheWritersRecovery(t *testing.T) {
	for _, reopen := range []bool{false, true} {
		for _, rotate := range []bool{false, true} {
			name := map[bool]string{false: "Open with CutAfter", true: "CutUnpublished and Reopen"}[reopen] +
				map[bool]string{false: ", same segment", true: ", across a rotation"}[rotate]
			t.Run(name, func(t *testing.T) { testTailAfterACut(t, reopen, rotate) })
		}
	}
}

func testTailAfterACut(t *testing.T, reopen, rotate bool) {
	dir := filepath.Join(t.TempDir(), "store")
	opts := storage.Options{SegmentSize: 16 << 10}
	w, err := storage.Open(dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { w.Close() })
	appendEvents(t, w, 0, 20, 3)
	const fresh = 10
	out, errb, done := startTail(t, "tail", "-f", dir, "-n", "5", "--json", "--poll", "5ms", "--count", fmt.Sprint(5+3+fresh))
	out.await(t, 5, done)

	pub := w.Published()
	sizes := []int{10, 10, 10}
	if rotate {
		sizes[0] = int(opts.SegmentSize - pub.Offset) // does not fit: the group starts a new segment
	}
	var cut []messages.Receipt
	for i, n := range sizes {
		payload, err := msgpack.Marshal(map[string]any{"unacked": i, "pad": strings.Repeat("x", n)})
		require.NoError(t, err)
		r, err := w.Append(&messages.Append{Coordinate: messages.Coordinate{Entity: "cut", Scope: "test"}, Kind: testKind, Payload: payload})
		require.NoError(t, err)
		cut = append(cut, r)
	}
	_, err = w.Write() // written, never published: not acknowledged
	require.NoError(t, err)
	for _, r := range cut {
		require.Equal(t, pub.Segment+map[bool]uint64{false: 0, true: 1}[rotate], r.Segment)
	}
	out.await(t, 8, done) // tail printed them

	if reopen {
		require.NoError(t, w.CutUnpublished())
		require.NoError(t, w.Abandon())
		w, err = w.Reopen()
	} else {
		require.NoError(t, w.Abandon()) // a crash
		require.NoError(t, w.Release())
		o := opts
		o.CutAfter = &pub
		w, err = storage.Open(dir, o)
	}
	require.NoError(t, err)
	news := appendReceipts(t, w, fresh)

	r := waitTail(t, done)
	require.Equal(t, ExitOK, r.code, "%+v", r)
	lines := jsonLines(t, r.stdout)
	require.Equal(t, append(span(15, 23), span(20, 20+fresh)...), sequences(t, r.stdout))
	requireLines(t, lines, 5, cut)
	requireLines(t, lines, 8, news)
	require.Equal(t, "batpak: the log changed under tail: the events it printed from sequence 20 on were cut "+
		"(by a writer's recovery after a crash, or by a repair); following the log from sequence 20 "+
		"(the events that follow may reuse those sequences)\n", r.stderr)
	require.Equal(t, []int{8}, errb.marks, "the notice comes after the 8 lines printed before the cut")
}

// batpak repair cuts a sealed segment that tail -f printed (a flipped
// byte in it) while tail follows the store; then a writer opens it and
// appends. tail says once from which sequence the events it printed were
// cut, and prints what the writer appends.
func TestTailNoticesARepair(t *testing.T) {
	dir, evs := writeSegmented(t, 300, 4)
	lastSeg := evs[len(evs)-1].Segment
	var inLast []messages.Event
	for _, ev := range evs {
		if ev.Segment == lastSeg {
			inLast = append(inLast, ev)
		}
	}
	require.Greater(t, len(inLast), 5)
	hit := inLast[len(inLast)/2]
	const fresh = 10
	out, errb, done := startTail(t, "tail", "-f", dir, "-n", "1000", "--json", "--poll", "5ms", "--count", fmt.Sprint(300+fresh))
	out.await(t, 300, done)

	f, err := os.OpenFile(filepath.Join(dir, format.SegmentName(lastSeg)), os.O_RDWR, 0)
	require.NoError(t, err)
	var b [1]byte
	_, err = f.ReadAt(b[:], hit.Offset+40)
	require.NoError(t, err)
	b[0] ^= 0x20
	_, err = f.WriteAt(b[:], hit.Offset+40) // in place: the file is never shorter meanwhile
	require.NoError(t, err)
	require.NoError(t, f.Close())
	rep := cli(t, "", "repair", dir)
	require.Equal(t, ExitOK, rep.code, "%+v", rep)
	require.Contains(t, rep.stdout, fmt.Sprintf("events: 300 before, %d after", hit.Sequence))

	w, err := storage.Open(dir, storage.Options{SegmentSize: 16 << 10})
	require.NoError(t, err)
	defer w.Close()
	news := appendReceipts(t, w, fresh)

	r := waitTail(t, done)
	require.Equal(t, ExitOK, r.code, "%+v", r)
	require.Equal(t, append(span(0, 300), span(hit.Sequence, hit.Sequence+fresh)...), sequences(t, r.stdout))
	requireLines(t, jsonLines(t, r.stdout), 300, news)
	require.Equal(t, 1, strings.Count(r.stderr, "\n"), r.stderr)
	require.Contains(t, r.stderr, fmt.Sprintf("batpak: the log changed under tail: the events it printed from sequence %d on were cut", hit.Sequence))
	require.Equal(t, []int{300}, errb.marks)
}

// A cut removes the later segments first, then shortens the segment it
// cuts in (storage's order, safe against a crash half-way): a poll
// between the steps sees the first one. tail says so at each step that
// cuts events it printed, each time from where the log then ends.
func TestTailNoticesACutInSteps(t *testing.T) {
	dir, evs := writeSegmented(t, 300, 4)
	lastSeg := evs[len(evs)-1].Segment
	require.Greater(t, lastSeg, uint64(2))
	var hit, firstOfLast messages.Event
	for i, ev := range evs {
		if ev.Segment == lastSeg-1 && evs[i-1].Segment == ev.Segment {
			hit = ev // the last event of the segment before the last one
		}
		if ev.Segment == lastSeg && firstOfLast.Segment == 0 {
			firstOfLast = ev
		}
	}
	const fresh = 5
	out, errb, done := startTail(t, "tail", "-f", dir, "-n", "1000", "--json", "--poll", "5ms", "--count", fmt.Sprint(300+fresh))
	out.await(t, 300, done)
	require.NoError(t, os.Remove(filepath.Join(dir, format.SegmentName(lastSeg))))
	errb.await(t, 1, done)
	require.NoError(t, os.Truncate(filepath.Join(dir, format.SegmentName(lastSeg-1)), hit.Offset))
	errb.await(t, 2, done)
	w, err := storage.Open(dir, storage.Options{SegmentSize: 16 << 10})
	require.NoError(t, err)
	defer w.Close()
	news := appendReceipts(t, w, fresh)

	r := waitTail(t, done)
	require.Equal(t, ExitOK, r.code, "%+v", r)
	require.Equal(t, append(span(0, 300), span(hit.Sequence, hit.Sequence+fresh)...), sequences(t, r.stdout))
	requireLines(t, jsonLines(t, r.stdout), 300, news)
	notes := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	require.Len(t, notes, 2, r.stderr)
	require.Contains(t, notes[0], fmt.Sprintf("the events it printed from sequence %d on were cut", firstOfLast.Sequence))
	require.Contains(t, notes[1], fmt.Sprintf("the events it printed from sequence %d on were cut", hit.Sequence))
	require.Equal(t, []int{300, 300}, errb.marks)
}

// A huge -n prints every event of a small store; it does not size a buffer
// from -n up front (that ran out of memory).
func TestTailHugeNPrintsEveryEvent(t *testing.T) {
	dir := writeStore(t, 25, 3)
	r := cli(t, "", "tail", dir, "-n", "99999999999", "--json")
	if r.code != ExitOK || r.stderr != "" || strings.Count(r.stdout, "\n") != 25 {
		t.Fatalf("code %d, %d lines, stderr %q", r.code, strings.Count(r.stdout, "\n"), r.stderr)
	}
}
