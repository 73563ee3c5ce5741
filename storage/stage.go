package storage

import (
	"github.com/batpak-go/batpak/messages"
)

// staging holds what Append and AppendBatch produced since the last
// Commit: encoded frames in write order, where each lands, and an overlay
// of stream tails and ids so that later appends of the same group chain
// to, and deduplicate against, earlier ones. Nothing here is visible to
// readers or on disk.
type staging struct {
	buf    []byte
	frames []stagedFrame
	events []messages.Event // staged events (no payload), by staged index
	sizes  []int            // frame size of each staged event
	tails  map[messages.Coordinate]tail
	ids    map[messages.ID]int // keyed event id -> staged index
	seg    uint64              // segment the next frame lands in
	size   int64               // its size after the frames staged so far
}

// stagedFrame locates one staged frame.
type stagedFrame struct {
	typ     int
	seg     uint64
	offset  int64 // in seg
	bufOff  int   // in staging.buf
	size    int
	event   int // staged index for events
	m       marker
	rotated bool // seg is a new segment that starts with this frame
}

func (s *staging) empty() bool { return len(s.frames) == 0 }

func (s *staging) reset(seg uint64, size int64) {
	s.buf = s.buf[:0]
	s.frames = s.frames[:0]
	clear(s.events) // drop string references
	s.events = s.events[:0]
	s.sizes = s.sizes[:0]
	clear(s.tails)
	clear(s.ids)
	s.seg, s.size = seg, size
}

// place decides where the frame just appended to buf at bufOff lands,
// rotating to a new segment when it would push the current one past limit.
func (s *staging) place(typ, bufOff int, limit int64) *stagedFrame {
	size := len(s.buf) - bufOff
	rotated := false
	if s.size > headerSize && s.size+int64(size) > limit {
		s.seg++
		s.size = headerSize
		rotated = true
	}
	s.frames = append(s.frames, stagedFrame{
		typ: typ, seg: s.seg, offset: s.size, bufOff: bufOff, size: size, event: -1, rotated: rotated,
	})
	s.size += int64(size)
	return &s.frames[len(s.frames)-1]
}
