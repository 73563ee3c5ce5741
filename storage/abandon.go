package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
)

// Position is a place in the log: a segment and an offset in it. The zero
// Position comes before every event (segment ids start at 1).
type Position struct {
	// Segment is the segment's id (from 1; segment 7 is the file
	// 0000000007.seg).
	Segment uint64
	// Offset is a byte offset from the start of that segment file: 32 (the
	// header's size) is the start of its first frame.
	Offset int64
}

// Published returns the end of the last published group: everything the
// engine has made visible (and, in the default sync mode, acknowledged)
// lies before it. Written groups not yet published lie after it. On an
// engine from OpenReadOnly it is the end of the last visible commit (as of
// the open or the last Refresh).
func (e *Engine) Published() Position {
	if e.ro != nil { // Refresh moves it, maybe on another goroutine
		e.ro.mu.Lock()
		defer e.ro.mu.Unlock()
	}
	return e.published
}

// Abandon gives the engine up as a crashed writer would: what is staged or
// written but not published is dropped from memory, nothing more is written
// (no footer, no fsync) and the directory lock is released, so that another
// engine can open the directory. Reads of published events go on working
// (they read frames that nothing will change) until Release. No
// Pending.Sync may be running. To also cut from the files what was written
// but never published, call CutUnpublished first, or open the directory
// again with Options.CutAfter = Published() taken before Abandon.
func (e *Engine) Abandon() error {
	if e.ro != nil {
		return ErrReadOnly
	}
	if e.closed {
		return ErrClosed
	}
	e.stage.reset(e.active.id, e.active.size, true)
	e.pending = nil
	e.closed = true
	if err := e.lock.Close(); err != nil {
		return fmt.Errorf("storage: release lock: %w: %w", messages.ErrIO, err)
	}
	return nil
}

// Release ends the reads of an abandoned engine: later reads fail with
// ErrClosed and the files close once the reads in progress are done. It
// does nothing on an engine closed by Close, or on one whose index a
// Reopen took over (its reads end when the new engine closes). On an
// engine from OpenReadOnly it is Close.
func (e *Engine) Release() error {
	if e.ro != nil { // a read-only engine: as Close
		if err := e.closeReadOnly(); !errors.Is(err, ErrClosed) {
			return err
		}
		return nil
	}
	if e.handedOver {
		return nil
	}
	e.idx.mu.Lock()
	done := e.idx.closed
	e.idx.closed = true
	e.idx.mu.Unlock()
	if done {
		return nil
	}
	return e.closeFiles()
}

// cutAfter drops everything after p from the log before recovery: later
// segments are removed (highest first, then the directory is synced), then
// the segment p names is truncated to p.Offset and synced. In that order a
// crash half-way leaves a log whose every segment is a prefix of what it
// was, never later events whose predecessors are gone. Those bytes were
// written by a writer that crashed before it published (acknowledged) them.
func (e *Engine) cutAfter(p Position) error {
	ids, _, err := listSegments(e.fs, e.dir)
	if err != nil {
		return fmt.Errorf("storage: cut: list %s: %w: %w", e.dir, messages.ErrIO, err)
	}
	removed, err := e.removeSegmentsAfter(ids, p.Segment)
	if err != nil {
		return err
	}
	for _, id := range removed {
		e.recovery.CutUnacknowledged = append(e.recovery.CutUnacknowledged, fmt.Sprintf("segment %d removed", id))
	}
	if slices.Contains(ids, p.Segment) {
		return e.truncateTo(filepath.Join(e.dir, format.SegmentName(p.Segment)), p.Offset)
	}
	return nil
}

// removeSegmentsAfter removes the segments of ids later than seg, highest
// first, and syncs the directory; it returns the ids removed.
func (e *Engine) removeSegmentsAfter(ids []uint64, seg uint64) ([]uint64, error) {
	var removed []uint64
	for i := len(ids) - 1; i >= 0 && ids[i] > seg; i-- {
		if err := e.fs.Remove(filepath.Join(e.dir, format.SegmentName(ids[i]))); err != nil {
			return removed, fmt.Errorf("storage: cut: remove segment %d: %w: %w", ids[i], messages.ErrIO, err)
		}
		removed = append(removed, ids[i])
	}
	if len(removed) > 0 {
		if err := e.fs.SyncDir(e.dir); err != nil {
			return removed, fmt.Errorf("storage: cut: sync directory: %w: %w", messages.ErrSyncFailed, err)
		}
	}
	return removed, nil
}

// CutUnpublished removes from the files everything written after the last
// published group (groups written but not yet published, and the segments
// their rotations created), durably, the way Options.CutAfter would on the
// next Open. The writer calls it when it crashes, before it tells the
// callers of those groups that nothing of theirs was written. No
// Pending.Sync may be running. The engine takes no more writes afterwards
// (call Abandon); reads of published events go on working.
func (e *Engine) CutUnpublished() error {
	if e.ro != nil {
		return ErrReadOnly
	}
	if e.closed {
		return ErrClosed
	}
	p := e.published
	e.failed = errors.Join(e.failed, errCut)
	e.idx.mu.Lock()
	var later []uint64
	for id, f := range e.idx.segments {
		if id > p.Segment {
			later = append(later, id)
			f.Close()
			delete(e.idx.segments, id)
		}
	}
	base := e.idx.segments[p.Segment]
	e.idx.mu.Unlock()
	slices.Sort(later)
	if _, err := e.removeSegmentsAfter(later, p.Segment); err != nil {
		return err
	}
	if base == nil {
		return nil
	}
	if err := base.Truncate(p.Offset); err != nil {
		return fmt.Errorf("storage: cut segment %d at %d: %w: %w", p.Segment, p.Offset, messages.ErrIO, err)
	}
	if err := base.Sync(); err != nil {
		return fmt.Errorf("storage: sync segment %d after the cut: %w: %w", p.Segment, messages.ErrSyncFailed, err)
	}
	return nil
}

// errCut makes an engine whose unpublished groups were cut refuse writes.
var errCut = errors.New("storage: the unpublished groups were cut; reopen to write")

func (e *Engine) truncateTo(path string, off int64) error {
	size, err := e.cutFile(path, off, "cut")
	if err != nil || size <= off {
		return err
	}
	e.recovery.CutUnacknowledged = append(e.recovery.CutUnacknowledged,
		fmt.Sprintf("%s: %d bytes from offset %d cut", filepath.Base(path), size-off, off))
	return nil
}

// cutFile truncates the file at path to off, if it is longer, and makes
// that durable. It returns the file's size before. op names the caller in
// errors.
func (e *Engine) cutFile(path string, off int64, op string) (int64, error) {
	f, err := e.fs.OpenFile(path, os.O_RDWR, 0o600)
	if err != nil {
		return 0, fmt.Errorf("storage: %s: open %s: %w: %w", op, path, messages.ErrIO, err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return 0, fmt.Errorf("storage: %s: size of %s: %w: %w", op, path, messages.ErrIO, err)
	}
	if size <= off {
		return size, nil
	}
	if err := f.Truncate(off); err != nil {
		return 0, fmt.Errorf("storage: %s: truncate %s: %w: %w", op, path, messages.ErrIO, err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("storage: %s: sync %s: %w: %w", op, path, messages.ErrSyncFailed, err)
	}
	return size, nil
}
