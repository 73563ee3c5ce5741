package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/batpak-go/batpak/storage/fs"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
)

// checkpointCheck checks the index checkpoints of a store against the
// events a DirScanner commits, one checkpoint at a time: each must decode
// (format.DecodeCheckpoint), match its segment file's print, and describe
// exactly the events at its index positions (id, place, size, kind,
// stream, sequence, correlation) and, at its end, each stream it names
// (coordinate, version, last hash, last time). This is more than Open
// asks of a checkpoint before it loads one (it checks the print and that
// the checkpoint fits the index, then trusts the entries): verify says
// whether the cache is right, not only whether it is usable. Memory: one
// decoded checkpoint.
type checkpointCheck struct {
	listed bool
	ids    []uint64 // segments with a checkpoint file, ascending
	next   int      // the next of ids to load
	cur    *format.Checkpoint
	curID  uint64
	run    int // current: the sequence run of the entry being checked
	corr   int // current: the next correlation record
	state  map[uint64]string
	buf    []byte
	// ioErr is the first checkpoint file that could not be read (an I/O
	// error, not damage): the scan goes on and returns it at the end.
	ioErr error
}

// list finds the checkpoint files of the segments ids.
func (c *checkpointCheck) list(s *DirScanner, ids []uint64) error {
	c.listed = true
	c.state = map[uint64]string{}
	names, err := s.fs.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("storage: read %s: %w: %w", s.dir, messages.ErrIO, err)
	}
	for _, n := range names {
		id, ok := format.ParseCheckpointName(n)
		if !ok {
			continue
		}
		s.report.Checkpoints++
		s.report.CheckpointBytes += s.fileSize(n)
		if _, ok := slices.BinarySearch(ids, id); ok { // one of a missing segment: stale, Open removes it
			c.ids = append(c.ids, id)
		}
	}
	slices.Sort(c.ids)
	return nil
}

// before finishes the checkpoints whose events all come before index
// position p and loads the next ones, up to the one that covers p.
func (c *checkpointCheck) before(s *DirScanner, p uint64) {
	for {
		if c.cur != nil {
			if p < uint64(c.cur.Info.Base)+uint64(c.cur.Info.Events) {
				return
			}
			c.finish(s)
		}
		if !c.load(s, p) {
			return
		}
	}
}

// stop ends the checks after damage: the checkpoints not checked yet (the
// current one included) are marked so.
func (c *checkpointCheck) stop() {
	if c.cur != nil {
		c.state[c.curID] = "not checked: damage in the log before its end"
		c.cur = nil
	}
	for _, id := range c.ids[c.next:] {
		c.state[id] = "not checked: damage in the log before it"
	}
	c.next = len(c.ids)
}

// end checks, once the log is read (p events), that no checkpoint claims
// events beyond it.
func (c *checkpointCheck) end(s *DirScanner) {
	if s.stop != nil {
		return
	}
	p := s.pos
	c.before(s, p)
	for c.cur != nil || c.load(s, p) {
		in := &c.cur.Info
		if in.Events > 0 {
			c.bad(s, 0, messages.Coordinate{}, fmt.Sprintf("describes index positions %d to %d; the log has %d events",
				in.Base, uint64(in.Base)+uint64(in.Events)-1, p))
			continue
		}
		c.finish(s)
	}
}

// load reads and decodes the next checkpoint, which must start at or
// after index position p; it reports false when none is left.
func (c *checkpointCheck) load(s *DirScanner, p uint64) bool {
	for c.next < len(c.ids) {
		id := c.ids[c.next]
		c.next++
		c.curID = id
		ck, err := c.read(s, id)
		if errors.Is(err, messages.ErrIO) {
			if c.ioErr == nil {
				c.ioErr = err
			}
			continue
		}
		if err != nil {
			c.bad(s, 0, messages.Coordinate{}, err.Error())
			continue
		}
		c.cur, c.run, c.corr = ck, 0, 0
		if uint64(ck.Info.Base) < p {
			c.bad(s, 0, messages.Coordinate{}, fmt.Sprintf("starts at index position %d, within what an earlier checkpoint or the log before it holds (the next position is %d)", ck.Info.Base, p))
			continue
		}
		return true
	}
	return false
}

// read reads checkpoint id whole, decodes it and matches it with its
// segment's print.
func (c *checkpointCheck) read(s *DirScanner, id uint64) (*format.Checkpoint, error) {
	b, err := readWhole(s, format.CheckpointName(id))
	if err != nil {
		return nil, fmt.Errorf("storage: read checkpoint %s: %w: %w", format.CheckpointName(id), messages.ErrIO, err)
	}
	ck, err := format.DecodeCheckpoint(b)
	if err != nil {
		return nil, err
	}
	if ck.Info.Segment != id {
		return nil, fmt.Errorf("made for segment %d", ck.Info.Segment)
	}
	f, err := s.fs.OpenFile(filepath.Join(s.dir, format.SegmentName(id)), os.O_RDONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("open its segment: %w", err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return nil, fmt.Errorf("size of its segment: %w", err)
	}
	print, buf, err := format.ReadSegmentPrint(f, id, size, true, c.buf)
	c.buf = buf
	if err != nil {
		return nil, fmt.Errorf("its segment: %w", err)
	}
	if print != ck.Info.Print {
		return nil, fmt.Errorf("made for another version of the segment (%+v, the segment is %+v)", ck.Info.Print, print)
	}
	return ck, nil
}

// readWhole reads the file name of the scanner's directory.
func readWhole(s *DirScanner, name string) ([]byte, error) {
	return fs.ReadFile(s.fs, filepath.Join(s.dir, name))
}

// entry checks the current checkpoint's entry for the event committed at
// index position p: ev, of stream number stream (known streams before it),
// whose frame is at seg, off, size bytes.
func (c *checkpointCheck) entry(s *DirScanner, p uint64, ev *messages.Event, stream uint32, known int, seg uint64, off int64, size int) {
	ck := c.cur
	if ck == nil || p < uint64(ck.Info.Base) {
		return
	}
	in := &ck.Info
	i := int(p - uint64(in.Base))
	e := ck.Entry(i)
	for c.run+1 < in.Runs && int(ck.Run(c.run+1).Pos) <= i {
		c.run++
	}
	r := ck.Run(c.run)
	seq := r.Seq + uint64(i) - uint64(r.Pos)
	flagged := e.Flags&format.EntryCorr != 0
	reason := ""
	switch {
	case i == 0 && int(in.BaseStreams) != known:
		reason = fmt.Sprintf("starts with %d streams known; the log has %d", in.BaseStreams, known)
	case e.ID != ev.ID:
		reason = fmt.Sprintf("entry %d names event %s; the log's event there is %s", i, e.ID, ev.ID)
	case in.Segment-uint64(e.Back) != seg || int64(e.Offset) != off || int(e.Size) != size:
		reason = fmt.Sprintf("entry %d puts the event at segment %d offset %d (%d bytes); its frame is at segment %d offset %d (%d bytes)",
			i, in.Segment-uint64(e.Back), e.Offset, e.Size, seg, off, size)
	case e.Kind != ev.Kind:
		reason = fmt.Sprintf("entry %d: kind %s; the event's is %s", i, e.Kind, ev.Kind)
	case e.Stream != stream:
		reason = fmt.Sprintf("entry %d: stream %d; the event's entity is stream %d", i, e.Stream, stream)
	case seq != ev.Sequence:
		reason = fmt.Sprintf("entry %d: sequence %d; the event's is %d", i, seq, ev.Sequence)
	case flagged != (ev.CorrelationID != ev.ID), flagged && ck.Corr(c.corr).Corr != ev.CorrelationID:
		reason = fmt.Sprintf("entry %d: the correlation differs from the event's", i)
	}
	if flagged {
		c.corr++
	}
	if reason != "" {
		c.bad(s, off, ev.Coordinate, reason)
	}
}

// finish checks the stream records of the current checkpoint, all of whose
// events were checked, against the entities' tails.
func (c *checkpointCheck) finish(s *DirScanner) {
	reason := ""
	var co messages.Coordinate
	_ = c.cur.EachStream(func(r *format.CheckpointStream) error {
		if int(r.Stream) >= len(s.ents.list) {
			reason = fmt.Sprintf("stream %d is not in the log", r.Stream)
			return errStop
		}
		st := s.ents.list[r.Stream]
		co = st.coord
		switch {
		case string(r.Entity) != co.Entity || string(r.Scope) != co.Scope:
			reason = fmt.Sprintf("stream %d is %q/%q; in the log it is %s", r.Stream, r.Scope, r.Entity, co)
		case r.Version != st.t.version:
			reason = fmt.Sprintf("stream %d ends at version %d; in the log at %d", r.Stream, r.Version, st.t.version)
		case r.Hash != st.t.hash:
			reason = fmt.Sprintf("stream %d: last hash differs from the log's", r.Stream)
		case r.WallMS != st.t.wall:
			reason = fmt.Sprintf("stream %d: last time %d ms; in the log %d ms", r.Stream, r.WallMS, st.t.wall)
		default:
			return nil
		}
		return errStop
	})
	if reason != "" {
		c.bad(s, 0, co, reason)
		return
	}
	c.state[c.curID] = "ok"
	c.cur = nil
}

// bad records that the current checkpoint (c.curID) is invalid and drops
// it.
func (c *checkpointCheck) bad(s *DirScanner, off int64, co messages.Coordinate, reason string) {
	c.state[c.curID] = "invalid: " + reason
	c.cur = nil
	_ = s.fault(ScanFault{Segment: c.curID, Offset: off, Entity: co, Part: FaultCheckpoint,
		Reason: fmt.Sprintf("index checkpoint %s (a cache: Open ignores it and rebuilds it): %s", format.CheckpointName(c.curID), reason)})
}
