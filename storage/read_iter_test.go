package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/batpak-go/batpak/messages"
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
