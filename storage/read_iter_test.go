package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/stretchr/testify/require"
)

// countingFS counts the bytes its files' ReadAt returns. Its files do not
// map (they hide fs.Mapper), so every read of the engine goes through it.
type countingFS struct {
	fs.FS
	read atomic.Int64
}

type countingFile struct {
	fs.File
	c *countingFS
}

func (c *countingFS) OpenFile(name string, flag int, perm os.FileMode) (fs.File, error) {
	f, err := c.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return countingFile{File: f, c: c}, nil
}

func (f countingFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.File.ReadAt(p, off)
	f.c.read.Add(int64(n))
	return n, err
}

// fillEvents appends n events of payload bytes over entities entities, in
// commits of 100.
func fillEvents(t testing.TB, e *Engine, n, entities, payload int) {
	for i := range n {
		c := messages.Coordinate{Entity: fmt.Sprintf("e%d", i%entities), Scope: "s"}
		_, err := e.Append(&messages.Append{Coordinate: c, Kind: testKind, Payload: make([]byte, payload)})
		require.NoError(t, err)
		if i%100 == 99 || i == n-1 {
			require.NoError(t, e.Commit())
		}
	}
}

// TestReadStopsWhenTheLoopBreaks: breaking out of the loop ends the read:
// it reads no more than the run it was in (at most readRunBytes), and it
// gives back every segment it held.
func TestReadStopsWhenTheLoopBreaks(t *testing.T) {
	cfs := &countingFS{FS: fs.NewMem()}
	e, err := Open("/data", Options{FS: cfs, SegmentSize: 64 << 20})
	require.NoError(t, err)
	defer e.Close()
	fillEvents(t, e, 20_000, 10, 200) // ~5 MB
	for _, seq := range []func(func(messages.Event, error) bool){
		e.Read(Filter{}), e.Read(Filter{Backward: true}), e.ReadStream(coord("x"), StreamRange{}),
		e.ReadStream(messages.Coordinate{Entity: "e1", Scope: "s"}, StreamRange{}),
	} {
		before := cfs.read.Load()
		n := 0
		for _, err := range seq {
			require.NoError(t, err)
			if n++; n == 3 {
				break
			}
		}
		require.LessOrEqual(t, cfs.read.Load()-before, int64(readRunBytes), "a broken loop reads no more than one run")
		requireNoReaders(t, e)
	}
}

// requireNoReaders checks that every open segment is held by the index
// alone.
func requireNoReaders(t *testing.T, e *Engine) {
	t.Helper()
	e.idx.mu.RLock()
	defer e.idx.mu.RUnlock()
	for id, f := range e.idx.segments {
		require.Equal(t, int64(1), f.refs.Load(), "segment %d is still held by a reader", id)
	}
}

// TestReadAllocatesTheSameForAnyLength: a read's allocations do not grow
// with the number of events it yields (a handful per read, whatever its
// length: not one per event), on mapped segments and on ReadAt.
func TestReadAllocatesTheSameForAnyLength(t *testing.T) {
	for _, name := range []string{"mem", "counting"} {
		t.Run(name, func(t *testing.T) {
			var fsys fs.FS = fs.NewMem()
			if name == "counting" {
				fsys = &countingFS{FS: fsys}
			}
			e, err := Open("/data", Options{FS: fsys, SegmentSize: 1 << 20})
			require.NoError(t, err)
			defer e.Close()
			fillEvents(t, e, 20_000, 100, 256)
			count := func(seq func(func(messages.Event, error) bool), limit int) func() {
				return func() {
					n := 0
					for _, err := range seq {
						if err != nil {
							panic(err)
						}
						n++
					}
					if n != limit {
						panic(fmt.Sprintf("read %d events, want %d", n, limit))
					}
				}
			}
			for _, c := range []struct {
				name  string
				read  func(limit int) func(func(messages.Event, error) bool)
				short int
				long  int
			}{
				{"scan", func(l int) func(func(messages.Event, error) bool) { return e.Read(Filter{Limit: l}) }, 10, 20_000},
				{"scan backward", func(l int) func(func(messages.Event, error) bool) {
					return e.Read(Filter{Limit: l, Backward: true})
				}, 10, 20_000},
				{"filtered", func(l int) func(func(messages.Event, error) bool) {
					return e.Read(Filter{Limit: l, EntityPrefix: "e1"})
				}, 10, 2_200},
				{"stream", func(l int) func(func(messages.Event, error) bool) {
					return e.ReadStream(messages.Coordinate{Entity: "e7", Scope: "s"}, StreamRange{Limit: l})
				}, 10, 200},
			} {
				short := testing.AllocsPerRun(20, count(c.read(c.short), c.short))
				long := testing.AllocsPerRun(5, count(c.read(c.long), c.long))
				t.Logf("%s: %.1f allocations for %d events, %.1f for %d", c.name, short, c.short, long, c.long)
				// A handful either way (the race detector's sync.Pool drops
				// some pooled readers, so the counts vary by one or two).
				require.LessOrEqual(t, long, 10.0, "%s: allocations grow with the events read", c.name)
				require.LessOrEqual(t, short, 10.0, c.name)
			}
		})
	}
}

// TestReadAfterCloseIsErrClosed: a read of a closed engine yields
// ErrClosed, once.
func TestReadAfterCloseIsErrClosed(t *testing.T) {
	h := newHarness(t, Options{})
	h.put("e", "x")
	require.NoError(t, h.e.Close())
	for _, seq := range []func(func(messages.Event, error) bool){h.e.Read(Filter{}), h.e.ReadStream(coord("e"), StreamRange{})} {
		n := 0
		for _, err := range seq {
			require.ErrorIs(t, err, ErrClosed)
			require.ErrorIs(t, err, messages.ErrClosed)
			n++
		}
		require.Equal(t, 1, n)
	}
}

// TestCloseUnderAReadKeepsItsMapsUntilItEnds closes the engine (and, in
// the second case, abandons and releases it) from inside a read loop over
// mapped segments of real files: the read finishes the batch it holds from
// maps that are still there, then ends with ErrClosed; the maps and files
// go when the read lets go of them.
func TestCloseUnderAReadKeepsItsMapsUntilItEnds(t *testing.T) {
	for _, how := range []string{"close", "abandon+release"} {
		t.Run(how, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			e, err := Open(dir, Options{SegmentSize: 4 << 10, SyncMode: SyncNone})
			require.NoError(t, err)
			fillEvents(t, e, 1200, 3, 300)
			require.NoError(t, e.Close())
			e, err = Open(dir, Options{SegmentSize: 4 << 10, SyncMode: SyncNone})
			require.NoError(t, err)
			var files []*sharedFile
			e.idx.mu.RLock()
			for id, f := range e.idx.segments {
				if id != e.active.id { // the sealed ones: the active one is empty
					files = append(files, f)
				}
			}
			e.idx.mu.RUnlock()
			if mapsOSFiles {
				mapped, open := e.mappedSegments()
				require.Equal(t, open-1, mapped)
			}
			n, closed := 0, false
			for ev, err := range e.Read(Filter{}) {
				if closed && err != nil {
					require.ErrorIs(t, err, ErrClosed)
					break
				}
				require.NoError(t, err)
				require.Equal(t, uint64(n), ev.Sequence)
				require.Len(t, ev.Payload, 300)
				n++
				if n == 1 {
					if how == "close" {
						require.NoError(t, e.Close())
					} else {
						require.NoError(t, e.Abandon())
						require.NoError(t, e.Release())
					}
					closed = true
					for _, f := range files {
						if f.mapped() != nil {
							require.Greater(t, f.refs.Load(), int64(0), "a mapped segment the read holds is still mapped")
						}
					}
				}
			}
			require.Equal(t, readBatch, n, "the read finishes the batch it holds, then sees the engine closed")
			for _, f := range files {
				require.Zero(t, f.refs.Load())
				require.Nil(t, f.mapped(), "unmapped with the last reference")
			}
		})
	}
}

// TestReadsWhileTheWriterAppends reads forward, backward and by stream
// while the writer appends and rotates 4 KiB segments (mapping each one it
// seals): every read is a consistent prefix of the log, in order, without
// duplicates or gaps, each event whole.
func TestReadsWhileTheWriterAppends(t *testing.T) {
	for _, name := range []string{"mem", "os"} {
		t.Run(name, func(t *testing.T) {
			var fsys fs.FS = fs.NewMem()
			dir := "/data"
			if name == "os" {
				fsys, dir = fs.OS(), filepath.Join(t.TempDir(), "data")
			}
			e, err := Open(dir, Options{FS: fsys, SegmentSize: 4 << 10, SyncMode: SyncNone})
			require.NoError(t, err)
			defer e.Close()
			const entities, total = 4, 1500
			payload := func(seq uint64) []byte { return []byte(fmt.Sprintf("event %d %s", seq, make([]byte, seq%97))) }
			check := func(ev messages.Event) error {
				if want := payload(ev.Sequence); string(ev.Payload) != string(want) {
					return fmt.Errorf("seq %d: payload %q", ev.Sequence, ev.Payload)
				}
				if want := fmt.Sprintf("e%d", ev.Sequence%entities); ev.Coordinate.Entity != want {
					return fmt.Errorf("seq %d: entity %s", ev.Sequence, ev.Coordinate.Entity)
				}
				if ev.Version != ev.Sequence/entities+1 {
					return fmt.Errorf("seq %d: version %d", ev.Sequence, ev.Version)
				}
				return nil
			}
			done := make(chan struct{})
			errs := make(chan error, 16)
			var wg sync.WaitGroup
			reader := func(read func() error) {
				defer wg.Done()
				for {
					select {
					case <-done:
						return
					default:
					}
					if err := read(); err != nil {
						errs <- err
						return
					}
				}
			}
			forward := func() error {
				next := uint64(0)
				for ev, err := range e.Read(Filter{}) {
					if err != nil {
						return err
					}
					if ev.Sequence != next {
						return fmt.Errorf("forward: seq %d after %d events", ev.Sequence, next)
					}
					if err := check(ev); err != nil {
						return err
					}
					next++
				}
				return nil
			}
			backward := func() error {
				first, prev := true, uint64(0)
				for ev, err := range e.Read(Filter{Backward: true}) {
					if err != nil {
						return err
					}
					if !first && ev.Sequence != prev-1 {
						return fmt.Errorf("backward: seq %d after %d", ev.Sequence, prev)
					}
					if err := check(ev); err != nil {
						return err
					}
					first, prev = false, ev.Sequence
				}
				if !first && prev != 0 {
					return fmt.Errorf("backward: ended at %d", prev)
				}
				return nil
			}
			stream := func() error {
				c := messages.Coordinate{Entity: "e1", Scope: "s"}
				next := uint64(1)
				for ev, err := range e.ReadStream(c, StreamRange{}) {
					if err != nil {
						return err
					}
					if ev.Version != next || ev.Coordinate != c {
						return fmt.Errorf("stream: version %d of %s, want %d", ev.Version, ev.Coordinate, next)
					}
					if err := check(ev); err != nil {
						return err
					}
					next++
				}
				return nil
			}
			for _, r := range []func() error{forward, backward, stream} {
				wg.Add(1)
				go reader(r)
			}
			for seq := uint64(0); seq < total; seq++ {
				c := messages.Coordinate{Entity: fmt.Sprintf("e%d", seq%entities), Scope: "s"}
				_, err := e.Append(&messages.Append{Coordinate: c, Kind: testKind, Payload: payload(seq)})
				require.NoError(t, err)
				if seq%7 == 6 {
					require.NoError(t, e.Commit())
				}
			}
			require.NoError(t, e.Commit())
			close(done)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			require.NoError(t, forward())
			require.Equal(t, total, e.Stats().Events)
			if mappable(name) {
				mapped, open := e.mappedSegments()
				require.Equal(t, open-1, mapped, "each segment sealed under the readers was mapped")
			}
		})
	}
}

// TestCorruptionInAMappedSegmentIsACorruptionError flips a byte inside a
// frame of a sealed segment of real files (read through its map) and one
// of the active segment (read with ReadAt): each read of it is a
// *CorruptionError naming the segment and offset, the events before it
// come through, and nothing is yielded after the error.
func TestCorruptionInAMappedSegmentIsACorruptionError(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	opts := Options{SegmentSize: 4 << 10, SyncMode: SyncNone}
	e, err := Open(dir, opts)
	require.NoError(t, err)
	fillEvents(t, e, 60, 2, 300)
	require.NoError(t, e.Close())
	e, err = Open(dir, opts)
	require.NoError(t, err)
	defer e.Close()
	fillEvents(t, e, 4, 2, 100) // in the active segment
	evs, err := e.Query(Filter{})
	require.NoError(t, err)
	sealed, active := evs[20], evs[len(evs)-2]
	require.Less(t, sealed.Segment, active.Segment)
	if mapsOSFiles {
		require.NotNil(t, e.idx.segments[sealed.Segment].mapped())
	}
	require.Nil(t, e.idx.segments[active.Segment].mapped())
	for _, bad := range []messages.Event{sealed, active} {
		flipByte(t, filepath.Join(dir, format.SegmentName(bad.Segment)), bad.Offset+12)
		for _, c := range []struct {
			name string
			seq  func(func(messages.Event, error) bool)
			good int
		}{
			{"Read", e.Read(Filter{}), int(bad.Sequence)},
			{"ReadStream", e.ReadStream(bad.Coordinate, StreamRange{}), int(bad.Version - 1)},
		} {
			n, errsSeen := 0, 0
			for _, err := range c.seq {
				if err != nil {
					errsSeen++
					var ce *CorruptionError
					require.ErrorAs(t, err, &ce, c.name)
					require.Equal(t, bad.Segment, ce.Segment)
					require.Equal(t, bad.Offset, ce.Offset)
					require.ErrorIs(t, err, messages.ErrCorrupt)
					continue
				}
				require.Zero(t, errsSeen, "%s: an event after the error", c.name)
				n++
			}
			require.Equal(t, 1, errsSeen, c.name)
			require.Equal(t, c.good, n, "%s: the events before the damaged one", c.name)
		}
		_, err := e.Get(bad.ID)
		require.ErrorIs(t, err, ErrCorrupt)
		_, err = e.Verify()
		require.ErrorIs(t, err, ErrCorrupt)
		flipByte(t, filepath.Join(dir, format.SegmentName(bad.Segment)), bad.Offset+12) // repaired for the next case
	}
	_, err = e.Verify()
	require.NoError(t, err)
}

func flipByte(t *testing.T, path string, off int64) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	b := make([]byte, 1)
	_, err = f.ReadAt(b, off)
	require.NoError(t, err)
	b[0] ^= 0x40
	_, err = f.WriteAt(b, off)
	require.NoError(t, err)
}

// TestFramesOfAnotherEventAreCorruption: a frame whose checksum holds but
// that is not the event the index names (a segment swapped for another) is
// reported, not yielded.
func TestFramesOfAnotherEventAreCorruption(t *testing.T) {
	ev := messages.Event{ID: messages.NewID(), Sequence: 4, Coordinate: coord("a"), Kind: testKind}
	ev.CorrelationID = ev.ID
	en := ref{id: ev.ID, corr: ev.ID, seq: 4, kind: testKind, coord: coord("a")}
	for _, c := range []struct {
		name   string
		change func(*ref)
	}{
		{"id", func(r *ref) { r.id = messages.NewID() }},
		{"sequence", func(r *ref) { r.seq = 5 }},
		{"kind", func(r *ref) { r.kind = messages.MustKind(3, 3) }},
		{"correlation", func(r *ref) { r.corr = messages.NewID() }},
		{"entity", func(r *ref) { r.coord.Entity = "b" }},
		{"scope", func(r *ref) { r.coord.Scope = "other" }},
	} {
		frame := format.AppendEventFrame(nil, &ev, format.NewHasher())
		body, _, err := format.DecodeFrame(frame)
		require.NoError(t, err)
		var got messages.Event
		require.NoError(t, decodeRef(&en, body, &got))
		other := en
		c.change(&other)
		err = decodeRef(&other, body, &got)
		var ce *CorruptionError
		require.ErrorAs(t, err, &ce, c.name)
		require.Contains(t, ce.Reason, "another event", c.name)
	}
}
