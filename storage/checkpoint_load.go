package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
)

// loadedCheckpoint is a checkpoint that passed every check, waiting to be
// loaded into the index.
type loadedCheckpoint struct {
	id  uint64
	f   fs.File
	ck  *format.Checkpoint
	buf []byte
}

// checkpointLoader loads the checkpoints of the leading segments of the
// log. Check validates them in order against their segment files and
// against the index they build up (without adding entries yet: only the
// streams); load then adds their entries. The first segment without a
// usable checkpoint ends the run: it and every later segment are replayed.
type checkpointLoader struct {
	e        *Engine
	ok       []loadedCheckpoint
	versions []uint64 // per stream, as of the last checked checkpoint
	counts   []uint32 // scratch for CheckStreamCounts
	footer   []byte   // scratch for the footer's checksum
	events   int      // in ok
	lastSeq  uint64
	footerAt map[uint64]int64 // footer offset of each segment in ok
}

// check validates the checkpoints of ids in order and returns how many of
// the leading segments they cover.
func (l *checkpointLoader) check(ids []uint64, present map[uint64]bool) int {
	for _, id := range ids {
		if !present[id] {
			break
		}
		lc, err := l.checkOne(id)
		if err != nil {
			l.e.recovery.CheckpointsIgnored = append(l.e.recovery.CheckpointsIgnored,
				fmt.Sprintf("segment %d: %v", id, err))
			break
		}
		l.ok = append(l.ok, lc)
		l.footerAt[id] = lc.ck.Info.Print.FooterOffset
	}
	return len(l.ok)
}

// resume returns where the replay after the loaded checkpoints starts, and
// the batch open there (zero: none).
func (l *checkpointLoader) resume() (format.Position, messages.ID) {
	if len(l.ok) == 0 {
		return format.Position{}, messages.ID{}
	}
	in := &l.ok[len(l.ok)-1].ck.Info
	return in.Resume, in.Held
}

// checkOne validates segment id's checkpoint against the segment and the
// index so far, and adds the streams it introduces.
func (l *checkpointLoader) checkOne(id uint64) (lc loadedCheckpoint, err error) {
	e := l.e
	f, err := e.fs.OpenFile(filepath.Join(e.dir, format.SegmentName(id)), os.O_RDWR, 0o600)
	if err != nil {
		return lc, err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	size, err := f.Size()
	if err != nil {
		return lc, err
	}
	print, fb, err := format.ReadSegmentPrint(f, id, size, true, l.footer)
	l.footer = fb
	if err != nil {
		return lc, fmt.Errorf("segment: %w", err)
	}
	buf, err := readWhole(e.fs, filepath.Join(e.dir, format.CheckpointName(id)))
	if err != nil {
		return lc, err
	}
	ck, err := format.DecodeCheckpoint(buf)
	if err != nil {
		return lc, err
	}
	if err := l.fits(id, ck, print); err != nil {
		return lc, err
	}
	return loadedCheckpoint{id: id, f: f, ck: ck, buf: buf}, nil
}

// fits checks checkpoint ck of segment id against the segment's print and
// the index the checkpoints before it built, and adds its new streams.
func (l *checkpointLoader) fits(id uint64, ck *format.Checkpoint, print format.SegmentPrint) error {
	x := l.e.idx
	in := &ck.Info
	switch {
	case in.Segment != id:
		return fmt.Errorf("made for segment %d", in.Segment)
	case in.Print != print:
		return fmt.Errorf("made for another version of the segment (%+v, the segment is %+v)", in.Print, print)
	case int(in.Base) != l.events:
		return fmt.Errorf("starts at position %d, the index holds %d events", in.Base, l.events)
	case int(in.BaseStreams) != len(x.streams):
		return fmt.Errorf("starts at stream %d, the index holds %d streams", in.BaseStreams, len(x.streams))
	case in.Events > 0 && l.events > 0 && ck.Run(0).Seq <= l.lastSeq:
		return fmt.Errorf("sequence %d does not follow %d", ck.Run(0).Seq, l.lastSeq)
	case uint64(l.events)+uint64(in.Events) >= maxEvents:
		return fmt.Errorf("more than %d events", uint64(maxEvents))
	}
	if err := l.fitsLog(ck); err != nil {
		return err
	}
	err := ck.EachStream(func(s *format.CheckpointStream) error {
		if s.Stream >= in.BaseStreams {
			c := messages.Coordinate{Entity: string(s.Entity), Scope: string(s.Scope)}
			if _, dup := x.streamIdx[c]; dup {
				return fmt.Errorf("new stream %d is %s, already stream %d", s.Stream, c, x.streamIdx[c])
			}
			x.newStream(c, 0)
			l.versions = append(l.versions, 0)
		} else if c := x.streams[s.Stream].coord; string(s.Entity) != c.Entity || string(s.Scope) != c.Scope {
			return fmt.Errorf("stream %d is %s, not %q/%q", s.Stream, c, s.Scope, s.Entity)
		}
		if l.versions[s.Stream]+uint64(s.Events) != s.Version {
			return fmt.Errorf("stream %d at version %d gets %d events and claims version %d",
				s.Stream, l.versions[s.Stream], s.Events, s.Version)
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
		}
		x.streams = x.streams[:in.BaseStreams]
		l.versions = l.versions[:in.BaseStreams]
		return err
	}
	_ = ck.EachStream(func(s *format.CheckpointStream) error {
		l.versions[s.Stream] = s.Version
		return nil
	})
	l.events += in.Events
	if in.Events > 0 {
		l.lastSeq = ck.LastSeq()
	}
	return nil
}

// fitsLog checks that ck's events come after the point where the checkpoint
// before it says the log goes on, lie in segments it covers (or ck's own),
// and that ck's resume point is in one of those segments or starts the
// next one.
func (l *checkpointLoader) fitsLog(ck *format.Checkpoint) error {
	in := &ck.Info
	from := format.Position{Segment: 1}
	if len(l.ok) > 0 {
		from = l.ok[len(l.ok)-1].ck.Info.Resume
	} else if in.Events > 0 {
		from = ck.EntryAt(0) // the first checkpoint: its own start
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
			return fmt.Errorf("event %d at %+v is not in a segment covered before", i, at)
		}
	}
	if r := in.Resume; r.Offset != 0 && r.Segment != in.Segment {
		if end, ok := l.footerAt[r.Segment]; !ok || r.Offset >= end {
			return fmt.Errorf("resume point %+v is not in a segment covered before", r)
		}
	} else if r.Offset >= in.Print.FooterOffset {
		return fmt.Errorf("resume point %+v is past the data", r)
	}
	return nil
}

// load adds the entries of the checked checkpoints to the index, which
// holds their streams and nothing else yet.
func (l *checkpointLoader) load() {
	x := l.e.idx
	x.entries.reserve(l.events)
	for si, s := range x.streams {
		x.growPos(s, int(l.versions[si]))
	}
	resume, _ := l.resume()
	for i := range l.ok {
		lc := &l.ok[i]
		l.loadOne(lc)
		x.segments[lc.id] = share(lc.f)
		l.e.recovery.Segments++
		l.e.recovery.FooterSegments++
		if lc.id < resume.Segment || resume.Offset == 0 {
			l.e.recovery.CheckpointSegments++ // not replayed again
		}
		lc.buf, lc.ck = nil, nil
	}
}

func (l *checkpointLoader) loadOne(lc *loadedCheckpoint) {
	x := l.e.idx
	ck := lc.ck
	in := &ck.Info
	base := uint32(x.count())
	seg := uint32(lc.id)
	c := 0
	for i := range in.Events {
		ce := ck.Entry(i)
		pos := base + uint32(i)
		*x.entries.grow() = entry{id: ce.ID, segment: seg - uint32(ce.Back), offset: ce.Offset, size: ce.Size,
			stream: ce.Stream, kind: ce.Kind, flags: ce.Flags}
		if ce.Flags&format.EntryCorr != 0 {
			x.corrs.push(corrRec{pos: pos, corr: ck.Corr(c).Corr})
			c++
		}
		x.byID.swap(ce.ID, pos, x.idOf)
		x.linkCorrelation(pos)
		s := x.streams[ce.Stream]
		s.pos = append(s.pos, pos)
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
	x.resumeAfterLoad(seg)
}

// readWhole reads a whole file.
func readWhole(fsys fs.FS, path string) ([]byte, error) {
	f, err := fsys.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n, err := f.Size()
	if err != nil {
		return nil, err
	}
	if n > 1<<40 {
		return nil, errors.New("checkpoint too large")
	}
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, 0); err != nil {
		return nil, err
	}
	return buf, nil
}
