package storage

import (
	"errors"
	"fmt"
	"sync"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
)

// Every read goes through walk: it copies a batch of refs out of the index
// under the read lock (with a reference on each segment file they name),
// then reads their frames without the lock, a run of neighbouring frames
// with one copy out of a segment's map or one ReadAt, into a reused buffer,
// and checks each frame's checksum and that it holds the event the index
// says. A damaged frame is a *CorruptionError, never data.
const (
	// readBatch is the most refs copied under one hold of the read lock.
	readBatch = 512
	// readRunBytes bounds the span of one read of neighbouring frames.
	readRunBytes = 1 << 20
	// readRunGap is how many bytes of other frames (markers, filtered-out
	// events) a run reads over to take in the next frame: a system call
	// costs about as much as copying this much.
	readRunGap = 16 << 10
	// readKeepBytes is the largest buffer kept for the next read.
	readKeepBytes = 2 * readRunBytes
)

// refSource produces the refs of a read, a batch at a time.
type refSource interface {
	// next appends the next refs to dst (up to its capacity) and reports
	// whether more may follow. The caller holds x.mu.RLock and x is open.
	next(x *index, dst []ref) ([]ref, bool)
	// size is how many refs the source yields in all, as far as it can
	// tell after its first next (a hint for collect; 0 if unknown).
	size() int
}

// errStop ends a walk whose visitor wants no more.
var errStop = errors.New("storage: read stopped")

// walk reads the frames of src's refs in order and calls visit with each
// ref and its checked frame body, which is valid until visit returns. It
// returns visit's first error (errStop included), ErrClosed once the
// engine is closed, or the first read or check failure.
func (e *Engine) walk(src refSource, visit func(en *ref, body []byte) error) error {
	r := readers.Get().(*frameReader)
	defer r.free()
	for more := true; more; {
		var err error
		if more, err = r.fill(e.idx, src); err != nil {
			return err
		}
		if err := r.readBatch(visit); err != nil {
			return err
		}
		r.releaseFiles()
	}
	return nil
}

// frameReader is the state of one walk, pooled between walks.
type frameReader struct {
	refs  []ref
	used  int       // the most refs a batch of this walk held
	files []segFile // the segments the current batch names, each acquired
	buf   []byte
}

type segFile struct {
	id uint32
	f  *sharedFile // nil: the segment is not open
}

var readers = sync.Pool{New: func() any { return &frameReader{refs: make([]ref, 0, readBatch)} }}

func (r *frameReader) free() {
	r.releaseFiles()
	clear(r.refs[:r.used]) // drop the coordinates' strings
	r.refs, r.used = r.refs[:0], 0
	if cap(r.buf) > readKeepBytes {
		r.buf = nil
	}
	readers.Put(r)
}

// fill copies the next batch of refs under the read lock and acquires the
// segment files they name.
func (r *frameReader) fill(x *index, src refSource) (bool, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return false, ErrClosed
	}
	var more bool
	r.refs, more = src.next(x, r.refs[:0])
	r.used = max(r.used, len(r.refs))
	for i := range r.refs {
		id := r.refs[i].segment
		if r.file(id) != nil {
			continue
		}
		f := x.segments[uint64(id)]
		if f != nil {
			f.acquire()
		}
		r.files = append(r.files, segFile{id: id, f: f})
	}
	return more, nil
}

func (r *frameReader) releaseFiles() {
	for _, sf := range r.files {
		if sf.f != nil {
			sf.f.release()
		}
	}
	r.files = r.files[:0]
}

// file returns the entry of segment id in r.files, or nil.
func (r *frameReader) file(id uint32) *segFile {
	for i := range r.files {
		if r.files[i].id == id {
			return &r.files[i]
		}
	}
	return nil
}

// readBatch reads the frames of r.refs, a run at a time.
func (r *frameReader) readBatch(visit func(en *ref, body []byte) error) error {
	for refs := r.refs; len(refs) > 0; {
		n, start, end := runOf(refs)
		span, err := r.load(&refs[0], start, end)
		if err != nil {
			return err
		}
		for i := range refs[:n] {
			body, err := frameBody(span, start, &refs[i])
			if err != nil {
				return err
			}
			if err := visit(&refs[i], body); err != nil {
				return err
			}
		}
		refs = refs[n:]
	}
	return nil
}

// runOf returns how many refs from refs[0] on one read takes in, and the
// span [start, end) of their segment it reads: frames of one segment,
// in either order, each within readRunGap of the span so far, the whole
// span at most readRunBytes (or one frame).
func runOf(refs []ref) (n int, start, end int64) {
	seg := refs[0].segment
	start, end = refEnds(&refs[0])
	for n = 1; n < len(refs) && refs[n].segment == seg; n++ {
		s, t := refEnds(&refs[n])
		if s > end+readRunGap || t < start-readRunGap || max(end, t)-min(start, s) > readRunBytes {
			break
		}
		start, end = min(start, s), max(end, t)
	}
	return n, start, end
}

func refEnds(en *ref) (int64, int64) { return int64(en.offset), int64(en.offset) + int64(en.size) }

// load reads [start, end) of the segment of en into r.buf: from its map if
// it is mapped, else with ReadAt.
func (r *frameReader) load(en *ref, start, end int64) ([]byte, error) {
	sf := r.file(en.segment)
	if sf == nil || sf.f == nil {
		return nil, en.corrupt("segment is not open")
	}
	n := int(end - start)
	if cap(r.buf) < n {
		r.buf = make([]byte, max(n, min(2*cap(r.buf), readRunBytes)))
	}
	b := r.buf[:n]
	if m := sf.f.mapped(); m != nil && end <= int64(len(m)) {
		if err := copyMapped(b, m, start); err != nil {
			return nil, fmt.Errorf("storage: read segment %d at %d from its memory map (the file shrank under it?): %w",
				en.segment, start, err)
		}
		return b, nil
	}
	if k, err := sf.f.ReadAt(b, start); k < n {
		return nil, fmt.Errorf("storage: read segment %d at %d: %w: %w", en.segment, start, messages.ErrIO, err)
	}
	return b, nil
}

// frameBody checks the frame of en in span (read from start) and returns
// its body.
func frameBody(span []byte, start int64, en *ref) ([]byte, error) {
	b := span[int64(en.offset)-start:][:en.size]
	body, n, err := format.DecodeFrame(b)
	if err != nil {
		return nil, en.corrupt("frame: " + err.Error())
	}
	if n != len(b) {
		return nil, en.corrupt(fmt.Sprintf("frame of %d bytes where the index says %d", n, len(b)))
	}
	return body, nil
}

func (en *ref) corrupt(reason string) error {
	return &CorruptionError{Segment: uint64(en.segment), Offset: int64(en.offset), Reason: reason}
}

// decodeRef decodes the event body of en into ev, checking that it holds
// the event the index says. ev's coordinate is the index's (its strings
// are safe to keep); its payload is a sub-slice of body.
func decodeRef(en *ref, body []byte, ev *messages.Event) error {
	var v format.EventView
	if err := format.DecodeEventView(body, ev, &v); err != nil {
		return en.corrupt(err.Error())
	}
	if ev.ID != en.id || ev.Sequence != en.seq || ev.Kind != en.kind || ev.CorrelationID != en.corr ||
		string(v.Entity) != en.coord.Entity || string(v.Scope) != en.coord.Scope {
		return en.corrupt("frame holds another event than the index says")
	}
	ev.Coordinate, ev.Payload = en.coord, v.Payload
	ev.Segment, ev.Offset = uint64(en.segment), int64(en.offset)
	return nil
}
