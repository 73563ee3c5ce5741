package storage

import (
	"encoding/binary"
	"fmt"
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
	buf      []byte   // the checkpoint being loaded
	footer   []byte   // scratch for the footer's checksum
	counts   []uint32 // scratch for CheckStreamCounts
	hints    []uint64 // per stream: its version in the last checkpoint, to size its positions
	loaded   int
	last     format.CheckpointInfo // of the last loaded checkpoint
	lastSeq  uint64
	footerAt map[uint64]int64 // footer offset of each loaded segment
	slots    []uint64         // scratch for the id table's bulk insert
	scratch  []uint64
}

// run loads the checkpoints of the leading segments of ids and returns how
// many it loaded. extra is how many more events the replay may add (to
// size the id table once).
func (l *checkpointLoader) run(ids []uint64, present map[uint64]bool) int {
	n := 0
	for n < len(ids) && present[ids[n]] {
		n++
	}
	events := l.prepare(ids[:n])
	x := l.e.idx
	x.entries.reserve(events)
	x.reserve(events + l.e.footerRecords(ids[n:]))
	for _, id := range ids[:n] {
		if err := l.loadSegment(id); err != nil {
			l.e.recovery.CheckpointsIgnored = append(l.e.recovery.CheckpointsIgnored, fmt.Sprintf("segment %d: %v", id, err))
			break
		}
	}
	return l.loaded
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
		le := binary.LittleEndian
		events := int(le.Uint32(h[48:]))
		at := int64(format.CheckpointHeaderSize) + int64(events)*format.CheckpointEntrySize +
			int64(le.Uint32(h[52:]))*12 + int64(le.Uint32(h[56:]))*20
		if events > 0 && int64(events)*format.CheckpointEntrySize < size && at < size-4 {
			total += events
			b := make([]byte, size-4-at)
			if _, err := f.ReadAt(b, at); err == nil {
				l.noteVersions(b, total)
			}
		}
		f.Close()
	}
	return total
}

// noteVersions notes the versions of the stream records in b, for streams
// below bound (a stream index is never above the event count).
func (l *checkpointLoader) noteVersions(b []byte, bound int) {
	le := binary.LittleEndian
	for len(b) >= 60 {
		s, v := int(le.Uint32(b)), le.Uint64(b[8:])
		n := 60 + int(le.Uint16(b[56:])) + int(le.Uint16(b[58:]))
		if s < bound {
			for len(l.hints) <= s {
				l.hints = append(l.hints, 0)
			}
			l.hints[s] = min(v, uint64(bound))
		}
		if n > len(b) {
			return
		}
		b = b[n:]
	}
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
	f, err := e.fs.OpenFile(filepath.Join(e.dir, format.SegmentName(id)), os.O_RDWR, 0o600)
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
	print, fb, err := format.ReadSegmentPrint(f, id, size, true, l.footer)
	l.footer = fb
	if err != nil {
		return fmt.Errorf("segment: %w", err)
	}
	if l.buf, err = readWhole(e.fs, filepath.Join(e.dir, format.CheckpointName(id)), l.buf); err != nil {
		return err
	}
	ck, err := format.DecodeCheckpoint(l.buf)
	if err != nil {
		return err
	}
	if err := l.fits(id, ck, print); err != nil {
		return err
	}
	l.load(id, ck)
	e.idx.segments[id] = share(f)
	e.recovery.Segments++
	e.recovery.FooterSegments++
	e.recovery.CheckpointSegments++
	l.footerAt[id] = print.FooterOffset
	l.last = ck.Info
	l.loaded++
	return nil
}

// fits checks checkpoint ck of segment id against the segment's print and
// the index so far, and adds the streams it introduces.
func (l *checkpointLoader) fits(id uint64, ck *format.Checkpoint, print format.SegmentPrint) error {
	x := l.e.idx
	in := &ck.Info
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
	case in.Events > 0 && n > 0 && ck.Run(0).Seq <= l.lastSeq:
		return fmt.Errorf("sequence %d does not follow %d", ck.Run(0).Seq, l.lastSeq)
	case uint64(n)+uint64(in.Events) >= maxEvents:
		return fmt.Errorf("more than %d events", uint64(maxEvents))
	}
	if err := l.fitsLog(ck); err != nil {
		return err
	}
	err := ck.EachStream(func(s *format.CheckpointStream) error {
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
	if err == nil {
		if n := len(x.streams); len(l.counts) < n {
			l.counts = make([]uint32, n+n/4)
		}
		err = ck.CheckStreamCounts(l.counts)
	}
	if err != nil {
		for _, s := range x.streams[in.BaseStreams:] {
			delete(x.streamIdx, s.coord)
			x.strBytes -= int64(len(s.coord.Entity) + len(s.coord.Scope))
			x.posBytes -= int64(cap(s.pos)) * 4
		}
		clear(x.streams[in.BaseStreams:])
		x.streams = x.streams[:in.BaseStreams]
		return err
	}
	return nil
}

// fitsLog checks that ck's events come after the point where the checkpoint
// before it says the log goes on, lie in segments loaded before (or ck's
// own), and that ck's resume point is in one of those segments or starts
// the next one.
func (l *checkpointLoader) fitsLog(ck *format.Checkpoint) error {
	in := &ck.Info
	from := format.Position{}
	if l.loaded > 0 {
		from = l.last.Resume
	}
	for i := range in.Events {
		at := ck.EntryAt(i)
		if i == 0 && (at.Segment < from.Segment || at.Segment == from.Segment && at.Offset < from.Offset) {
			return fmt.Errorf("first event at %+v, before where the log goes on (%+v)", at, from)
		}
		if at.Segment == in.Segment {
			break // the rest is in this segment: checked by DecodeCheckpoint
		}
		end, ok := l.footerAt[at.Segment]
		if !ok || at.Offset+int64(ck.Entry(i).Size) > end {
			return fmt.Errorf("event %d at %+v is not in a segment loaded before", i, at)
		}
	}
	if r := in.Resume; r.Offset != 0 && r.Segment != in.Segment {
		if end, ok := l.footerAt[r.Segment]; !ok || r.Offset >= end {
			return fmt.Errorf("resume point %+v is not in a segment loaded before", r)
		}
	} else if r.Offset >= in.Print.FooterOffset {
		return fmt.Errorf("resume point %+v is past the data", r)
	}
	return nil
}

// load adds checkpoint ck of segment id, checked, to the index, which
// already holds its new streams.
func (l *checkpointLoader) load(id uint64, ck *format.Checkpoint) {
	x := l.e.idx
	in := &ck.Info
	base := uint32(x.count())
	seg := uint32(id)
	c := 0
	slots := l.slots[:0]
	for i := range in.Events {
		ce := ck.Entry(i)
		pos := base + uint32(i)
		*x.entries.grow() = entry{id: ce.ID, segment: seg - uint32(ce.Back), offset: ce.Offset, size: ce.Size,
			stream: ce.Stream, kind: ce.Kind, flags: ce.Flags}
		if ce.Flags&format.EntryCorr != 0 {
			x.corrs.push(corrRec{pos: pos, corr: ck.Corr(c).Corr})
			c++
		}
		slots = append(slots, slotOf(tagOf(ce.ID), pos))
		s := x.streams[ce.Stream]
		s.pos = append(s.pos, pos) // room made by fits
	}
	x.byID.reserve(int(base)+in.Events, x.idOf)
	l.scratch = x.byID.insertAll(slots, l.scratch, x.idOf)
	l.slots = slots
	if c > 0 || x.orphans > 0 { // roots need linking only when an orphan named them
		for i := range in.Events {
			x.linkCorrelation(base + uint32(i))
		}
	}
	for i := range in.Runs {
		r := ck.Run(i)
		pos := base + r.Pos
		if len(x.seqs) == 0 || x.seqOf(pos-1)+1 != r.Seq {
			x.seqs = append(x.seqs, seqRun{pos: pos, seq: r.Seq})
		}
	}
	_ = ck.EachStream(func(s *format.CheckpointStream) error {
		st := x.streams[s.Stream]
		st.lastHash, st.lastWall = s.Hash, s.WallMS
		return nil
	})
	if in.Events > 0 {
		l.lastSeq = ck.LastSeq()
	}
	x.resumeAfterLoad(seg)
}

// readWhole reads a whole file into buf (grown if needed) and returns it.
func readWhole(fsys fs.FS, path string, buf []byte) ([]byte, error) {
	f, err := fsys.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return buf, err
	}
	defer f.Close()
	n, err := f.Size()
	if err != nil {
		return buf, err
	}
	if n > 1<<40 {
		return buf, fmt.Errorf("%d bytes", n)
	}
	if int64(cap(buf)) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := f.ReadAt(buf, 0); err != nil {
		return buf, err
	}
	return buf, nil
}
