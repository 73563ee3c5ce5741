package format

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

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
//	streams with events here, ascending by stream:
//	  stream u32 | events here u32 | version after u64 | wall ms i64 |
//	  last hash [32] | entity length u16 | scope length u16 | entity | scope
//	sequence runs, 12 bytes each: position u32 (in this checkpoint) |
//	  seq u64 (the event at the position has seq, and the following ones
//	  count up from it until the next run)
//	correlations, 20 bytes each: position u32 | correlation id [16]
//	  (events whose correlation is not their own id, ascending)
//	entries, 32 bytes each, in log order:
//	  id [16] | offset u32 | frame size u32 | stream u32 | kind u16 |
//	  flags u8 (bit 0: correlation in the side table) |
//	  segment delta u8 (the entry's segment is the checkpoint's minus it)
//	crc32c u32 of everything before it
//
// The small sections come first and the entries last, so that a loader
// can check the head, then stream the entries in pieces while the
// checksum accumulates.
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
	CheckpointExt        = ".idx" // the extension of checkpoint file names
	CheckpointHeaderSize = 96     // bytes
	CheckpointEntrySize  = 32     // bytes per entry
	checkpointRunSize    = 12
	checkpointCorrSize   = 20
	checkpointStreamSize = 60 // without the coordinate's bytes
	checkpointVersion    = 1

	// EntryCorr flags an entry whose correlation is in the side table.
	EntryCorr = 1
)

var checkpointMagic = [4]byte{'B', 'P', 'K', 'X'}

// ErrCheckpoint is wrapped by every reason a checkpoint is refused.
var ErrCheckpoint = errors.New("bad checkpoint")

func badCheckpoint(f string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCheckpoint, fmt.Sprintf(f, args...))
}

// CheckpointName returns the file name of segment id's checkpoint.
func CheckpointName(id uint64) string { return fmt.Sprintf("%010d%s", id, CheckpointExt) }

// SegmentPrint identifies one sealed segment file: its size, its header's
// crc (which covers its id and creation time) and where its footer is and
// the footer frame's crc (which covers every record of the segment).
type SegmentPrint struct {
	// Size is the segment file's size in bytes, trailer included.
	Size int64
	// HeaderCRC is the segment header's own crc32c field (its bytes 28..31).
	HeaderCRC uint32
	// FooterOffset is the byte offset of the footer frame in the file
	// (where the data ends): at least HeaderSize.
	FooterOffset int64
	// FooterCRC is the footer frame's crc32c field.
	FooterCRC uint32
}

// Position is a place in the log: a segment and an offset in it (0: its
// start).
type Position struct {
	// Segment is the segment's id (from 1).
	Segment uint64
	// Offset is a byte offset from the start of the segment file; 0 means
	// the segment's start (its first frame is at HeaderSize).
	Offset int64
}

// Before reports whether p comes before q in the log.
func (p Position) Before(q Position) bool {
	return p.Segment < q.Segment || p.Segment == q.Segment && p.Offset < q.Offset
}

// CheckpointInfo is a checkpoint's header.
type CheckpointInfo struct {
	// Segment is the id of the sealed segment the checkpoint describes.
	Segment uint64
	// Print is that segment file's fingerprint: the checkpoint is used
	// only for a file that still matches it.
	Print       SegmentPrint
	Base        uint32 // index position of the checkpoint's first event (0: the log's first)
	BaseStreams uint32 // streams known before it
	// Events is the number of entries: the index positions Base to
	// Base+Events-1 (Base+Events is at most 2^32-2).
	Events  int
	Runs    int // sequence runs
	Corrs   int // correlation side-table records
	Streams int // stream records
	// Resume is where a replay starts to rebuild what follows.
	Resume Position
	// Held is the batch open at Resume (its items start there), or zero.
	Held messages.ID
}

// CheckpointEntry is one event's index entry.
type CheckpointEntry struct {
	// ID is the event's id.
	ID messages.ID
	// Offset is the byte offset of the event's frame in its segment (the
	// checkpoint's segment minus Back); at least HeaderSize.
	Offset uint32
	// Size is the frame's size in bytes, header included: FrameHeaderSize
	// to FrameHeaderSize+MaxFrameBytes.
	Size uint32
	// Stream is the index's number of the event's stream: streams are
	// numbered from 0 in the order they first appear in the log.
	Stream uint32
	// Kind is the event's kind.
	Kind messages.EventKind
	// Flags is 0 or EntryCorr (the event's correlation is in the
	// correlation records); other bits are refused.
	Flags uint8
	// Back is how many segments before the checkpoint's the entry is.
	Back uint8
}

// SeqRun starts a run of consecutive sequences at a position.
type SeqRun struct {
	// Pos is the position where the run starts, counted from the
	// checkpoint's first event (0: Info.Base).
	Pos uint32
	// Seq is the global sequence of the event at Pos; the events after it
	// count up by one until the next run.
	Seq uint64
}

// CorrRecord is the correlation of the event at Pos (not its own id).
type CorrRecord struct {
	// Pos is the event's position, counted from the checkpoint's first
	// event (0: Info.Base).
	Pos uint32
	// Corr is the event's correlation id; never the event's own id (those
	// have no record).
	Corr messages.ID
}

// CheckpointStream is what one checkpoint did to one stream. Entity and
// Scope alias the decoded buffer (decoding) or are copied (encoding).
type CheckpointStream struct {
	// Stream is the index's number of the stream (from 0, in order of
	// first appearance); a number at or above Info.BaseStreams is a
	// stream that first appears in this checkpoint.
	Stream  uint32
	Events  uint32 // in this checkpoint
	Version uint64 // the stream's version after it (from 1)
	WallMS  int64  // of its last event, in milliseconds since the Unix epoch
	// Hash is the hash of the stream's last event after this checkpoint:
	// what its next event's PrevHash will be.
	Hash messages.Hash
	// Entity is the stream's entity, as bytes (1..MaxCoordinateBytes).
	Entity []byte
	// Scope is the stream's scope, as bytes (1..MaxCoordinateBytes).
	Scope []byte
}

// AppendCheckpointHeader starts a checkpoint in b with its header; append
// exactly info.Streams streams, info.Runs runs, info.Corrs correlations
// and info.Events entries, in that order, then FinishCheckpoint.
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

// AppendCheckpointEntry appends one entry.
func AppendCheckpointEntry(b []byte, e *CheckpointEntry) []byte {
	b = append(b, e.ID[:]...)
	b = binary.LittleEndian.AppendUint32(b, e.Offset)
	b = binary.LittleEndian.AppendUint32(b, e.Size)
	b = binary.LittleEndian.AppendUint32(b, e.Stream)
	b = binary.LittleEndian.AppendUint16(b, uint16(e.Kind))
	return append(b, e.Flags, e.Back)
}

// FinishCheckpoint appends the checksum of the checkpoint that starts at
// b[start].
func FinishCheckpoint(b []byte, start int) []byte {
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start:], Castagnoli))
}

// DecodeEntry decodes the 32-byte entry at the start of b (unchecked: see
// EntryChecker).
func DecodeEntry(b []byte) CheckpointEntry {
	b = b[:CheckpointEntrySize]
	le := binary.LittleEndian
	return CheckpointEntry{ID: messages.ID(b[:16]), Offset: le.Uint32(b[16:]), Size: le.Uint32(b[20:]),
		Stream: le.Uint32(b[24:]), Kind: messages.EventKind(le.Uint16(b[28:])), Flags: b[30], Back: b[31]}
}
