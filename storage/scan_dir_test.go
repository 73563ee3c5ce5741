package storage

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
)

// scanKind is the kind of the events scanStore writes.
var scanKind = messages.MustKind(2, 7)

// scanStore writes a store with small segments: single events, atomic
// batches (some across a rotation), metadata, correlations and causations,
// and closes it. It returns the directory.
func scanStore(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	e, err := Open(dir, Options{SegmentSize: 16 << 10, SyncMode: SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	writeScanEvents(t, e, 0, n)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeScanEvents appends events from..from+n-1 to e and commits them.
func writeScanEvents(t *testing.T, e *Engine, from, n int) {
	t.Helper()
	var last messages.ID
	for i := from; i < from+n; {
		c := messages.Coordinate{Entity: fmt.Sprintf("e-%d", i%7), Scope: "s"}
		if i%5 == 0 && i+3 <= from+n {
			items := make([]messages.BatchItem, 3)
			for j := range items {
				items[j] = messages.BatchItem{Coordinate: messages.Coordinate{Entity: fmt.Sprintf("e-%d", (i+j)%7), Scope: "s"},
					Kind: scanKind, Payload: bytes.Repeat([]byte{byte(i + j)}, 100+j), CorrelationID: last}
			}
			items[2].Causation = messages.CausedByItem(0)
			rs, err := e.AppendBatch(&messages.AppendBatch{Items: items})
			if err != nil {
				t.Fatal(err)
			}
			last = rs[0].EventID
			i += 3
		} else {
			a := &messages.Append{Coordinate: c, Kind: scanKind, Payload: bytes.Repeat([]byte{byte(i)}, 50+i%200), CausationID: last}
			if i%3 == 0 {
				a.Metadata = messages.Metadata{"who": fmt.Sprint(i)}
			}
			r, err := e.Append(a)
			if err != nil {
				t.Fatal(err)
			}
			last = r.EventID
			i++
		}
		if i%16 == 0 {
			if err := e.Commit(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := e.Commit(); err != nil {
		t.Fatal(err)
	}
}

// engineEvents reads every event of the store in dir through an engine.
func engineEvents(t *testing.T, dir string) []messages.Event {
	t.Helper()
	e, err := Open(dir, Options{SyncMode: SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var evs []messages.Event
	for ev, err := range e.Read(Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		ev.Payload = bytes.Clone(ev.Payload)
		evs = append(evs, ev)
	}
	return evs
}

// scanEvents scans dir with opts and returns the events and the report.
func scanEvents(t *testing.T, dir string, opts ScanOptions) ([]messages.Event, ScanReport) {
	t.Helper()
	var evs []messages.Event
	rep, err := ScanDir(dir, opts, func(ev *messages.Event) error {
		c := *ev
		c.Payload = bytes.Clone(ev.Payload)
		evs = append(evs, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return evs, rep
}

// The scanner hands over exactly the events an engine reads, every field
// alike, with every check passing, and its report agrees with the files.
func TestScanDirReadsWhatOpenReads(t *testing.T) {
	dir := scanStore(t, 600)
	want := engineEvents(t, dir) // Open wrote the checkpoints; Close sealed
	for _, opts := range []ScanOptions{{}, {Check: true}} {
		got, rep := scanEvents(t, dir, opts)
		if len(rep.Faults) > 0 {
			t.Fatalf("%+v: faults %+v", opts, rep.Faults)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%+v: %d events differ from the engine's %d", opts, len(got), len(want))
		}
		if rep.Events != 600 || rep.First.Sequence != 0 || rep.Last.Sequence != 599 || len(rep.Segments) < 5 {
			t.Fatalf("%+v: report %d events, first %d, last %d, %d segments", opts, rep.Events, rep.First.Sequence, rep.Last.Sequence, len(rep.Segments))
		}
		if opts.Check && (rep.Entities != 7 || rep.Checkpoints == 0) {
			t.Fatalf("%d entities, %d checkpoints", rep.Entities, rep.Checkpoints)
		}
		for _, s := range rep.Segments {
			if !s.Sealed || s.Torn != 0 || opts.Check && (s.Footer != "ok" || s.Checkpoint != "ok") {
				t.Fatalf("%+v: segment %+v", opts, s)
			}
		}
	}
	// Summary reads the footers: the same events without payloads.
	got, rep := scanEvents(t, dir, ScanOptions{Summary: true})
	if len(rep.Faults) > 0 || len(got) != len(want) || rep.Entities != 7 {
		t.Fatalf("summary: %d events, %d entities, faults %+v", len(got), rep.Entities, rep.Faults)
	}
	for i := range got {
		if got[i].ID != want[i].ID || got[i].Sequence != want[i].Sequence || got[i].Coordinate != want[i].Coordinate || got[i].Payload != nil {
			t.Fatalf("summary event %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, s := range rep.Segments {
		if !s.FromFooter || s.Checkpoint != "ok" {
			t.Fatalf("summary: segment %+v", s)
		}
	}
	// FromSeq: the later events, whole (bodies read on demand for batch
	// items held across a footer-read segment).
	got, _ = scanEvents(t, dir, ScanOptions{FromSeq: 450})
	if !reflect.DeepEqual(got, want[450:]) {
		t.Fatalf("from 450: %d events, want %d", len(got), len(want)-450)
	}
}

// A store being written is read up to its last commit, and a later Scan
// picks up what was committed since, once.
func TestScanDirFollowsAWriter(t *testing.T) {
	dir := t.TempDir()
	e, err := Open(dir, Options{SegmentSize: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s, err := NewDirScanner(dir, ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	collect := func(ev *messages.Event) error { seqs = append(seqs, ev.Sequence); return nil }
	if err := s.Scan(collect); err != nil || len(seqs) != 0 {
		t.Fatalf("empty store: %v %v", seqs, err)
	}
	total := 0
	for round, n := range []int{10, 1, 0, 250, 37} {
		writeScanEvents(t, e, total, n)
		total += n
		if err := s.Scan(collect); err != nil {
			t.Fatal(err)
		}
		if len(seqs) != total {
			t.Fatalf("round %d: %d events, want %d", round, len(seqs), total)
		}
		for i, q := range seqs {
			if q != uint64(i) {
				t.Fatalf("round %d: event %d has sequence %d", round, i, q)
			}
		}
	}
}

// flipAt flips one bit of the file at off.
func flipAt(t *testing.T, path string, off int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[off] ^= 0x10
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Damage is found with its segment, offset and (for an event) entity;
// with Check the scan goes on past it, without it the scan stops.
func TestScanDirFindsDamage(t *testing.T) {
	base := scanStore(t, 300)
	evs := engineEvents(t, base)
	ev := evs[150]
	seg := filepath.Join(base, format.SegmentName(ev.Segment))
	copyDir := func() string {
		dir := t.TempDir()
		names, _ := os.ReadDir(base)
		for _, n := range names {
			b, err := os.ReadFile(filepath.Join(base, n.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, n.Name()), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	t.Run("payload", func(t *testing.T) {
		dir := copyDir()
		flipAt(t, filepath.Join(dir, filepath.Base(seg)), ev.Offset+int64(format.FrameHeaderSize)+60)
		_, rep := scanEvents(t, dir, ScanOptions{Check: true})
		if len(rep.Faults) == 0 || rep.Faults[0].Segment != ev.Segment || rep.Faults[0].Offset != ev.Offset || rep.Faults[0].Part != FaultFrame {
			t.Fatalf("faults %+v, want a frame fault at segment %d offset %d", rep.Faults, ev.Segment, ev.Offset)
		}
		if rep.Events <= 150 {
			t.Fatalf("the scan stopped at the damage: %d events", rep.Events)
		}
		_, err := ScanDir(dir, ScanOptions{}, nil)
		var sf *ScanFault
		var ce *CorruptionError
		if !errors.As(err, &sf) || !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) || sf.Offset != ev.Offset {
			t.Fatalf("without Check: %v", err)
		}
	})
	t.Run("hash", func(t *testing.T) {
		dir := copyDir()
		path := filepath.Join(dir, filepath.Base(seg))
		b, _ := os.ReadFile(path)
		frame := b[ev.Offset:]
		n, _ := format.FrameLen(frame)
		frame[format.FrameHeaderSize+n-format.HashFieldBytes-5] ^= 1 // in the payload, before the hash
		format.FinishFrame(frame[:format.FrameHeaderSize+n], 0)      // a valid frame with a wrong hash
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		_, rep := scanEvents(t, dir, ScanOptions{Check: true})
		var chain *ScanFault
		for i := range rep.Faults {
			if rep.Faults[i].Part == FaultChain {
				chain = &rep.Faults[i]
			}
		}
		if chain == nil || chain.Entity != ev.Coordinate || chain.Offset != ev.Offset {
			t.Fatalf("faults %+v, want a chain fault of %s at %d", rep.Faults, ev.Coordinate, ev.Offset)
		}
	})
	t.Run("footer", func(t *testing.T) {
		dir := copyDir()
		path := filepath.Join(dir, filepath.Base(seg))
		f, _ := os.Open(path)
		info, _ := f.Stat()
		at := format.FooterAt(f, info.Size())
		f.Close()
		flipAt(t, path, at+20)
		_, rep := scanEvents(t, dir, ScanOptions{Check: true})
		parts := map[string]bool{}
		for _, f := range rep.Faults {
			if f.Segment != ev.Segment {
				t.Fatalf("faults %+v", rep.Faults)
			}
			parts[f.Part] = true
		}
		// The segment's checkpoint no longer matches it either.
		if len(parts) != 2 || !parts[FaultFooter] || !parts[FaultCheckpoint] {
			t.Fatalf("faults %+v", rep.Faults)
		}
	})
	t.Run("checkpoint", func(t *testing.T) {
		dir := copyDir()
		flipAt(t, filepath.Join(dir, format.CheckpointName(ev.Segment)), format.CheckpointHeaderSize+3)
		_, rep := scanEvents(t, dir, ScanOptions{Check: true})
		if len(rep.Faults) != 1 || rep.Faults[0].Part != FaultCheckpoint || rep.Faults[0].Segment != ev.Segment {
			t.Fatalf("faults %+v", rep.Faults)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		dir := copyDir()
		if err := os.Truncate(filepath.Join(dir, format.SegmentName(1)), 3000); err != nil {
			t.Fatal(err)
		}
		_, rep := scanEvents(t, dir, ScanOptions{Check: true})
		if len(rep.Faults) == 0 || rep.Faults[0].Segment != 1 {
			t.Fatalf("faults %+v", rep.Faults)
		}
	})
}

// Garbage after the last frame of a store a writer left unsealed is a torn
// tail (what Open would cut), not a fault.
func TestScanDirReportsATornTail(t *testing.T) {
	dir := t.TempDir()
	e, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	writeScanEvents(t, e, 0, 20)
	if err := e.Abandon(); err != nil {
		t.Fatal(err)
	}
	defer e.Release()
	path := filepath.Join(dir, format.SegmentName(1))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("garbage after the last frame"))
	f.Close()
	_, rep := scanEvents(t, dir, ScanOptions{Check: true})
	s := rep.Segments[len(rep.Segments)-1]
	if len(rep.Faults) != 0 || rep.Events != 20 || s.Sealed || s.Torn == 0 || s.TornZeros || s.Footer != "none" {
		t.Fatalf("faults %+v, %d events, segment %+v", rep.Faults, rep.Events, s)
	}
}

// A missing directory and one that holds no store are refused.
func TestScanDirRefusesWhatIsNoStore(t *testing.T) {
	if _, err := NewDirScanner(filepath.Join(t.TempDir(), "nope"), ScanOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hi"), 0o600)
	if _, err := NewDirScanner(dir, ScanOptions{}); !errors.Is(err, ErrNotStore) {
		t.Fatalf("not a store: %v", err)
	}
}
