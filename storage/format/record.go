package format

import "github.com/batpak-go/batpak/messages"

// Record describes one frame of a segment without its payload. Recovery
// reads records either from a sealed segment's footer or by scanning its
// frames, and feeds both to the same replay logic.
type Record struct {
	Type   int   // bodyEvent, bodyBegin, bodyCommit or bodySynced
	Offset int64 // of the frame in its segment
	Size   int   // of the whole frame
	Event  messages.Event
	Marker Marker
	Synced int64 // of a sync mark
	// Chained is true when ev.PrevHash was read (scans); footers omit it.
	Chained bool
	// Pair is 1 + the index of the event's (entity, scope) pair in
	// FooterReader.Pairs for a record read from a footer, 0 otherwise: it
	// lets recovery resolve each pair to a stream once per footer.
	Pair int32
}
