package storage

import (
	"sort"
	"sync"
	"unsafe"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
)

// entry is the in-memory index record of one committed event: enough to
// find it (by id, stream, correlation) and filter it (kind, stream) without
// touching the disk. Its sequence comes from its position (seqOf) and its
// correlation, when it is not its own id, from a side table (corrOf), so an
// entry is 40 bytes. Everything else is read from its frame.
type entry struct {
	id       messages.ID
	segment  uint32
	offset   uint32
	size     uint32 // of the whole frame
	stream   uint32 // index into index.streams
	corrPrev uint32 // position+1 of the previous event of the same correlation
	kind     messages.EventKind
	flags    uint8 // format.EntryCorr: the correlation is in index.corrs
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

// stream is one entity's event stream: the positions of its events in
// version order, and its tail, which the next append chains to.
type stream struct {
	coord    messages.Coordinate
	pos      []uint32 // pos[v-1] is the entry of version v
	lastHash messages.Hash
	lastWall int64
	// For the span tracker (checkpoint_span.go): the span and the batch
	// that last touched the stream, and its slot in that batch's saved
	// tails.
	rangeGen, batchGen, batchSlot uint32
}

// tail is what an append needs to know about a stream's last event.
type tail struct {
	version uint64
	hash    messages.Hash
	wall    int64
}

// corrRec is the correlation of the (non-root) event at pos.
type corrRec struct {
	pos  uint32
	corr messages.ID
}

// seqRun says that the event at pos has sequence seq and the following ones
// count up from it, up to the next run. Sequences are dense in practice,
// so there is usually one run.
type seqRun struct {
	pos uint32
	seq uint64
}

// index holds every committed event. The writer mutates it only in publish
// (under mu); readers take mu.RLock. The writer reads without the lock,
// since nobody else writes. Entries and correlation records live in
// fixed-size chunks that never move, so growing the index never copies
// them.
type index struct {
	mu        sync.RWMutex
	entries   chunks[entry]
	corrs     chunks[corrRec] // ascending by pos
	seqs      []seqRun        // ascending by pos and by seq
	byID      posTable
	byCorr    posTable // latest entry of each correlation
	streams   []*stream
	streamIdx map[messages.Coordinate]uint32
	segments  map[uint64]*sharedFile
	closed    bool
	orphans   int // events whose correlation named no stored event

	posBytes int64 // capacity of the streams' position slices, in bytes
	strBytes int64 // bytes of the streams' coordinates

	spans spanTracker // segments whose events are complete, for checkpoints

	causes causeTable // causation, reversed (index_causes.go)
}

func newIndex() *index {
	return &index{streamIdx: make(map[messages.Coordinate]uint32), segments: make(map[uint64]*sharedFile),
		spans: newSpanTracker()}
}

// count is the number of committed events.
func (x *index) count() int { return x.entries.n }

// at returns the entry at position p (< count()).
func (x *index) at(p uint32) *entry { return x.entries.at(p) }

func (x *index) idOf(p uint32) messages.ID { return x.at(p).id }

// corrOf returns the correlation id of the event at position p.
func (x *index) corrOf(p uint32) messages.ID {
	en := x.at(p)
	if en.flags&format.EntryCorr == 0 {
		return en.id
	}
	i := sort.Search(x.corrs.n, func(i int) bool { return x.corrs.at(uint32(i)).pos >= p })
	return x.corrs.at(uint32(i)).corr
}

// seqOf returns the global sequence of the event at position p.
func (x *index) seqOf(p uint32) uint64 {
	r := x.seqs[0]
	if len(x.seqs) > 1 {
		i := sort.Search(len(x.seqs), func(i int) bool { return x.seqs[i].pos > p })
		r = x.seqs[i-1]
	}
	return r.seq + uint64(p-r.pos)
}

// bySeq returns the position of the first entry with seq >= from.
func (x *index) bySeq(from uint64) int {
	n := x.count()
	if n == 0 {
		return 0
	}
	i := sort.Search(len(x.seqs), func(i int) bool { return x.seqs[i].seq > from })
	if i == 0 {
		return 0 // from is before the first event
	}
	r := x.seqs[i-1]
	end := n
	if i < len(x.seqs) {
		end = int(x.seqs[i].pos)
	}
	if d := from - r.seq; d < uint64(end)-uint64(r.pos) {
		return int(r.pos) + int(d)
	}
	return end
}

// nextSeq is the sequence the next committed event gets.
func (x *index) nextSeq() uint64 {
	n := x.count()
	if n == 0 {
		return 0
	}
	return x.seqOf(uint32(n-1)) + 1
}

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
	return s.tail()
}

func (s *stream) tail() tail {
	return tail{version: uint64(len(s.pos)), hash: s.lastHash, wall: s.lastWall}
}

// noStream asks addEvent to find or create the event's stream.
const noStream = ^uint32(0)

// add appends a committed event; the caller holds mu (or is recovering).
func (x *index) add(e *messages.Event, segment uint64, offset int64, size int) {
	x.addEvent(noStream, e, segment, offset, size, 0)
}

// addEvent appends a committed event to stream si (noStream: the stream of
// e.Coordinate, created with room for hint positions if it is new) and
// returns the stream's index. The caller holds mu (or is recovering).
func (x *index) addEvent(si uint32, e *messages.Event, segment uint64, offset int64, size int, hint int) uint32 {
	seg := uint32(segment)
	if seg > x.spans.seg || !x.spans.started {
		x.enterSegment(seg, e)
	}
	isNew := false
	if si == noStream {
		var ok bool
		if si, ok = x.streamIdx[e.Coordinate]; !ok {
			si, isNew = x.newStream(e.Coordinate, hint), true
		}
	}
	s := x.streams[si]
	x.track(e, s, si, isNew)
	pos := uint32(x.count())
	var flags uint8
	if e.CorrelationID != e.ID {
		flags = format.EntryCorr
		x.corrs.push(corrRec{pos: pos, corr: e.CorrelationID})
	}
	if pos == 0 || e.Sequence != x.nextSeq() {
		x.seqs = append(x.seqs, seqRun{pos: pos, seq: e.Sequence})
	}
	*x.entries.grow() = entry{id: e.ID, segment: seg, offset: uint32(offset), size: uint32(size),
		stream: si, kind: e.Kind, flags: flags}
	x.byID.swap(e.ID, pos, x.idOf)
	x.linkCorrelation(pos)
	x.appendPos(s, pos)
	s.lastHash, s.lastWall = e.Hash, e.WallMS
	return si
}

// appendPos appends pos to s.pos, keeping posBytes.
func (x *index) appendPos(s *stream, pos uint32) {
	c := cap(s.pos)
	s.pos = append(s.pos, pos)
	if cap(s.pos) != c {
		x.posBytes += int64(cap(s.pos)-c) * 4
	}
}

// growPos makes room for n more positions in s.pos, exactly.
func (x *index) growPos(s *stream, n int) {
	if cap(s.pos)-len(s.pos) >= n {
		return
	}
	c := cap(s.pos)
	p := make([]uint32, len(s.pos), len(s.pos)+n)
	copy(p, s.pos)
	s.pos = p
	x.posBytes += int64(cap(p)-c) * 4
}

// newStream adds the stream of c, with room for hint positions.
func (x *index) newStream(c messages.Coordinate, hint int) uint32 {
	si := uint32(len(x.streams))
	s := &stream{coord: c}
	if hint > 0 {
		s.pos = make([]uint32, 0, hint)
		x.posBytes += int64(hint) * 4
	}
	x.streams = append(x.streams, s)
	x.streamIdx[c] = si
	x.strBytes += int64(len(c.Entity) + len(c.Scope))
	return si
}

// linkCorrelation chains the entry at pos to the previous event of its
// correlation. byCorr maps a correlation to its latest event; an event that
// is its own correlation (a root: most events) is left out of it while it is
// alone, since byID already finds it, and its first reaction links to it.
func (x *index) linkCorrelation(pos uint32) {
	en := x.at(pos)
	if en.flags&format.EntryCorr == 0 {
		// Earlier events can name this root's id as their correlation only
		// if it was predictable (key-derived) and they came first: orphans.
		if x.orphans == 0 {
			return
		}
		if _, ok := x.byCorr.find(en.id, x.corrOf); !ok {
			return // alone so far
		}
	}
	corr := x.corrOf(pos)
	prev, ok := x.byCorr.swap(corr, pos, x.corrOf)
	if !ok {
		prev, ok = x.correlationRoot(corr)
		ok = ok && prev < pos // a bulk load has later events in byID too
		if !ok && corr != en.id {
			x.orphans++
		}
	}
	if ok {
		en.corrPrev = prev + 1
	}
}

// correlationRoot returns the event whose id is corr if it is a root of
// that correlation.
func (x *index) correlationRoot(corr messages.ID) (uint32, bool) {
	p, ok := x.byID.find(corr, x.idOf)
	return p, ok && x.at(p).flags&format.EntryCorr == 0
}

// latestOfCorrelation returns the latest event of the correlation corr.
func (x *index) latestOfCorrelation(corr messages.ID) (uint32, bool) {
	if p, ok := x.byCorr.find(corr, x.corrOf); ok {
		return p, true
	}
	return x.correlationRoot(corr)
}

// reserve makes room for n more events in the id table, so that a
// recovery that knows its count (from footers or checkpoints) does not
// grow it step by step.
func (x *index) reserve(n int) {
	x.byID.reserve(x.count()+n, x.idOf)
}

// bytes estimates the memory the index holds: entries (whole chunks), the
// correlation and causation side tables, the id and correlation tables, the sequence
// runs, the streams' positions, and per stream its record, coordinate and
// map slot. It counts what is allocated, not what is in use, and ignores
// allocator overhead.
func (x *index) bytes() int64 {
	const perStream = int64(unsafe.Sizeof(stream{})) + 8 /* pointer */ + 48 /* map slot: key, value, control */
	n := x.entries.bytes() + x.corrs.bytes() + x.causes.bytes()
	n += int64(len(x.byID.slots)+len(x.byCorr.slots)) * 8
	n += int64(cap(x.seqs)) * int64(unsafe.Sizeof(seqRun{}))
	n += x.posBytes + x.strBytes + int64(len(x.streams))*perStream
	return n
}

// chunkShift sets the chunk size: 4,096 entries (160 KiB) a chunk.
const (
	chunkShift = 12
	chunkLen   = 1 << chunkShift
	chunkMask  = chunkLen - 1
)

// chunks is an append-only sequence of T in fixed-size chunks: an element
// never moves once appended (pointers to it stay valid), and growing
// allocates one chunk without copying anything but the chunk directory.
type chunks[T any] struct {
	dir []*[chunkLen]T
	n   int
}

func (c *chunks[T]) at(i uint32) *T { return &c.dir[i>>chunkShift][i&chunkMask] }

// grow appends a zero element and returns it.
func (c *chunks[T]) grow() *T {
	if c.n == len(c.dir)<<chunkShift {
		c.dir = append(c.dir, new([chunkLen]T))
	}
	c.n++
	return c.at(uint32(c.n - 1))
}

func (c *chunks[T]) push(v T) { *c.grow() = v }

// reserve allocates the chunks for n more elements.
func (c *chunks[T]) reserve(n int) {
	need := (c.n + n + chunkLen - 1) >> chunkShift
	if need > cap(c.dir) {
		d := make([]*[chunkLen]T, len(c.dir), need)
		copy(d, c.dir)
		c.dir = d
	}
	for len(c.dir) < need {
		c.dir = append(c.dir, new([chunkLen]T))
	}
}

func (c *chunks[T]) bytes() int64 {
	var t T
	return int64(len(c.dir))*chunkLen*int64(unsafe.Sizeof(t)) + int64(cap(c.dir))*8
}
