package storage

import "fmt"

// Preallocation (Options.Preallocate) a chunk at a time: a segment that was
// not prepared ahead (ahead.go), such as the first of a session, is
// extended with zeros ahead of the data, a chunk at a time, in the same
// write as the data that needs the room. An fdatasync of a file whose size
// does not change has no metadata to commit (on ext4, no journal commit),
// so most commits sync faster. The zeros are harmless to recovery: a run of
// zeros after the last frame is the end of the data (cut on the next open,
// like any tail); a segment is cut to its footer's end when it is sealed.

// zeros is a reusable block of zero bytes.
var zeros = make([]byte, 64<<10)

// reserve makes sure the active segment is allocated up to end, writing
// zeros from the allocated end on, up to the next chunk boundary.
func (e *Engine) reserve(s *segment, end int64) error {
	chunk := min(e.opts.Preallocate, e.opts.SegmentSize)
	if chunk <= 0 || end <= s.allocated {
		return nil
	}
	target := (end + chunk - 1) / chunk * chunk
	for off := max(s.allocated, s.size); off < target; {
		n := min(int64(len(zeros)), target-off)
		if _, err := s.f.WriteAt(zeros[:n], off); err != nil {
			return ioError(fmt.Sprintf("preallocate segment %d at %d", s.id, off), err, false)
		}
		off += n
	}
	s.allocated = target
	return nil
}

// trim cuts the preallocated zeros off a segment about to be sealed.
func (e *Engine) trim(s *segment) error {
	if s.allocated <= s.size {
		return nil
	}
	if err := s.f.Truncate(s.size); err != nil {
		return ioError(fmt.Sprintf("trim segment %d", s.id), err, false)
	}
	s.allocated = s.size
	return nil
}
