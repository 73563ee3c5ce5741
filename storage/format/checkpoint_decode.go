package format

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"unicode/utf8"

	"github.com/batpak-go/batpak/messages"
)

// CheckpointHead is a checkpoint's header and small sections (everything
// before its entries), decoded and checked; the entries are checked as
// they are read, by an EntryChecker.
type CheckpointHead struct {
	// Info is the decoded, checked header.
	Info CheckpointInfo
	// NewStreams is the number of streams that first appear here.
	NewStreams int
	runs       []byte
	corrs      []byte
	streams    []byte
}

// CheckpointHeadSize returns how many leading bytes of a checkpoint file
// of the given size its head takes (header and small sections), from its
// header (at least its first CheckpointHeaderSize bytes).
func CheckpointHeadSize(header []byte, size int64) (int, error) {
	if len(header) < CheckpointHeaderSize || size < CheckpointHeaderSize+4 {
		return 0, badCheckpoint("%d bytes", size)
	}
	events := int64(binary.LittleEndian.Uint32(header[48:]))
	n := size - 4 - events*CheckpointEntrySize
	if n < CheckpointHeaderSize || n > math.MaxInt32 {
		return 0, badCheckpoint("%d entries in %d bytes", events, size)
	}
	return int(n), nil
}

// DecodeCheckpointHead decodes and checks the head of a checkpoint: its
// header, then its stream records (ascending, new streams in order, valid
// coordinates, counting every event once), sequence runs (strictly
// increasing sequences) and correlation records (ascending positions).
// The checksum is not checked (the caller accumulates it over the whole
// file). The result aliases b.
func DecodeCheckpointHead(b []byte) (*CheckpointHead, error) {
	if len(b) < CheckpointHeaderSize {
		return nil, badCheckpoint("head of %d bytes", len(b))
	}
	le := binary.LittleEndian
	if [4]byte(b[:4]) != checkpointMagic {
		return nil, badCheckpoint("magic %q", b[:4])
	}
	if v := le.Uint16(b[4:]); v != checkpointVersion {
		return nil, badCheckpoint("version %d, this build reads %d", v, checkpointVersion)
	}
	if f := le.Uint16(b[6:]); f != 0 {
		return nil, badCheckpoint("unknown flags %#x", f)
	}
	h := &CheckpointHead{Info: CheckpointInfo{
		Segment: le.Uint64(b[8:]),
		Print: SegmentPrint{Size: int64(le.Uint64(b[16:])), FooterOffset: int64(le.Uint64(b[24:])),
			HeaderCRC: le.Uint32(b[32:]), FooterCRC: le.Uint32(b[36:])},
		Base: le.Uint32(b[40:]), BaseStreams: le.Uint32(b[44:]),
		Events: int(le.Uint32(b[48:])), Runs: int(le.Uint32(b[52:])),
		Corrs: int(le.Uint32(b[56:])), Streams: int(le.Uint32(b[60:])),
		Resume: Position{Segment: le.Uint64(b[64:]), Offset: int64(le.Uint64(b[72:]))},
		Held:   messages.ID(b[80:96]),
	}}
	if err := h.checkInfo(); err != nil {
		return nil, err
	}
	in := &h.Info
	rest := b[CheckpointHeaderSize:]
	fixed := int64(in.Runs)*checkpointRunSize + int64(in.Corrs)*checkpointCorrSize
	if fixed > int64(len(rest)) {
		return nil, badCheckpoint("%d runs and %d correlations do not fit", in.Runs, in.Corrs)
	}
	split := len(rest) - int(fixed)
	h.streams, rest = rest[:split], rest[split:]
	h.runs, h.corrs = rest[:in.Runs*checkpointRunSize], rest[in.Runs*checkpointRunSize:]
	if err := h.checkStreams(); err != nil {
		return nil, err
	}
	if err := h.checkRuns(); err != nil {
		return nil, err
	}
	return h, h.checkCorrs()
}

func (h *CheckpointHead) checkInfo() error {
	in := &h.Info
	p, r := in.Print, in.Resume
	switch {
	case p.Size < 0 || p.FooterOffset < HeaderSize || p.FooterOffset > p.Size-FrameHeaderSize-TrailerSize:
		return badCheckpoint("footer at %d in a segment of %d bytes", p.FooterOffset, p.Size)
	case uint64(in.Base)+uint64(in.Events) > math.MaxUint32-1:
		return badCheckpoint("%d events after position %d", in.Events, in.Base)
	case in.Segment == math.MaxUint64 || r.Segment > in.Segment+1 || r.Segment+255 < in.Segment,
		r.Offset == 0 && r.Segment != in.Segment+1,
		r.Offset != 0 && (r.Offset < HeaderSize || r.Offset > math.MaxUint32 || r.Segment > in.Segment || in.Held.IsZero()),
		r.Segment == in.Segment && r.Offset >= p.FooterOffset:
		return badCheckpoint("resume point %+v", r)
	}
	return nil
}

// Run returns sequence run i (< Info.Runs).
func (h *CheckpointHead) Run(i int) SeqRun {
	b := h.runs[i*checkpointRunSize:]
	return SeqRun{Pos: binary.LittleEndian.Uint32(b), Seq: binary.LittleEndian.Uint64(b[4:])}
}

// Corr returns correlation record i (< Info.Corrs).
func (h *CheckpointHead) Corr(i int) CorrRecord {
	b := h.corrs[i*checkpointCorrSize:]
	return CorrRecord{Pos: binary.LittleEndian.Uint32(b), Corr: messages.ID(b[4:20])}
}

// LastSeq returns the sequence of the last event (there is at least one).
func (h *CheckpointHead) LastSeq() uint64 {
	r := h.Run(h.Info.Runs - 1)
	return r.Seq + uint64(h.Info.Events-1) - uint64(r.Pos)
}

// EachStream calls fn with each stream record in order, reusing one
// record; fn's error stops the walk and is returned.
func (h *CheckpointHead) EachStream(fn func(*CheckpointStream) error) error {
	var s CheckpointStream
	b := h.streams
	for range h.Info.Streams {
		n := decodeCheckpointStream(b, &s)
		if err := fn(&s); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// decodeCheckpointStream decodes the stream record at the start of b into
// s and returns its size, or 0 if b is too short.
func decodeCheckpointStream(b []byte, s *CheckpointStream) int {
	if len(b) < checkpointStreamSize {
		return 0
	}
	le := binary.LittleEndian
	el, sl := int(le.Uint16(b[56:])), int(le.Uint16(b[58:]))
	n := checkpointStreamSize + el + sl
	if len(b) < n {
		return 0
	}
	*s = CheckpointStream{Stream: le.Uint32(b), Events: le.Uint32(b[4:]), Version: le.Uint64(b[8:]),
		WallMS: int64(le.Uint64(b[16:])), Hash: messages.Hash(b[24:56]),
		Entity: b[60 : 60+el], Scope: b[60+el : n]}
	return n
}

func (h *CheckpointHead) checkStreams() error {
	in := &h.Info
	var s CheckpointStream
	b := h.streams
	total := uint64(0)
	next := uint64(in.BaseStreams) // the next new stream
	prev := int64(-1)
	for i := range in.Streams {
		n := decodeCheckpointStream(b, &s)
		if n == 0 {
			return badCheckpoint("stream record %d does not fit", i)
		}
		b = b[n:]
		switch {
		case int64(s.Stream) <= prev:
			return badCheckpoint("stream %d after stream %d", s.Stream, prev)
		case s.Events == 0 || s.Version < uint64(s.Events):
			return badCheckpoint("stream %d: %d events here, version %d", s.Stream, s.Events, s.Version)
		case s.Stream >= in.BaseStreams && (uint64(s.Stream) != next || s.Version != uint64(s.Events)):
			return badCheckpoint("new stream %d out of order or not new", s.Stream)
		case !validCoordinate(s.Entity) || !validCoordinate(s.Scope):
			return badCheckpoint("stream %d: invalid coordinate", s.Stream)
		}
		if s.Stream >= in.BaseStreams {
			next++
		}
		prev = int64(s.Stream)
		total += uint64(s.Events)
	}
	if len(b) != 0 {
		return badCheckpoint("%d bytes after the last stream", len(b))
	}
	if total != uint64(in.Events) {
		return badCheckpoint("streams count %d events, there are %d", total, in.Events)
	}
	if next > math.MaxUint32 {
		return badCheckpoint("too many streams")
	}
	h.NewStreams = int(next - uint64(in.BaseStreams))
	return nil
}

// validCoordinate checks one half of a coordinate as
// messages.Coordinate.Validate does.
func validCoordinate(b []byte) bool {
	if len(b) == 0 || len(b) > messages.MaxCoordinateBytes || !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c == 0 {
			return false
		}
	}
	return true
}

func (h *CheckpointHead) checkRuns() error {
	in := &h.Info
	if (in.Events == 0) != (in.Runs == 0) || in.Runs > in.Events {
		return badCheckpoint("%d sequence runs for %d events", in.Runs, in.Events)
	}
	for i := range in.Runs {
		r := h.Run(i)
		if i == 0 {
			if r.Pos != 0 {
				return badCheckpoint("first sequence run at position %d", r.Pos)
			}
			continue
		}
		p := h.Run(i - 1)
		if r.Pos <= p.Pos || int(r.Pos) >= in.Events {
			return badCheckpoint("sequence run %d at position %d", i, r.Pos)
		}
		if d := uint64(r.Pos - p.Pos); p.Seq > math.MaxUint64-d || r.Seq < p.Seq+d {
			return badCheckpoint("sequence run %d does not increase", i)
		}
	}
	if in.Runs > 0 && h.Run(in.Runs-1).Seq > math.MaxUint64-uint64(in.Events) {
		return badCheckpoint("sequences overflow")
	}
	return nil
}

func (h *CheckpointHead) checkCorrs() error {
	in := &h.Info
	if in.Corrs > in.Events {
		return badCheckpoint("%d correlations for %d events", in.Corrs, in.Events)
	}
	for i := range in.Corrs {
		r := h.Corr(i)
		if i > 0 && r.Pos <= h.Corr(i-1).Pos || int(r.Pos) >= in.Events || r.Corr.IsZero() {
			return badCheckpoint("correlation %d at position %d", i, r.Pos)
		}
	}
	return nil
}

// EntryChecker checks a checkpoint's entries as they are read, in order.
type EntryChecker struct {
	h       *CheckpointHead
	n       int
	prev    Position // end of the last entry
	corr    int      // next correlation record
	streams uint64
}

// Entries returns a checker for h's entries.
func (h *CheckpointHead) Entries() *EntryChecker {
	seg := h.Info.Segment
	return &EntryChecker{h: h, prev: Position{Segment: seg - min(seg, 255), Offset: HeaderSize},
		streams: uint64(h.Info.BaseStreams) + uint64(h.NewStreams)}
}

// Next checks the next entry (b: its 32 bytes, see DecodeEntry): it
// follows the one before in the log without overlapping it, its frame size
// is plausible, an entry of the checkpoint's own segment ends before the
// footer, its stream is known or new here, and it has a correlation record
// exactly if it is flagged for one.
func (c *EntryChecker) Next(b []byte) error {
	b = b[:CheckpointEntrySize]
	le := binary.LittleEndian
	off, size, stream := le.Uint32(b[16:]), le.Uint32(b[20:]), le.Uint32(b[24:])
	flags, back := b[30], b[31]
	in := &c.h.Info
	i := c.n
	c.n++
	at := Position{Segment: in.Segment - uint64(back), Offset: int64(off)}
	flagged := c.corr < in.Corrs && int(c.h.Corr(c.corr).Pos) == i
	switch {
	case i >= in.Events:
		return badCheckpoint("more than %d entries", in.Events)
	case uint64(back) > in.Segment || at.Before(c.prev):
		return badCheckpoint("entry %d at %+v overlaps the one before (ends at %+v)", i, at, c.prev)
	case size < FrameHeaderSize || size > FrameHeaderSize+MaxFrameBytes:
		return badCheckpoint("entry %d: frame size %d", i, size)
	case back == 0 && int64(off)+int64(size) > in.Print.FooterOffset,
		int64(off)+int64(size) > math.MaxUint32:
		return badCheckpoint("entry %d ends past the data", i)
	case uint64(stream) >= c.streams:
		return badCheckpoint("entry %d: stream %d of %d", i, stream, c.streams)
	case flags&^EntryCorr != 0, (flags&EntryCorr != 0) != flagged:
		return badCheckpoint("entry %d: flags %#x", i, flags)
	case flagged && c.h.Corr(c.corr).Corr == messages.ID(b[:16]):
		return badCheckpoint("entry %d: its own id as its correlation", i)
	}
	if flagged {
		c.corr++
	}
	c.prev = Position{Segment: at.Segment, Offset: at.Offset + int64(size)}
	return nil
}

// Finish checks that every entry was read and the resume point follows the
// last one.
func (c *EntryChecker) Finish() error {
	in := &c.h.Info
	if c.n != in.Events || c.corr != in.Corrs {
		return badCheckpoint("%d of %d entries read, %d of %d correlations used", c.n, in.Events, c.corr, in.Corrs)
	}
	if in.Events > 0 && in.Resume.Before(c.prev) {
		return badCheckpoint("resume point %+v before the last entry's end %+v", in.Resume, c.prev)
	}
	return nil
}

// Checkpoint is a whole checkpoint decoded from memory.
type Checkpoint struct {
	*CheckpointHead
	entries []byte
}

// Entry returns entry i (< Info.Events).
func (c *Checkpoint) Entry(i int) CheckpointEntry {
	return DecodeEntry(c.entries[i*CheckpointEntrySize:])
}

// DecodeCheckpoint checks a whole checkpoint file held in memory: its
// checksum, its head, every entry, and the stream records' counts. The
// result aliases b.
func DecodeCheckpoint(b []byte) (*Checkpoint, error) {
	if len(b) < CheckpointHeaderSize+4 {
		return nil, badCheckpoint("%d bytes", len(b))
	}
	if crc32.Checksum(b[:len(b)-4], Castagnoli) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return nil, badCheckpoint("checksum mismatch")
	}
	n, err := CheckpointHeadSize(b, int64(len(b)))
	if err != nil {
		return nil, err
	}
	h, err := DecodeCheckpointHead(b[:n])
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{CheckpointHead: h, entries: b[n : len(b)-4]}
	ec := h.Entries()
	counts := map[uint32]uint32{}
	for i := range h.Info.Events {
		if err := ec.Next(c.entries[i*CheckpointEntrySize:]); err != nil {
			return nil, err
		}
		counts[c.Entry(i).Stream]++
	}
	if err := ec.Finish(); err != nil {
		return nil, err
	}
	err = h.EachStream(func(s *CheckpointStream) error {
		if counts[s.Stream] != s.Events {
			return badCheckpoint("stream %d has %d entries, its record says %d", s.Stream, counts[s.Stream], s.Events)
		}
		return nil
	})
	return c, err
}

// EntryAt returns where entry i is in the log.
func (c *Checkpoint) EntryAt(i int) Position {
	e := c.Entry(i)
	return Position{Segment: c.Info.Segment - uint64(e.Back), Offset: int64(e.Offset)}
}

// CheckpointStreamsAt reads, from a checkpoint's header (of a file of the
// given size), how many events it claims and where its stream records lie
// ([off, end)), without checking anything else: a loader uses them to size
// its index before it checks the checkpoint.
func CheckpointStreamsAt(header []byte, size int64) (events int, off, end int64, err error) {
	n, err := CheckpointHeadSize(header, size)
	if err != nil {
		return 0, 0, 0, err
	}
	le := binary.LittleEndian
	end = int64(n) - int64(le.Uint32(header[52:]))*checkpointRunSize - int64(le.Uint32(header[56:]))*checkpointCorrSize
	if end < CheckpointHeaderSize {
		return 0, 0, 0, badCheckpoint("%d head bytes for its runs and correlations", n)
	}
	return int(le.Uint32(header[48:])), CheckpointHeaderSize, end, nil
}

// ScanStreamVersions calls fn with the stream and version of each whole
// stream record in b (stream records, unchecked).
func ScanStreamVersions(b []byte, fn func(stream uint32, version uint64)) {
	var s CheckpointStream
	for {
		n := decodeCheckpointStream(b, &s)
		if n == 0 {
			return
		}
		fn(s.Stream, s.Version)
		b = b[n:]
	}
}
