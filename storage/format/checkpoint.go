package format

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/batpak-go/batpak/messages"
)

// An index checkpoint describes what one sealed segment adds to the
// in-memory index, in a fixed binary layout that Open loads without
// replaying the segment. It lives beside the segment as NNNNNNNNNN.idx.
// Everything is little endian:
//
//	header, 96 bytes
//	 0 magic "BPKX"        4 version u16           6 flags u16 (0)
//	 8 segment id u64      16 segment size u64     24 footer offset u64
//	32 segment header crc u32 (the header's own crc field)
//	36 footer crc u32 (the footer frame's crc field)
//	40 base position u32   44 base streams u32
//	48 events u32          52 sequence runs u32
//	56 correlations u32    60 streams u32
//	64 resume segment u64  72 resume offset u64 (0: the segment's start)
//	80 held batch id [16] (zero: none)
//	entries, 32 bytes each, in log order
//	  id [16] | offset u32 | frame size u32 | stream u32 | kind u16 |
//	  flags u8 (bit 0: correlation in the side table) |
//	  segment delta u8 (the entry's segment is the checkpoint's minus it)
//	sequence runs, 12 bytes each: position u32 (in this checkpoint) |
//	  seq u64 (the event at the position has seq, and the following ones
//	  count up from it until the next run)
//	correlations, 20 bytes each: position u32 | correlation id [16]
//	  (events whose correlation is not their own id, ascending)
//	streams with events here, ascending by stream:
//	  stream u32 | events here u32 | version after u64 | wall ms i64 |
//	  last hash [32] | entity length u16 | scope length u16 | entity | scope
//	crc32c u32 of everything before it
//
// The checkpoints of a log cover consecutive ranges of index positions,
// one per segment, each ending where the index stood when it moved past
// the segment, except that an atomic batch open there (its items run into
// the next segment) goes to the next checkpoint whole. The resume point is
// where a replay of the log must start to rebuild what comes after this
// checkpoint: the next segment's start, or the open batch's first item
// (in this or an earlier segment), with the held batch id to treat as
// open there.
//
// The segment id, size, header crc, footer offset and footer crc are the
// segment's fingerprint: a checkpoint is used only for the segment file it
// was made from (see SegmentPrint). Streams numbered base streams and up
// first appear in this checkpoint (their version equals their count here).
const (
	CheckpointExt        = ".idx"
	CheckpointHeaderSize = 96
	CheckpointEntrySize  = 32
	checkpointRunSize    = 12
	checkpointCorrSize   = 20
	checkpointStreamSize = 60 // without the coordinate's bytes
	checkpointVersion    = 1

	// EntryCorr flags an entry whose correlation is in the side table.
	EntryCorr = 1
)

var checkpointMagic = [4]byte{'B', 'P', 'K', 'X'}

// ErrCheckpoint is wrapped by every reason DecodeCheckpoint refuses a
// checkpoint.
var ErrCheckpoint = errors.New("bad checkpoint")

// CheckpointName returns the file name of segment id's checkpoint.
func CheckpointName(id uint64) string { return fmt.Sprintf("%010d%s", id, CheckpointExt) }

// SegmentPrint identifies one sealed segment file: its size, its header's
// crc (which covers its id and creation time) and where its footer is and
// the footer frame's crc (which covers every record of the segment).
type SegmentPrint struct {
	Size         int64
	HeaderCRC    uint32
	FooterOffset int64
	FooterCRC    uint32
}

// Position is a place in the log: a segment and an offset in it (0: its
// start).
type Position struct {
	Segment uint64
	Offset  int64
}

// CheckpointInfo is a checkpoint's header.
type CheckpointInfo struct {
	Segment     uint64
	Print       SegmentPrint
	Base        uint32 // index position of the segment's first event
	BaseStreams uint32 // streams known before the segment
	Events      int
	Runs        int // sequence runs
	Corrs       int // correlation side-table records
	Streams     int // stream records
	// Resume is where a replay starts to rebuild what follows.
	Resume Position
	// Held is the batch open at Resume (its items start there), or zero.
	Held messages.ID
}

// CheckpointEntry is one event's index entry.
type CheckpointEntry struct {
	ID     messages.ID
	Offset uint32
	Size   uint32
	Stream uint32
	Kind   messages.EventKind
	Flags  uint8
	// Back is how many segments before the checkpoint's the entry is.
	Back uint8
}

// SeqRun starts a run of consecutive sequences at a position.
type SeqRun struct {
	Pos uint32
	Seq uint64
}

// CorrRecord is the correlation of the event at Pos (not its own id).
type CorrRecord struct {
	Pos  uint32
	Corr messages.ID
}

// CheckpointStream is what one segment did to one stream. Entity and Scope
// alias the decoded buffer (DecodeCheckpoint) or are copied (encoding).
type CheckpointStream struct {
	Stream  uint32
	Events  uint32 // in this segment
	Version uint64 // the stream's version after this segment
	WallMS  int64  // of its last event
	Hash    messages.Hash
	Entity  []byte
	Scope   []byte
}

// AppendCheckpointHeader starts a checkpoint in b with its header; append
// exactly info.Events entries, info.Runs runs, info.Corrs correlations and
// info.Streams streams, in that order, then FinishCheckpoint.
func AppendCheckpointHeader(b []byte, info *CheckpointInfo) []byte {
	var h [CheckpointHeaderSize]byte
	copy(h[:], checkpointMagic[:])
	le := binary.LittleEndian
	le.PutUint16(h[4:], checkpointVersion)
	le.PutUint64(h[8:], info.Segment)
	le.PutUint64(h[16:], uint64(info.Print.Size))
	le.PutUint64(h[24:], uint64(info.Print.FooterOffset))
	le.PutUint32(h[32:], info.Print.HeaderCRC)
	le.PutUint32(h[36:], info.Print.FooterCRC)
	le.PutUint32(h[40:], info.Base)
	le.PutUint32(h[44:], info.BaseStreams)
	le.PutUint32(h[48:], uint32(info.Events))
	le.PutUint32(h[52:], uint32(info.Runs))
	le.PutUint32(h[56:], uint32(info.Corrs))
	le.PutUint32(h[60:], uint32(info.Streams))
	le.PutUint64(h[64:], info.Resume.Segment)
	le.PutUint64(h[72:], uint64(info.Resume.Offset))
	copy(h[80:], info.Held[:])
	return append(b, h[:]...)
}

// AppendCheckpointEntry appends one entry.
func AppendCheckpointEntry(b []byte, e *CheckpointEntry) []byte {
	b = append(b, e.ID[:]...)
	b = binary.LittleEndian.AppendUint32(b, e.Offset)
	b = binary.LittleEndian.AppendUint32(b, e.Size)
	b = binary.LittleEndian.AppendUint32(b, e.Stream)
	b = binary.LittleEndian.AppendUint16(b, uint16(e.Kind))
	return append(b, e.Flags, e.Back)
}

// AppendSeqRun appends one sequence run.
func AppendSeqRun(b []byte, r SeqRun) []byte {
	b = binary.LittleEndian.AppendUint32(b, r.Pos)
	return binary.LittleEndian.AppendUint64(b, r.Seq)
}

// AppendCorrRecord appends one correlation record.
func AppendCorrRecord(b []byte, c CorrRecord) []byte {
	b = binary.LittleEndian.AppendUint32(b, c.Pos)
	return append(b, c.Corr[:]...)
}

// AppendCheckpointStream appends one stream record.
func AppendCheckpointStream(b []byte, s *CheckpointStream) []byte {
	le := binary.LittleEndian
	b = le.AppendUint32(b, s.Stream)
	b = le.AppendUint32(b, s.Events)
	b = le.AppendUint64(b, s.Version)
	b = le.AppendUint64(b, uint64(s.WallMS))
	b = append(b, s.Hash[:]...)
	b = le.AppendUint16(b, uint16(len(s.Entity)))
	b = le.AppendUint16(b, uint16(len(s.Scope)))
	b = append(b, s.Entity...)
	return append(b, s.Scope...)
}

// FinishCheckpoint appends the checksum of the checkpoint that starts at
// b[start].
func FinishCheckpoint(b []byte, start int) []byte {
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start:], Castagnoli))
}

// Checkpoint is a decoded checkpoint: its header, and its sections as
// slices of the buffer it was decoded from (read them with Entry, Run,
// Corr and EachStream).
type Checkpoint struct {
	Info    CheckpointInfo
	entries []byte
	runs    []byte
	corrs   []byte
	streams []byte
	// NewStreams is the number of streams that first appear here.
	NewStreams int
}

func badCheckpoint(f string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCheckpoint, fmt.Sprintf(f, args...))
}

// DecodeCheckpoint checks a whole checkpoint file and returns it. It
// checks the checksum and everything that can be checked without the index
// and the segment: section sizes, entries that tile no more than the data
// area in ascending order, sequence runs that strictly increase, a
// correlation record for exactly the flagged entries, stream records that
// ascend, count every entry once, introduce new streams in order and hold
// valid coordinates. The result aliases b.
func DecodeCheckpoint(b []byte) (*Checkpoint, error) {
	if len(b) < CheckpointHeaderSize+4 {
		return nil, badCheckpoint("%d bytes", len(b))
	}
	le := binary.LittleEndian
	body := b[:len(b)-4]
	if crc32.Checksum(body, Castagnoli) != le.Uint32(b[len(b)-4:]) {
		return nil, badCheckpoint("checksum mismatch")
	}
	if [4]byte(b[:4]) != checkpointMagic {
		return nil, badCheckpoint("magic %q", b[:4])
	}
	if v := le.Uint16(b[4:]); v != checkpointVersion {
		return nil, badCheckpoint("version %d, this build reads %d", v, checkpointVersion)
	}
	if f := le.Uint16(b[6:]); f != 0 {
		return nil, badCheckpoint("unknown flags %#x", f)
	}
	c := &Checkpoint{Info: CheckpointInfo{
		Segment: le.Uint64(b[8:]),
		Print: SegmentPrint{Size: int64(le.Uint64(b[16:])), FooterOffset: int64(le.Uint64(b[24:])),
			HeaderCRC: le.Uint32(b[32:]), FooterCRC: le.Uint32(b[36:])},
		Base: le.Uint32(b[40:]), BaseStreams: le.Uint32(b[44:]),
		Events: int(le.Uint32(b[48:])), Runs: int(le.Uint32(b[52:])),
		Corrs: int(le.Uint32(b[56:])), Streams: int(le.Uint32(b[60:])),
		Resume: Position{Segment: le.Uint64(b[64:]), Offset: int64(le.Uint64(b[72:]))},
		Held:   messages.ID(b[80:96]),
	}}
	in := &c.Info
	p := in.Print
	switch {
	case p.Size < 0 || p.FooterOffset < HeaderSize || p.FooterOffset > p.Size-FrameHeaderSize-TrailerSize:
		return nil, badCheckpoint("footer at %d in a segment of %d bytes", p.FooterOffset, p.Size)
	case uint64(in.Base)+uint64(in.Events) > math.MaxUint32-1:
		return nil, badCheckpoint("%d events after position %d", in.Events, in.Base)
	case in.Segment == math.MaxUint64 || in.Resume.Segment > in.Segment+1 || in.Resume.Segment+255 < in.Segment,
		in.Resume.Offset != 0 && (in.Resume.Offset < HeaderSize || in.Resume.Offset > math.MaxUint32 || in.Resume.Segment > in.Segment),
		in.Resume.Offset == 0 && in.Resume.Segment != in.Segment+1:
		return nil, badCheckpoint("resume point %+v", in.Resume)
	case in.Resume.Offset != 0 && in.Held.IsZero():
		return nil, badCheckpoint("resume point %+v inside a segment without a held batch", in.Resume)
	}
	rest := body[CheckpointHeaderSize:]
	take := func(n, size int) []byte {
		if n > len(rest)/size {
			return nil
		}
		s := rest[:n*size]
		rest = rest[n*size:]
		return s
	}
	if c.entries = take(in.Events, CheckpointEntrySize); c.entries == nil && in.Events > 0 {
		return nil, badCheckpoint("%d entries do not fit", in.Events)
	}
	if c.runs = take(in.Runs, checkpointRunSize); c.runs == nil && in.Runs > 0 {
		return nil, badCheckpoint("%d sequence runs do not fit", in.Runs)
	}
	if c.corrs = take(in.Corrs, checkpointCorrSize); c.corrs == nil && in.Corrs > 0 {
		return nil, badCheckpoint("%d correlations do not fit", in.Corrs)
	}
	c.streams = rest
	if err := c.checkStreams(); err != nil {
		return nil, err
	}
	if err := c.checkEntries(); err != nil {
		return nil, err
	}
	if err := c.checkRuns(); err != nil {
		return nil, err
	}
	return c, nil
}

// Entry returns entry i (< Info.Events).
func (c *Checkpoint) Entry(i int) CheckpointEntry {
	b := c.entries[i*CheckpointEntrySize : (i+1)*CheckpointEntrySize]
	le := binary.LittleEndian
	return CheckpointEntry{ID: messages.ID(b[:16]), Offset: le.Uint32(b[16:]), Size: le.Uint32(b[20:]),
		Stream: le.Uint32(b[24:]), Kind: messages.EventKind(le.Uint16(b[28:])), Flags: b[30], Back: b[31]}
}

// Run returns sequence run i (< Info.Runs).
func (c *Checkpoint) Run(i int) SeqRun {
	b := c.runs[i*checkpointRunSize:]
	return SeqRun{Pos: binary.LittleEndian.Uint32(b), Seq: binary.LittleEndian.Uint64(b[4:])}
}

// Corr returns correlation record i (< Info.Corrs).
func (c *Checkpoint) Corr(i int) CorrRecord {
	b := c.corrs[i*checkpointCorrSize:]
	return CorrRecord{Pos: binary.LittleEndian.Uint32(b), Corr: messages.ID(b[4:20])}
}

// EachStream calls fn with each stream record in order, reusing one
// record; fn's error stops the walk and is returned.
func (c *Checkpoint) EachStream(fn func(*CheckpointStream) error) error {
	var s CheckpointStream
	b := c.streams
	for range c.Info.Streams {
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

func (c *Checkpoint) checkStreams() error {
	in := &c.Info
	var s CheckpointStream
	b := c.streams
	total := 0
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
		total += int(s.Events)
	}
	if len(b) != 0 {
		return badCheckpoint("%d bytes after the last stream", len(b))
	}
	if total != in.Events {
		return badCheckpoint("streams count %d events, the segment has %d", total, in.Events)
	}
	if next > math.MaxUint32 {
		return badCheckpoint("too many streams")
	}
	c.NewStreams = int(next - uint64(in.BaseStreams))
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

func (c *Checkpoint) checkEntries() error {
	in := &c.Info
	prev := Position{Segment: in.Segment - min(in.Segment, 255), Offset: HeaderSize}
	streams := uint64(in.BaseStreams) + uint64(c.NewStreams)
	flagged := 0
	for i := range in.Events {
		e := c.Entry(i)
		at := Position{Segment: in.Segment - uint64(e.Back), Offset: int64(e.Offset)}
		switch {
		case uint64(e.Back) > in.Segment:
			return badCheckpoint("entry %d in segment %d before segment 0", i, e.Back)
		case at.Segment < prev.Segment || at.Segment == prev.Segment && at.Offset < prev.Offset:
			return badCheckpoint("entry %d at %+v overlaps the one before (ends at %+v)", i, at, prev)
		case e.Size < FrameHeaderSize || e.Size > FrameHeaderSize+MaxFrameBytes:
			return badCheckpoint("entry %d: frame size %d", i, e.Size)
		case e.Back == 0 && int64(e.Offset)+int64(e.Size) > in.Print.FooterOffset,
			int64(e.Offset)+int64(e.Size) > math.MaxUint32:
			return badCheckpoint("entry %d ends past the data", i)
		case uint64(e.Stream) >= streams:
			return badCheckpoint("entry %d: stream %d of %d", i, e.Stream, streams)
		case e.Flags&^EntryCorr != 0:
			return badCheckpoint("entry %d: unknown flags", i)
		}
		if e.Flags&EntryCorr != 0 {
			flagged++
		}
		prev = Position{Segment: at.Segment, Offset: at.Offset + int64(e.Size)}
	}
	if r := in.Resume; in.Events > 0 && (r.Segment < prev.Segment || r.Segment == prev.Segment && r.Offset < prev.Offset) {
		return badCheckpoint("resume point %+v before the last entry's end %+v", r, prev)
	}
	if flagged != in.Corrs {
		return badCheckpoint("%d entries flagged for %d correlations", flagged, in.Corrs)
	}
	for i := range in.Corrs {
		r := c.Corr(i)
		switch {
		case i > 0 && r.Pos <= c.Corr(i-1).Pos, int(r.Pos) >= in.Events:
			return badCheckpoint("correlation %d at position %d", i, r.Pos)
		case c.Entry(int(r.Pos)).Flags&EntryCorr == 0:
			return badCheckpoint("correlation %d for an unflagged entry", i)
		case r.Corr.IsZero() || r.Corr == c.Entry(int(r.Pos)).ID:
			return badCheckpoint("correlation %d is not another event's id", i)
		}
	}
	return nil
}

// EntryAt returns where entry i is in the log.
func (c *Checkpoint) EntryAt(i int) Position {
	e := c.Entry(i)
	return Position{Segment: c.Info.Segment - uint64(e.Back), Offset: int64(e.Offset)}
}

func (c *Checkpoint) checkRuns() error {
	in := &c.Info
	if (in.Events == 0) != (in.Runs == 0) || in.Runs > in.Events {
		return badCheckpoint("%d sequence runs for %d events", in.Runs, in.Events)
	}
	for i := range in.Runs {
		r := c.Run(i)
		if i == 0 {
			if r.Pos != 0 {
				return badCheckpoint("first sequence run at position %d", r.Pos)
			}
			continue
		}
		p := c.Run(i - 1)
		if r.Pos <= p.Pos || int(r.Pos) >= in.Events {
			return badCheckpoint("sequence run %d at position %d", i, r.Pos)
		}
		if d := uint64(r.Pos - p.Pos); p.Seq > math.MaxUint64-d || r.Seq < p.Seq+d {
			return badCheckpoint("sequence run %d does not increase", i)
		}
	}
	if in.Runs > 0 {
		last := c.Run(in.Runs - 1)
		if last.Seq > math.MaxUint64-uint64(in.Events) {
			return badCheckpoint("sequences overflow")
		}
	}
	return nil
}

// LastSeq returns the sequence of the checkpoint's last event (it has at
// least one).
func (c *Checkpoint) LastSeq() uint64 {
	r := c.Run(c.Info.Runs - 1)
	return r.Seq + uint64(c.Info.Events-1) - uint64(r.Pos)
}

// CheckStreamCounts checks that every entry's stream is one of the stream
// records and that each record counts its entries exactly. counts is
// scratch space indexed by stream, at least Info.BaseStreams+NewStreams
// long and all zero; it is left all zero.
func (c *Checkpoint) CheckStreamCounts(counts []uint32) error {
	if uint64(len(counts)) < uint64(c.Info.BaseStreams)+uint64(c.NewStreams) {
		return badCheckpoint("scratch of %d streams", len(counts))
	}
	for i := range c.Info.Events {
		counts[binary.LittleEndian.Uint32(c.entries[i*CheckpointEntrySize+24:])]++
	}
	err := c.EachStream(func(s *CheckpointStream) error {
		n := counts[s.Stream]
		counts[s.Stream] = 0
		if n != s.Events {
			return badCheckpoint("stream %d has %d entries, its record says %d", s.Stream, n, s.Events)
		}
		return nil
	})
	if err != nil {
		clear(counts)
	}
	return err
}

// ParseCheckpointName returns the segment id of a checkpoint file name, or
// false.
func ParseCheckpointName(name string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, CheckpointExt)
	if !ok || len(digits) != 10 {
		return 0, false
	}
	id, err := strconv.ParseUint(digits, 10, 64)
	return id, err == nil
}

// ReadSegmentPrint reads the fingerprint of sealed segment id, a file of
// the given size: its header (which must decode and name id), its trailer
// and its footer frame's header, whose length must end the footer at the
// trailer. With verify it also reads the whole footer frame and checks its
// checksum, so that a footer damaged after the print was taken no longer
// matches it. buf is reused for the footer and returned.
func ReadSegmentPrint(f io.ReaderAt, id uint64, size int64, verify bool, buf []byte) (SegmentPrint, []byte, error) {
	var hb [HeaderSize]byte
	if _, err := f.ReadAt(hb[:], 0); err != nil {
		return SegmentPrint{}, buf, fmt.Errorf("read header: %w", err)
	}
	h, err := DecodeHeader(hb[:])
	if err != nil {
		return SegmentPrint{}, buf, err
	}
	if h.ID != id {
		return SegmentPrint{}, buf, fmt.Errorf("header names segment %d", h.ID)
	}
	off := FooterAt(f, size)
	if off < HeaderSize || off > size-FrameHeaderSize-TrailerSize {
		return SegmentPrint{}, buf, ErrNoFooter
	}
	n := size - TrailerSize - off
	var fh [FrameHeaderSize]byte
	if _, err := f.ReadAt(fh[:], off); err != nil {
		return SegmentPrint{}, buf, fmt.Errorf("read footer: %w", err)
	}
	if l, err := FrameLen(fh[:]); err != nil || int64(l)+FrameHeaderSize != n {
		return SegmentPrint{}, buf, fmt.Errorf("%w: footer frame length", ErrNoFooter)
	}
	if verify { // the footer's checksum, over its length word and body, a MiB at a time
		const chunk = 1 << 20
		if cap(buf) < chunk {
			buf = make([]byte, chunk)
		}
		crc := crc32.Update(0, Castagnoli, fh[:4])
		for at := off + FrameHeaderSize; at < off+n; {
			b := buf[:min(chunk, off+n-at)]
			if _, err := f.ReadAt(b, at); err != nil {
				return SegmentPrint{}, buf, fmt.Errorf("read footer: %w", err)
			}
			crc = crc32.Update(crc, Castagnoli, b)
			at += int64(len(b))
		}
		if crc != binary.LittleEndian.Uint32(fh[4:]) {
			return SegmentPrint{}, buf, fmt.Errorf("%w: footer frame: %v", ErrNoFooter, ErrFrameCRC)
		}
	}
	return SegmentPrint{Size: size, HeaderCRC: binary.LittleEndian.Uint32(hb[28:]), FooterOffset: off,
		FooterCRC: binary.LittleEndian.Uint32(fh[4:])}, buf, nil
}
