package storage

import (
	"fmt"
	"path/filepath"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
)

// ReadOnlyReport tells an operator the recovery state of a data directory
// as a read-only engine sees it, without repairing anything: what Open
// would have to do (cut a torn tail, seal the last segment), or what a
// live writer is in the middle of.
type ReadOnlyReport struct {
	// Segments lists the segment files the engine reads, ascending.
	Segments []ReadOnlySegment
	// Visible is the end of the last complete commit: every visible event
	// lies before it, and Refresh resumes there.
	Visible Position
	// Uncommitted counts the bytes of complete frames after Visible: the
	// part of a batch whose COMMIT is not written (yet). Open discards
	// them on a closed store.
	Uncommitted int64
	// Tail counts the bytes after the last complete frame of the last
	// segment, when it is not sealed: on a closed store, a torn tail that
	// Open would cut; on a live one, data being written, or zeros written
	// ahead (Options.Preallocate). TailZeros says it is zeros throughout.
	Tail      int64
	TailZeros bool
	// CheckpointSegments counts the segments loaded from their index
	// checkpoint; CheckpointsIgnored says why others were not (as
	// RecoveryReport does).
	CheckpointSegments int
	CheckpointsIgnored []string
	// Lock says whether a writer holds the directory right now.
	Lock LockState
}

// ReadOnlySegment is one segment file as the read-only engine last read it.
type ReadOnlySegment struct {
	ID      uint64 // the segment's id (file NNNNNNNNNN.seg)
	Size    int64  // the file's size
	DataEnd int64  // the offset after its last complete frame
	// Sealed is true when a footer follows its data (one that Open trusts,
	// or one damaged where the trailer points, which Open scans past): the
	// writer has moved on from it.
	Sealed bool
	// Checkpoint is true when it was loaded from its index checkpoint.
	Checkpoint bool
}

// LockState is whether a writer holds a data directory's lock.
type LockState uint8

const (
	// LockUnknown: the file system cannot tell (see fs.LockProber), or
	// asking failed.
	LockUnknown LockState = iota
	// LockFree: no engine holds the directory.
	LockFree
	// LockHeld: an engine (a writer, in this process or another) holds it.
	LockHeld
)

// String names the state: "unknown", "free" or "held".
func (s LockState) String() string {
	switch s {
	case LockFree:
		return "free"
	case LockHeld:
		return "held"
	}
	return "unknown"
}

// ReadOnlyReport returns the recovery state of the directory of an engine
// made by OpenReadOnly, as of its open or last Refresh, and whether a
// writer holds the directory now: a lock probe that never blocks and never
// takes the lock from a writer (see fs.LockProber for the few microseconds
// in which a writer starting at that very moment could find the lock
// busy). It fails with messages.ErrInvalidArgument on an engine from Open
// and ErrClosed after Close.
func (e *Engine) ReadOnlyReport() (ReadOnlyReport, error) {
	ro := e.ro
	if ro == nil {
		return ReadOnlyReport{}, fmt.Errorf("storage: ReadOnlyReport: %w: the engine was not opened read-only", messages.ErrInvalidArgument)
	}
	ro.mu.Lock()
	defer ro.mu.Unlock()
	if ro.closed {
		return ReadOnlyReport{}, ErrClosed
	}
	r := ReadOnlyReport{
		Visible:            ro.visible(),
		CheckpointSegments: e.recovery.CheckpointSegments,
		CheckpointsIgnored: e.recovery.CheckpointsIgnored,
	}
	for _, s := range ro.segs {
		r.Segments = append(r.Segments, ReadOnlySegment{ID: s.id, Size: s.size, DataEnd: s.end, Sealed: s.sealed, Checkpoint: s.checkpoint})
		switch {
		case s.id == r.Visible.Segment:
			r.Uncommitted += max(0, s.end-r.Visible.Offset)
		case s.id > r.Visible.Segment:
			r.Uncommitted += max(0, s.end-format.HeaderSize)
		}
	}
	if s := ro.last(); s != nil && !s.sealed && s.size > s.end {
		r.Tail = s.size - s.end
		r.TailZeros = e.zeroTail(s.id, s.end, s.size)
	}
	switch held, known, err := fs.LockHeld(e.fs, filepath.Join(e.dir, lockName)); {
	case err != nil || !known:
		r.Lock = LockUnknown
	case held:
		r.Lock = LockHeld
	default:
		r.Lock = LockFree
	}
	return r, nil
}

// zeroTail reports whether segment id holds zeros from off to size.
func (e *Engine) zeroTail(id uint64, off, size int64) bool {
	e.idx.mu.RLock()
	sf := e.idx.segments[id]
	if sf != nil {
		sf.acquire()
	}
	e.idx.mu.RUnlock()
	if sf == nil {
		return false
	}
	defer sf.release()
	zero, err := zerosFrom(eofZeros{sf.File}, off, size)
	return err == nil && zero
}
