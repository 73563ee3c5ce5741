package storage

import (
	"slices"
	"sort"
	"sync"

	"github.com/batpak-go/batpak/messages"
)

// entry is the in-memory index record of one committed event: enough to
// find it (by id, sequence, stream, correlation) and filter it (kind,
// stream) without touching the disk. Everything else is read from its frame.
type entry struct {
	id       messages.ID
	corr     messages.ID
	seq      uint64
	segment  uint32
	offset   uint32
	size     uint32 // of the whole frame
	stream   uint32 // index into index.streams
	corrPrev uint32 // position+1 of the previous event of the same correlation
	kind     messages.EventKind
}

// ref is what a reader needs of one committed event, copied out of the
// index under its read lock: where its frame is, and what the frame must
// hold (checked against it without the lock).
type ref struct {
	id      messages.ID
	corr    messages.ID
	seq     uint64
	segment uint32
	offset  uint32
	size    uint32
	kind    messages.EventKind
	coord   messages.Coordinate
}

// ref copies out the event at position p.
func (x *index) ref(p uint32) ref {
	en := x.at(p)
	return ref{id: en.id, corr: x.corrOf(p), seq: x.seqOf(p), segment: en.segment, offset: en.offset,
		size: en.size, kind: en.kind, coord: x.streams[en.stream].coord}
}

// count is the number of committed events.
func (x *index) count() int { return len(x.entries) }

// at returns the entry at position p (< count()).
func (x *index) at(p uint32) *entry { return &x.entries[p] }

// seqOf returns the global sequence of the event at position p.
func (x *index) seqOf(p uint32) uint64 { return x.entries[p].seq }

// stream is one entity's event stream: the positions of its events in
// version order, and its tail, which the next append chains to.
type stream struct {
	coord    messages.Coordinate
	pos      []uint32 // pos[v-1] is the entry of version v
	lastHash messages.Hash
	lastWall int64
}

// tail is what an append needs to know about a stream's last event.
type tail struct {
	version uint64
	hash    messages.Hash
	wall    int64
}

// index holds every committed event. The writer mutates it only in publish
// (under mu); readers take mu.RLock. The writer reads without the lock,
// since nobody else writes.
type index struct {
	mu        sync.RWMutex
	entries   []entry // ascending by seq
	byID      posTable
	byCorr    posTable // latest entry of each correlation
	streams   []*stream
	streamIdx map[messages.Coordinate]uint32
	segments  map[uint64]*sharedFile
	closed    bool
	orphans   int // events whose correlation named no stored event
}

func newIndex() *index {
	return &index{streamIdx: make(map[messages.Coordinate]uint32), segments: make(map[uint64]*sharedFile)}
}

func (x *index) idOf(p uint32) messages.ID   { return x.entries[p].id }
func (x *index) corrOf(p uint32) messages.ID { return x.entries[p].corr }

// lookupStream returns the stream of c, or nil.
func (x *index) lookupStream(c messages.Coordinate) (*stream, uint32) {
	i, ok := x.streamIdx[c]
	if !ok {
		return nil, 0
	}
	return x.streams[i], i
}

func (x *index) tailOf(c messages.Coordinate) tail {
	s, _ := x.lookupStream(c)
	if s == nil {
		return tail{}
	}
	return tail{version: uint64(len(s.pos)), hash: s.lastHash, wall: s.lastWall}
}

// add appends a committed event; the caller holds mu (or is recovering).
func (x *index) add(e *messages.Event, segment uint64, offset int64, size int) {
	si, ok := x.streamIdx[e.Coordinate]
	if !ok {
		si = uint32(len(x.streams))
		x.streams = append(x.streams, &stream{coord: e.Coordinate})
		x.streamIdx[e.Coordinate] = si
	}
	s := x.streams[si]
	pos := uint32(len(x.entries))
	en := entry{
		id: e.ID, corr: e.CorrelationID, seq: e.Sequence, segment: uint32(segment),
		offset: uint32(offset), size: uint32(size), stream: si, kind: e.Kind,
	}
	x.entries = append(x.entries, en)
	x.byID.swap(e.ID, pos, x.idOf)
	x.linkCorrelation(pos)
	s.pos = append(s.pos, pos)
	s.lastHash = e.Hash
	s.lastWall = e.WallMS
}

// linkCorrelation chains the entry at pos to the previous event of its
// correlation. byCorr maps a correlation to its latest event; an event that
// is its own correlation (a root: most events) is left out of it while it is
// alone, since byID already finds it, and its first reaction links to it.
func (x *index) linkCorrelation(pos uint32) {
	en := &x.entries[pos]
	if en.corr == en.id {
		// Earlier events can name this root's id as their correlation only
		// if it was predictable (key-derived) and they came first: orphans.
		if x.orphans == 0 {
			return
		}
		if _, ok := x.byCorr.find(en.corr, x.corrOf); !ok {
			return // alone so far
		}
	}
	prev, ok := x.byCorr.swap(en.corr, pos, x.corrOf)
	if !ok {
		prev, ok = x.correlationRoot(en.corr)
		if !ok && en.corr != en.id {
			x.orphans++
		}
	}
	if ok {
		x.entries[pos].corrPrev = prev + 1
	}
}

// correlationRoot returns the event whose id is corr if it is a root of
// that correlation.
func (x *index) correlationRoot(corr messages.ID) (uint32, bool) {
	p, ok := x.byID.find(corr, x.idOf)
	return p, ok && x.entries[p].corr == corr
}

// latestOfCorrelation returns the latest event of the correlation corr.
func (x *index) latestOfCorrelation(corr messages.ID) (uint32, bool) {
	if p, ok := x.byCorr.find(corr, x.corrOf); ok {
		return p, true
	}
	return x.correlationRoot(corr)
}

// reserve makes room for n more entries, so that a recovery that knows
// its count (from a footer) does not grow the slice and the id table step
// by step.
func (x *index) reserve(n int) {
	x.entries = slices.Grow(x.entries, n)
	x.byID.reserve(len(x.entries)+n, x.idOf)
}

// bySeq returns the position of the first entry with seq >= from.
func (x *index) bySeq(from uint64) int {
	n := len(x.entries)
	if n == 0 {
		return 0
	}
	// Sequences are dense unless a repair dropped some: try the direct slot.
	if first := x.entries[0].seq; from >= first && from-first < uint64(n) && x.entries[from-first].seq == from {
		return int(from - first)
	}
	return sort.Search(n, func(i int) bool { return x.entries[i].seq >= from })
}

// nextSeq is the sequence the next committed event gets.
func (x *index) nextSeq() uint64 {
	if len(x.entries) == 0 {
		return 0
	}
	return x.entries[len(x.entries)-1].seq + 1
}
