package storage

import "github.com/batpak-go/batpak/messages"

// record describes one frame of a segment without its payload. Recovery
// reads records either from a sealed segment's footer or by scanning its
// frames, and feeds both to the same replay logic.
type record struct {
	typ    int   // bodyEvent, bodyBegin, bodyCommit or bodySynced
	offset int64 // of the frame in its segment
	size   int   // of the whole frame
	ev     messages.Event
	m      marker
	synced int64 // of a sync mark
	// chained is true when ev.PrevHash was read (scans); footers omit it.
	chained bool
}
