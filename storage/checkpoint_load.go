package storage

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
)

// checkpointLoader loads the checkpoints of the leading segments of the
// log into the (empty) index, one after the other: each is checked against
// its segment file and against the index the ones before it built, then
// loaded. The first segment without a usable checkpoint ends the run: the
// replay starts where the last loaded checkpoint says the log goes on.
type checkpointLoader struct {
	e        *Engine
	head     []byte   // the head of the checkpoint being loaded
	buf      []byte   // a piece of its entries; also the footer's checksum
	size     int64    // of the checkpoint file being loaded
	hints    []uint64 // per stream: its version in the last checkpoint, to size its positions
	loaded   int
	last     format.CheckpointInfo // of the last loaded checkpoint
	lastSeq  uint64
	footerAt map[uint64]int64 // footer offset of each loaded segment
	slots    []uint64         // the loaded events' id table slots, inserted by finish
	scratch  []uint64
	linked   bool // some loaded event is not its own correlation
}

// run loads the checkpoints of the leading segments of ids (those in
// present) and returns how many it loaded. It sizes the entries and the id
// table once, for the checkpoints' events and what the footers of the rest
// claim.
func (l *checkpointLoader) run(ids []uint64, present map[uint64]bool) int {
	n := 0
	for n < len(ids) && present[ids[n]] {
		n++
	}
	events := l.prepare(ids[:n])
	x := l.e.idx
	x.entries.reserve(events)
	l.slots = make([]uint64, 0, events)
	x.reserve(events + l.e.footerRecords(ids[n:]))
	for _, id := range ids[:n] {
		if err := l.loadSegment(id); err != nil {
			l.e.recovery.CheckpointsIgnored = append(l.e.recovery.CheckpointsIgnored, fmt.Sprintf("segment %d: %v", id, err))
			break
		}
	}
	l.finish()
	return l.loaded
}

// finish adds the ids of every loaded event to the id table in one bulk
// insert (region by region), then links their correlations in order, if
// any event is not its own correlation.
func (l *checkpointLoader) finish() {
	x := l.e.idx
	x.byID.reserve(x.count(), x.idOf)
	l.scratch = x.byID.insertAll(l.slots, l.scratch, x.idOf)
	if l.linked {
		for p := range uint32(x.count()) {
			x.linkCorrelation(p)
		}
	}
	l.slots, l.scratch = nil, nil
}

// prepare reads the headers and stream records of the checkpoints of ids
// (not checked yet: only to size the index) and returns how many events
// they claim; it notes each stream's last version as the capacity to give
// its positions.
func (l *checkpointLoader) prepare(ids []uint64) int {
	total := 0
	for _, id := range ids {
		f, err := l.e.fs.OpenFile(filepath.Join(l.e.dir, format.CheckpointName(id)), os.O_RDONLY, 0)
		if err != nil {
			continue
		}
		var h [format.CheckpointHeaderSize]byte
		size, err := f.Size()
		if err == nil {
			_, err = f.ReadAt(h[:], 0)
		}
		if err != nil {
			f.Close()
			continue
		}
		events, off, end, err := format.CheckpointStreamsAt(h[:], size)
		if err == nil && events > 0 {
			total += events
			b := make([]byte, end-off)
			if _, err := f.ReadAt(b, off); err == nil {
				format.ScanStreamVersions(b, func(s uint32, v uint64) { l.hint(int(s), v, total) })
			}
		}
		f.Close()
	}
	return total
}

// hint notes version v of stream s as the capacity to give its positions,
// for streams below bound (a stream index is never above the event count).
func (l *checkpointLoader) hint(s int, v uint64, bound int) {
	if s >= bound {
		return
	}
	for len(l.hints) <= s {
		l.hints = append(l.hints, 0)
	}
	l.hints[s] = min(v, uint64(bound))
}

// resume returns where the replay after the loaded checkpoints starts, and
// the batch open there (zero: none).
func (l *checkpointLoader) resume() (format.Position, messages.ID) {
	if l.loaded == 0 {
		return format.Position{}, messages.ID{}
	}
	return l.last.Resume, l.last.Held
}

// loadSegment checks segment id's checkpoint and loads it.
func (l *checkpointLoader) loadSegment(id uint64) (err error) {
	e := l.e
	f, err := e.fs.OpenFile(filepath.Join(e.dir, format.SegmentName(id)), e.segmentFlag(), 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	size, err := f.Size()
	if err != nil {
		return err
	}
	print, fb, err := format.ReadSegmentPrint(f, id, size, true, l.buf)
	l.buf = fb
	if err != nil {
		return fmt.Errorf("segment: %w", err)
	}
	cf, err := e.fs.OpenFile(filepath.Join(e.dir, format.CheckpointName(id)), os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer cf.Close()
	h, crc, err := l.readHead(cf)
	if err != nil {
		return err
	}
	if err := l.fits(id, h, print); err != nil {
		return err
	}
	if err := l.load(id, cf, h, crc); err != nil {
		return err
	}
	e.idx.segments[id] = share(f)
	e.ro.noteSegment(id, size, print.FooterOffset, true, true)
	e.recovery.Segments++
	e.recovery.FooterSegments++
	e.recovery.CheckpointSegments++
	l.footerAt[id] = print.FooterOffset
	l.last = h.Info
	l.loaded++
	return nil
}

// readHead reads and checks the head of checkpoint file cf and returns it
// with the checksum of its bytes so far.
func (l *checkpointLoader) readHead(cf fs.File) (*format.CheckpointHead, uint32, error) {
	size, err := cf.Size()
	if err != nil {
		return nil, 0, err
	}
	l.size = size
	var hb [format.CheckpointHeaderSize]byte
	if _, err := cf.ReadAt(hb[:], 0); err != nil {
		return nil, 0, fmt.Errorf("%w: read header: %v", format.ErrCheckpoint, err)
	}
	n, err := format.CheckpointHeadSize(hb[:], size)
	if err != nil {
		return nil, 0, err
	}
	if cap(l.head) < n {
		l.head = make([]byte, n)
	}
	l.head = l.head[:n]
	if _, err := cf.ReadAt(l.head, 0); err != nil {
		return nil, 0, fmt.Errorf("%w: read head: %v", format.ErrCheckpoint, err)
	}
	h, err := format.DecodeCheckpointHead(l.head)
	if err != nil {
		return nil, 0, err
	}
	return h, crc32.Update(0, format.Castagnoli, l.head), nil
}

// fits checks checkpoint head h of segment id against the segment's print
// and the index so far, and adds the streams it introduces.
func (l *checkpointLoader) fits(id uint64, h *format.CheckpointHead, print format.SegmentPrint) error {
	x := l.e.idx
	in := &h.Info
	n := x.count()
	switch {
	case in.Segment != id:
		return fmt.Errorf("made for segment %d", in.Segment)
	case in.Print != print:
		return fmt.Errorf("made for another version of the segment (%+v, the segment is %+v)", in.Print, print)
	case int(in.Base) != n:
		return fmt.Errorf("starts at position %d, the index holds %d events", in.Base, n)
	case int(in.BaseStreams) != len(x.streams):
		return fmt.Errorf("starts at stream %d, the index holds %d streams", in.BaseStreams, len(x.streams))
	case in.Events > 0 && n > 0 && h.Run(0).Seq <= l.lastSeq:
		return fmt.Errorf("sequence %d does not follow %d", h.Run(0).Seq, l.lastSeq)
	case uint64(n)+uint64(in.Events) >= maxEvents:
		return fmt.Errorf("more than %d events", uint64(maxEvents))
	}
	if r := in.Resume; r.Offset != 0 && r.Segment != in.Segment {
		if end, ok := l.footerAt[r.Segment]; !ok || r.Offset >= end {
			return fmt.Errorf("resume point %+v is not in a segment loaded before", r)
		}
	}
	err := h.EachStream(func(s *format.CheckpointStream) error {
		var before uint64
		if s.Stream >= in.BaseStreams {
			c := messages.Coordinate{Entity: string(s.Entity), Scope: string(s.Scope)}
			if _, dup := x.streamIdx[c]; dup {
				return fmt.Errorf("new stream %d is %s, already stream %d", s.Stream, c, x.streamIdx[c])
			}
			hint := 0
			if int(s.Stream) < len(l.hints) {
				hint = int(l.hints[s.Stream])
			}
			x.newStream(c, max(hint, int(s.Events)))
		} else {
			st := x.streams[s.Stream]
			if string(s.Entity) != st.coord.Entity || string(s.Scope) != st.coord.Scope {
				return fmt.Errorf("stream %d is %s, not %q/%q", s.Stream, st.coord, s.Scope, s.Entity)
			}
			before = uint64(len(st.pos))
			x.growPos(st, int(s.Events))
		}
		if before+uint64(s.Events) != s.Version {
			return fmt.Errorf("stream %d at version %d gets %d events and claims version %d", s.Stream, before, s.Events, s.Version)
		}
		return nil
	})
	if err != nil {
		l.dropStreams(in.BaseStreams)
	}
	return err
}

// dropStreams forgets the streams from the n-th on.
func (l *checkpointLoader) dropStreams(n uint32) {
	x := l.e.idx
	for _, s := range x.streams[n:] {
		delete(x.streamIdx, s.coord)
		x.strBytes -= int64(len(s.coord.Entity) + len(s.coord.Scope))
		x.posBytes -= int64(cap(s.pos)) * 4
	}
	clear(x.streams[n:])
	x.streams = x.streams[:n]
}

// loadPiece is how much of a checkpoint's entries is read at a time.
const loadPiece = 32 << 15 // 1 MiB: 32,768 entries

// load reads the entries of checkpoint file cf (head h, crc so far) a
// piece at a time, checking each and adding it to the index, then checks
// the checksum and the counts and completes the index (id table,
// correlations, sequences, tails). If anything fails, the index is put
// back as it was before this checkpoint.
func (l *checkpointLoader) load(id uint64, cf fs.File, h *format.CheckpointHead, crc uint32) (err error) {
	x := l.e.idx
	in := &h.Info
	base, corrs, slotsBefore := uint32(x.count()), x.corrs.n, len(l.slots)
	defer func() {
		if err != nil {
			l.unload(base, corrs, in.BaseStreams)
			l.slots = l.slots[:slotsBefore]
		}
	}()
	ec := h.Entries()
	seg := uint32(id)
	from := l.last.Resume
	slots := l.slots
	c := 0
	off := int64(len(l.head))
	end := l.size - 4
	if cap(l.buf) < loadPiece+4 {
		l.buf = make([]byte, loadPiece+4)
	}
	le := binary.LittleEndian
	for i := 0; off < end; {
		b := l.buf[:min(loadPiece, end-off)]
		if _, err := cf.ReadAt(b, off); err != nil {
			return fmt.Errorf("%w: read entries: %v", format.ErrCheckpoint, err)
		}
		crc = crc32.Update(crc, format.Castagnoli, b)
		off += int64(len(b))
		for ; len(b) >= format.CheckpointEntrySize; b, i = b[format.CheckpointEntrySize:], i+1 {
			if err := ec.Next(b); err != nil {
				return err
			}
			back, stream := uint32(b[31]), le.Uint32(b[24:])
			if back > 0 || i == 0 && l.loaded > 0 {
				if err := l.entryInLog(in.Segment, b, i, from); err != nil {
					return err
				}
			}
			pos := base + uint32(i)
			en := x.entries.grow()
			en.id = messages.ID(b[:16])
			en.segment, en.offset, en.size, en.stream = seg-back, le.Uint32(b[16:]), le.Uint32(b[20:]), stream
			en.kind, en.flags = messages.EventKind(le.Uint16(b[28:])), b[30]
			if en.flags&format.EntryCorr != 0 {
				x.corrs.push(corrRec{pos: pos, corr: h.Corr(c).Corr})
				c++
			}
			slots = append(slots, slotOf(tagOf(en.id), pos))
			st := x.streams[stream]
			st.pos = append(st.pos, pos) // fits made room: the capacity is counted
		}
	}
	l.slots = slots
	var tr [4]byte
	if _, err := cf.ReadAt(tr[:], end); err != nil || crc != binary.LittleEndian.Uint32(tr[:]) {
		return fmt.Errorf("%w: checksum mismatch", format.ErrCheckpoint)
	}
	if err := ec.Finish(); err != nil {
		return err
	}
	// Each stream record's stream got exactly its events (they sum to all
	// the events, so no entry went to another stream).
	err = h.EachStream(func(s *format.CheckpointStream) error {
		if got := uint64(len(x.streams[s.Stream].pos)); got != s.Version {
			return fmt.Errorf("%w: stream %d has %d events, its record says version %d", format.ErrCheckpoint, s.Stream, got, s.Version)
		}
		return nil
	})
	if err != nil {
		return err
	}
	l.complete(id, h, base)
	l.linked = l.linked || c > 0
	return nil
}

// entryInLog checks that entry i (its bytes b) of the checkpoint of
// segment seg lies in a segment loaded before (if it is not in seg) and,
// for the first, not before from, where the checkpoint before says the log
// goes on.
func (l *checkpointLoader) entryInLog(seg uint64, b []byte, i int, from format.Position) error {
	e := format.DecodeEntry(b)
	at := format.Position{Segment: seg - uint64(e.Back), Offset: int64(e.Offset)}
	if i == 0 && l.loaded > 0 && at.Before(from) {
		return fmt.Errorf("first event at %+v, before where the log goes on (%+v)", at, from)
	}
	if e.Back > 0 {
		if end, ok := l.footerAt[at.Segment]; !ok || at.Offset+int64(e.Size) > end {
			return fmt.Errorf("event %d at %+v is not in a segment loaded before", i, at)
		}
	}
	return nil
}

// unload puts the index back as it was before a checkpoint that failed
// half-way: base events, corrs correlation records, streams streams.
func (l *checkpointLoader) unload(base uint32, corrs int, streams uint32) {
	x := l.e.idx
	for p := uint32(x.count()); p > base; p-- {
		s := x.streams[x.at(p-1).stream]
		if n := len(s.pos); n > 0 && s.pos[n-1] >= base {
			s.pos = s.pos[:n-1]
		}
	}
	x.entries.n, x.corrs.n = int(base), corrs
	l.dropStreams(streams)
}

// complete adds what the entries of a loaded checkpoint imply: the
// sequence runs and the streams' tails (ids and correlations wait for
// finish).
func (l *checkpointLoader) complete(id uint64, h *format.CheckpointHead, base uint32) {
	x := l.e.idx
	in := &h.Info
	for i := range in.Runs {
		r := h.Run(i)
		pos := base + r.Pos
		if len(x.seqs) == 0 || x.seqOf(pos-1)+1 != r.Seq {
			x.seqs = append(x.seqs, seqRun{pos: pos, seq: r.Seq})
		}
	}
	_ = h.EachStream(func(s *format.CheckpointStream) error {
		st := x.streams[s.Stream]
		st.lastHash, st.lastWall = s.Hash, s.WallMS
		return nil
	})
	if in.Events > 0 {
		l.lastSeq = h.LastSeq()
	}
	x.resumeAfterLoad(uint32(id))
}
