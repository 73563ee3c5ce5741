package storage

import (
	"fmt"

	"github.com/batpak-go/batpak/messages"
)

// ScanReport is what a DirScanner has read so far.
type ScanReport struct {
	// Segments are the segment files read, in order, each as it was when
	// last read.
	Segments []SegmentReport
	// Events is the number of committed events read (after a
	// LogChangedError: of them, those the log still holds; First and Last
	// likewise).
	Events int
	// Entities is the number of distinct entities (coordinates) among
	// them; counted only with ScanOptions.Check or Summary (0 otherwise).
	Entities int
	// Bytes is the size of the segment files read, as last seen.
	Bytes int64
	// First and Last are the oldest and newest committed events read,
	// without their payloads (valid when Events > 0).
	First, Last messages.Event
	// DiscardedBatches and DiscardedEvents count the atomic batches that
	// were never committed (no COMMIT before the next BEGIN, event or
	// fresh segment) and their events: what Open discards too.
	DiscardedBatches, DiscardedEvents int
	// OpenBatch is the number of events of a batch still open at the end
	// of the log: in a live store a batch being committed (a later Scan
	// may see its COMMIT); in a closed one, events Open would discard.
	OpenBatch int
	// Checkpoints and CheckpointBytes count the index checkpoint files
	// (NNNNNNNNNN.idx) beside the segments read, and their size.
	Checkpoints     int
	CheckpointBytes int64
	// Faults are the checks that failed (ScanOptions.Check collects them
	// and goes on; without it the first one ends the scan).
	Faults []ScanFault
}

// SegmentReport is the state of one segment file.
type SegmentReport struct {
	ID    uint64 // the segment's id (the file NNNNNNNNNN.seg)
	Bytes int64  // the file's size when read
	// DataEnd is where its data (header and frames) ends: a footer, a torn
	// tail, or the end of the file follows.
	DataEnd int64
	Events  int // event frames in it (committed or not)
	// Sealed: a footer follows the data and its trailer names it.
	Sealed bool
	// Footer says what the footer is: "ok" (it checks and exactly covers
	// the data), "not written" (the trailer is there, the footer's bytes
	// are zeros: a rotation in progress, or a power cut while sealing;
	// Open scans the segment instead), "none" (not sealed: the segment
	// being written, or one whose footer would not fit a frame), or
	// "damaged: why".
	Footer string
	// FromFooter: read from its footer rather than frame by frame (see
	// ScanOptions.Summary and FromSeq).
	FromFooter bool
	// Torn is the number of bytes after the data that are neither data
	// nor a footer: a torn tail (Open cuts it) or, in a live store, the
	// zeros written ahead of the data and a group being written.
	Torn int64
	// TornZeros: those bytes are all zeros.
	TornZeros bool
	// TornReason says why the bytes after the data were judged torn.
	TornReason string
	// Headerless: the file holds no complete header (a segment being
	// created; Open removes such a last segment).
	Headerless bool
	// Checkpoint is the state of its index checkpoint: "" (none), "ok",
	// or "invalid: why" (checked only with ScanOptions.Check or Summary).
	Checkpoint string
}

// Parts of the store a ScanFault is about.
const (
	FaultSegment    = "segment"    // a segment's header, or a file that cannot be read
	FaultFrame      = "frame"      // a frame that fails its checksum or does not decode
	FaultChain      = "chain"      // an event's hash, version, sequence or previous hash
	FaultFooter     = "footer"     // a sealed segment's footer (Open scans the segment instead)
	FaultCheckpoint = "checkpoint" // an index checkpoint (Open ignores it and rebuilds it)
)

// ScanFault is one failed check: where, which entity, what. It matches
// ErrCorrupt, and errors.As finds a *CorruptionError in it.
type ScanFault struct {
	// Segment is the segment file the fault is in (for a checkpoint: the
	// segment it describes).
	Segment uint64
	// Offset is the byte offset in the segment (of the frame, or where the
	// damage starts).
	Offset int64
	// Entity is the event's coordinate when the fault is about one event
	// (zero otherwise).
	Entity messages.Coordinate
	// Part is what failed: FaultFrame, FaultChain, FaultFooter,
	// FaultCheckpoint or FaultSegment.
	Part string
	// Reason says which check failed.
	Reason string
}

// Error implements error.
func (f *ScanFault) Error() string {
	ent := ""
	if f.Entity.Entity != "" {
		ent = " (entity " + f.Entity.String() + ")"
	}
	return fmt.Sprintf("storage: corrupt %s: segment %d at offset %d%s: %s", f.Part, f.Segment, f.Offset, ent, f.Reason)
}

// Unwrap returns the fault as a *CorruptionError (which matches
// ErrCorrupt).
func (f *ScanFault) Unwrap() error {
	return &CorruptionError{Segment: f.Segment, Offset: f.Offset, Reason: f.Reason}
}
