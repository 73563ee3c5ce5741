package format

import "github.com/batpak-go/batpak/messages"

// Record describes one frame of a segment without its payload. Recovery
// reads records either from a sealed segment's footer or by scanning its
// frames, and feeds both to the same replay logic.
type Record struct {
	Type   int   // TypeEvent, TypeBegin, TypeCommit or TypeSynced
	Offset int64 // of the frame in its segment, in bytes (at least HeaderSize)
	Size   int   // of the whole frame (header and body), in bytes
	// Event is the decoded event of a TypeEvent record (zero otherwise),
	// without its payload; from a footer also without CausationID,
	// PrevHash and TimestampUS, which footers do not hold. Its Segment and
	// Offset are not set.
	Event messages.Event
	// Marker is the decoded marker of a TypeBegin or TypeCommit record
	// (zero otherwise).
	Marker Marker
	Synced int64 // of a sync mark: the segment's durable length, in bytes
	// Chained is true when Event.PrevHash was read (scans); footers omit it.
	Chained bool
	// Pair is 1 + the index of the event's (entity, scope) pair in
	// FooterReader.Pairs for a record read from a footer, 0 otherwise: it
	// lets recovery resolve each pair to a stream once per footer.
	Pair int32
}
