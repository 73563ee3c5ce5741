package storage

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/stretchr/testify/require"
)

// The reads checked against a model: the list of every event appended,
// built from the receipts, with its coordinate, kind and payload. Stores
// use 4 KiB segments, so that a few hundred events span dozens of
// segments, sealed (memory mapped) and active (read with ReadAt), with
// atomic batches whose markers sit between the events.

var rmKinds = []messages.EventKind{messages.MustKind(1, 1), messages.MustKind(2, 7)}

// rmEvent is the model of one committed event.
type rmEvent struct {
	id      messages.ID
	seq     uint64
	version uint64
	coord   messages.Coordinate
	kind    messages.EventKind
	payload []byte
}

// rmStore is an engine and the model of what it holds.
type rmStore struct {
	t      *testing.T
	fsys   fs.FS
	dir    string
	opts   Options
	e      *Engine
	events []rmEvent // by sequence
	rng    *rand.Rand
}

func newRMStore(t *testing.T, fsys fs.FS, dir string) *rmStore {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	s := &rmStore{t: t, fsys: fsys, dir: dir, rng: rand.New(rand.NewPCG(seed, 1)),
		opts: Options{FS: fsys, SegmentSize: 4 << 10, SyncMode: SyncNone}}
	s.open()
	t.Cleanup(func() {
		if !s.e.closed {
			s.e.Close()
		}
	})
	return s
}

func (s *rmStore) open() {
	e, err := Open(s.dir, s.opts)
	require.NoError(s.t, err)
	s.e = e
}

func (s *rmStore) reopen() {
	require.NoError(s.t, s.e.Close())
	s.open()
}

var rmEntities = []string{"order/1", "order/2", "orders-x/1", "user/1", "user/22", "o"}

func (s *rmStore) coord() messages.Coordinate {
	return messages.Coordinate{Entity: rmEntities[s.rng.IntN(len(rmEntities))], Scope: []string{"eu", "us"}[s.rng.IntN(2)]}
}

// payload is seq-specific bytes of a random length: mostly small, some
// empty, some larger than a segment.
func (s *rmStore) payload(seq uint64) []byte {
	n := s.rng.IntN(200)
	switch s.rng.IntN(20) {
	case 0:
		n = 0
	case 1:
		n = 5000 + s.rng.IntN(3000)
	}
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(seq*31 + uint64(i))
	}
	return p
}

func (s *rmStore) version(c messages.Coordinate) uint64 {
	v := uint64(0)
	for _, ev := range s.events {
		if ev.coord == c {
			v = ev.version
		}
	}
	return v + 1
}

// add appends n events, single or in atomic batches, and commits each
// group.
func (s *rmStore) add(n int) {
	for n > 0 {
		if k := min(n, 1+s.rng.IntN(6)); s.rng.IntN(3) == 0 {
			s.batch(k)
			n -= k
			continue
		}
		c, k := s.coord(), rmKinds[s.rng.IntN(2)]
		seq := s.nextSeq()
		p := s.payload(seq)
		r, err := s.e.Append(&messages.Append{Coordinate: c, Kind: k, Payload: p})
		require.NoError(s.t, err)
		require.NoError(s.t, s.e.Commit())
		s.record(r, c, k, p)
		n--
	}
}

func (s *rmStore) batch(k int) {
	items := make([]messages.BatchItem, k)
	seq := s.nextSeq()
	for i := range items {
		items[i] = messages.BatchItem{Coordinate: s.coord(), Kind: rmKinds[s.rng.IntN(2)], Payload: s.payload(seq + uint64(i))}
	}
	rs, err := s.e.AppendBatch(&messages.AppendBatch{Items: items})
	require.NoError(s.t, err)
	require.NoError(s.t, s.e.Commit())
	for i, r := range rs {
		s.record(r, items[i].Coordinate, items[i].Kind, items[i].Payload)
	}
}

func (s *rmStore) nextSeq() uint64 { return uint64(len(s.events)) }

func (s *rmStore) record(r messages.Receipt, c messages.Coordinate, k messages.EventKind, p []byte) {
	require.Equal(s.t, s.nextSeq(), r.Sequence)
	require.Equal(s.t, s.version(c), r.Version)
	s.events = append(s.events, rmEvent{id: r.EventID, seq: r.Sequence, version: r.Version, coord: c, kind: k, payload: p})
}

// query is the model of Read and Query.
func (s *rmStore) query(f Filter) []rmEvent {
	var out []rmEvent
	for _, ev := range s.events {
		if ev.seq < f.FromSeq || f.BeforeSeq != 0 && ev.seq >= f.BeforeSeq || !f.Match(&messages.Event{Coordinate: ev.coord, Kind: ev.kind}) {
			continue
		}
		out = append(out, ev)
	}
	if f.Backward {
		slices.Reverse(out)
	}
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out
}

// stream is the model of ReadStream.
func (s *rmStore) stream(c messages.Coordinate, r StreamRange) []rmEvent {
	var all []rmEvent
	for _, ev := range s.events {
		if ev.coord == c {
			all = append(all, ev)
		}
	}
	var out []rmEvent
	if r.Backward {
		top := uint64(len(all))
		if r.From != 0 {
			top = min(top, r.From)
		}
		for v := top; v >= 1; v-- {
			out = append(out, all[v-1])
		}
	} else {
		for v := max(r.From, 1); v <= uint64(len(all)); v++ {
			out = append(out, all[v-1])
		}
	}
	if r.Limit > 0 && len(out) > r.Limit {
		out = out[:r.Limit]
	}
	return out
}

// rmCollect runs a read to its end, copying the payloads.
func rmCollect(t *testing.T, seq func(func(messages.Event, error) bool)) []messages.Event {
	t.Helper()
	var out []messages.Event
	for ev, err := range seq {
		require.NoError(t, err)
		ev.Payload = bytes.Clone(ev.Payload)
		out = append(out, ev)
	}
	return out
}

func rmRequireSame(t *testing.T, want []rmEvent, got []messages.Event, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i, w := range want {
		g := got[i]
		if g.ID != w.id || g.Sequence != w.seq || g.Version != w.version || g.Coordinate != w.coord || g.Kind != w.kind ||
			!bytes.Equal(g.Payload, w.payload) {
			t.Fatalf("%s: event %d: got seq %d v%d %s kind %v (%d payload bytes), want seq %d v%d %s kind %v (%d bytes)",
				what, i, g.Sequence, g.Version, g.Coordinate, g.Kind, len(g.Payload), w.seq, w.version, w.coord, w.kind, len(w.payload))
		}
	}
}

// rmFilters are the filters checked: every combination of direction,
// bounds, limit and selection.
func rmFilters(n uint64) []Filter {
	var out []Filter
	sel := []Filter{{}, {EntityPrefix: "order/"}, {Scope: "eu"}, {Kinds: rmKinds[1:]},
		{EntityPrefix: "o", Scope: "us", Kinds: rmKinds[:1]}, {EntityPrefix: "nobody"}}
	for _, back := range []bool{false, true} {
		for _, from := range []uint64{0, 1, n / 3, n + 5} {
			for _, before := range []uint64{0, 1, 2 * n / 3, n, n + 5} {
				for _, limit := range []int{0, 1, 7} {
					for _, f := range sel {
						f.Backward, f.FromSeq, f.BeforeSeq, f.Limit = back, from, before, limit
						out = append(out, f)
					}
				}
			}
		}
	}
	return out
}

func (s *rmStore) checkReads(what string) {
	t := s.t
	n := uint64(len(s.events))
	for _, f := range rmFilters(n) {
		name := fmt.Sprintf("%s: %+v", what, f)
		want := s.query(f)
		rmRequireSame(t, want, rmCollect(t, s.e.Read(f)), "Read "+name)
		got, err := s.e.Query(f)
		require.NoError(t, err)
		rmRequireSame(t, want, got, "Query "+name)
	}
	for _, entity := range append(rmEntities, "nobody") {
		for _, scope := range []string{"eu", "us"} {
			c := messages.Coordinate{Entity: entity, Scope: scope}
			last := uint64(len(s.stream(c, StreamRange{})))
			for _, back := range []bool{false, true} {
				for _, from := range []uint64{0, 1, 2, last / 2, last, last + 1} {
					for _, limit := range []int{0, 1, 4} {
						r := StreamRange{From: from, Backward: back, Limit: limit}
						want := s.stream(c, r)
						rmRequireSame(t, want, rmCollect(t, s.e.ReadStream(c, r)), fmt.Sprintf("ReadStream %s %s %+v", what, c, r))
					}
				}
				got, err := s.e.Stream(c, 2)
				require.NoError(t, err)
				rmRequireSame(t, s.stream(c, StreamRange{From: 2}), got, fmt.Sprintf("Stream %s %s", what, c))
			}
		}
	}
	for _, ev := range s.events {
		got, err := s.e.Get(ev.id)
		require.NoError(t, err)
		rmRequireSame(t, []rmEvent{ev}, []messages.Event{got}, what+": Get")
	}
	rep, err := s.e.Verify()
	require.NoError(t, err)
	require.Equal(t, len(s.events), rep.Events)
}

// mappedSegments counts the open segments read through a memory map.
func (e *Engine) mappedSegments() (mapped, open int) {
	e.idx.mu.RLock()
	defer e.idx.mu.RUnlock()
	for _, f := range e.idx.segments {
		if f.mapped() != nil {
			mapped++
		}
	}
	return mapped, len(e.idx.segments)
}

// TestReadsMatchTheModel reads a store of many small segments every way,
// on the in-memory FS and on real files: while it is being written, after
// a clean reopen (every segment sealed and mapped but the fresh active
// one), with more events in the active segment, and after a crash (Mem:
// the last segment recovered by scanning).
func TestReadsMatchTheModel(t *testing.T) {
	for _, c := range []struct {
		name string
		fsys func() fs.FS
		dir  func(t *testing.T) string
	}{
		{"mem", func() fs.FS { return fs.NewMem() }, func(*testing.T) string { return "/data" }},
		{"os", fs.OS, func(t *testing.T) string { return filepath.Join(t.TempDir(), "data") }},
		{"faulty-os", func() fs.FS { return fs.NewFaulty(fs.OS()) }, func(t *testing.T) string { return filepath.Join(t.TempDir(), "data") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newRMStore(t, c.fsys(), c.dir(t))
			s.add(150)
			s.checkReads("written")
			s.reopen()
			s.checkReads("reopened")
			s.add(5)
			mapped, open := s.e.mappedSegments()
			require.Greater(t, open, 10, "150 events span many 4 KiB segments")
			if c.name == "faulty-os" {
				require.Zero(t, mapped, "Faulty's files do not map: every segment is read with ReadAt")
			} else if mappable(c.name) {
				require.Equal(t, open-1, mapped, "every segment but the active one is mapped")
			}
			s.checkReads("sealed and active")
			if m, ok := s.fsys.(*fs.Mem); ok {
				s.fsys = m.Clone() // a crash: the engine is dropped, not closed
				s.opts.FS = s.fsys
				s.open()
				s.checkReads("after a crash")
			}
		})
	}
}

// mapsOSFiles: OS files map on Linux and macOS (fs/mmap_unix.go).
var mapsOSFiles = runtime.GOOS == "linux" || runtime.GOOS == "darwin"

// mappable reports whether the FS named so maps files on this OS.
func mappable(fsName string) bool {
	return fsName == "mem" || fsName == "os" && mapsOSFiles
}

// TestBackwardPagesReachSequenceZero pages backward with BeforeSeq set to
// the last sequence seen, as a reader of history does, down to the first
// event.
func TestBackwardPagesReachSequenceZero(t *testing.T) {
	s := newRMStore(t, fs.NewMem(), "/data")
	s.add(40)
	var got []messages.Event
	f := Filter{Backward: true, Limit: 7}
	for {
		page := rmCollect(t, s.e.Read(f))
		got = append(got, page...)
		if len(page) < f.Limit {
			break
		}
		f.BeforeSeq = page[len(page)-1].Sequence
		if f.BeforeSeq == 0 {
			break
		}
	}
	rmRequireSame(t, s.query(Filter{Backward: true}), got, "backward pages")
	require.Equal(t, uint64(0), got[len(got)-1].Sequence)
}

// TestReadOfAnEmptyStore yields nothing, every way.
func TestReadOfAnEmptyStore(t *testing.T) {
	h := newHarness(t, Options{})
	for _, f := range []Filter{{}, {Backward: true}, {FromSeq: 3}, {BeforeSeq: 1}} {
		require.Empty(t, rmCollect(t, h.e.Read(f)))
	}
	for _, r := range []StreamRange{{}, {Backward: true}, {From: 2}} {
		require.Empty(t, rmCollect(t, h.e.ReadStream(coord("e"), r)))
	}
	evs, err := h.e.Query(Filter{})
	require.NoError(t, err)
	require.NotNil(t, evs)
	require.Empty(t, evs)
}

// The coordinate's strings come from the index: they stay the same after
// the loop, while the payload is a view of the read buffer.
func TestReadKeepsCoordinatesSafe(t *testing.T) {
	h := newHarness(t, Options{})
	for i := range 50 {
		h.put(fmt.Sprintf("entity/%d", i), strings.Repeat("x", i))
	}
	var coords []messages.Coordinate
	for ev, err := range h.e.Read(Filter{}) {
		require.NoError(t, err)
		coords = append(coords, ev.Coordinate)
	}
	for i, c := range coords {
		require.Equal(t, fmt.Sprintf("entity/%d", i), c.Entity)
	}
}
