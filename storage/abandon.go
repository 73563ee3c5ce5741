package storage

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/batpak-go/batpak/messages"
)

// Position is a place in the log: a segment and an offset in it.
type Position struct {
	Segment uint64
	Offset  int64
}

// Published returns the end of the last published group: everything the
// engine has made visible (and, in the default sync mode, acknowledged)
// lies before it. Written groups not yet published lie after it.
func (e *Engine) Published() Position { return e.published }

// Abandon gives the engine up as a crashed writer would: what is staged or
// written but not published is dropped from memory, nothing more is written
// (no footer, no fsync), the files are closed and the directory lock is
// released. No Pending.Sync may be running. To also cut from the files
// what was written but never published, open the directory again with
// Options.CutAfter = Published() taken before Abandon.
func (e *Engine) Abandon() error {
	if e.closed {
		return ErrClosed
	}
	e.stage.reset(e.active.id, e.active.size, true)
	e.pending = nil
	e.closed = true
	e.idx.mu.Lock()
	e.idx.closed = true
	e.idx.mu.Unlock()
	err := e.closeFiles()
	if lerr := e.lock.Close(); lerr != nil && err == nil {
		err = fmt.Errorf("storage: release lock: %w: %w", messages.ErrIO, lerr)
	}
	return err
}

// cutAfter drops everything after p from the log before recovery: the
// segment p names is truncated to p.Offset, later segments are removed.
// Those bytes were written by a writer that crashed before it published
// (acknowledged) them.
func (e *Engine) cutAfter(p Position) error {
	ids, _, err := listSegments(e.fs, e.dir)
	if err != nil {
		return fmt.Errorf("storage: cut: list %s: %w: %w", e.dir, messages.ErrIO, err)
	}
	changed := false
	for _, id := range ids {
		path := filepath.Join(e.dir, segmentName(id))
		switch {
		case id == p.Segment:
			if err := e.truncateTo(path, p.Offset); err != nil {
				return err
			}
		case id > p.Segment:
			if err := e.fs.Remove(path); err != nil {
				return fmt.Errorf("storage: cut: remove segment %d: %w: %w", id, messages.ErrIO, err)
			}
			e.recovery.CutUnacknowledged = append(e.recovery.CutUnacknowledged, fmt.Sprintf("segment %d removed", id))
			changed = true
		}
	}
	if changed {
		if err := e.fs.SyncDir(e.dir); err != nil {
			return fmt.Errorf("storage: cut: sync directory: %w: %w", messages.ErrSyncFailed, err)
		}
	}
	return nil
}

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
