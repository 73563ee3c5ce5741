package storage

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
)

// ErrNotReopenable is returned by Reopen for an engine whose index cannot
// be taken over: one that was not abandoned, was released, or was already
// reopened. Open the directory instead.
var ErrNotReopenable = errors.New("storage: the engine cannot be reopened")

// Reopen is Open for a writer that crashed: it opens the data directory of
// the abandoned engine e again and takes over e's index (every published
// event) instead of rebuilding it from the files. On the files it does what
// Open with Options.CutAfter = e.Published() and recovery would do to the
// segment e wrote last: what was written after the published position is
// cut (later segments removed, the segment truncated), the segment is read
// once frame by frame (every frame's checksum checked) to build its footer,
// sealed with it (footer, fsync, checkpoint), and a fresh segment is
// started. The segments before it are not read at all.
//
// The returned engine owns the index from then on: e's reads go on (they
// see the same events, and what the new engine publishes) until the new
// engine closes, and e.Release does nothing. If Reopen fails, e is left as
// it was (still abandoned, still owning its index) and the caller can
// Open the directory, which recovers from the files.
func (e *Engine) Reopen() (*Engine, error) {
	if e.ro != nil {
		return nil, ErrReadOnly
	}
	if !e.closed || e.handedOver || e.active == nil {
		return nil, ErrNotReopenable
	}
	e.idx.mu.RLock()
	released := e.idx.closed
	e.idx.mu.RUnlock()
	if released {
		return nil, ErrNotReopenable
	}
	lock, err := e.fs.Lock(filepath.Join(e.dir, "LOCK"))
	if err != nil {
		if errors.Is(err, fs.ErrLocked) {
			return nil, fmt.Errorf("%w: %s: %w", ErrLocked, e.dir, err)
		}
		return nil, fmt.Errorf("storage: lock %s: %w: %w", e.dir, messages.ErrIO, err)
	}
	opts := e.opts
	opts.CutAfter = nil
	n := &Engine{dir: e.dir, opts: opts, fs: e.fs, lock: lock, idx: e.idx, hasher: format.NewHasher(), ids: newIDSource()}
	n.recovery.ReusedIndex = true
	if err := n.reopen(e.published); err != nil {
		lock.Close()
		return nil, err
	}
	e.handedOver = true
	return n, nil
}

// reopen cuts the log after p, seals p's segment and starts a new one.
func (n *Engine) reopen(p Position) error {
	last, err := n.cutForReopen(p)
	if err != nil {
		return err
	}
	if err := n.resealAt(p); err != nil {
		return err
	}
	n.idx.endSpans(uint32(p.Segment))
	n.writeCheckpoints()
	n.recovery.Events = n.idx.count()
	return n.startSegment(last + 1)
}

// cutForReopen drops what was written after p from the files and from the
// index's open files, and returns the highest segment id ever used.
func (n *Engine) cutForReopen(p Position) (uint64, error) {
	n.idx.mu.Lock()
	for id, f := range n.idx.segments {
		if id > p.Segment {
			f.Close()
			delete(n.idx.segments, id)
		}
	}
	n.idx.mu.Unlock()
	if err := n.cutAfter(p); err != nil {
		return 0, err
	}
	_, last, err := listSegments(n.fs, n.dir)
	if err != nil {
		return 0, fmt.Errorf("storage: list %s: %w: %w", n.dir, messages.ErrIO, err)
	}
	return max(last, p.Segment), nil
}

// resealAt seals segment p.Segment, which now ends at p.Offset: its frames
// are read once (checked) to rebuild its footer records, then the footer
// is written and synced (sealRecovered). The frames must tile the segment
// exactly up to p.Offset, or the files are not what the index says and
// Reopen fails (Open then judges them).
func (n *Engine) resealAt(p Position) error {
	f := n.idx.segments[p.Segment]
	if f == nil {
		return fmt.Errorf("%w: segment %d is not open", ErrNotReopenable, p.Segment)
	}
	size, err := f.Size()
	if err != nil {
		return fmt.Errorf("storage: size of segment %d: %w: %w", p.Segment, messages.ErrIO, err)
	}
	n.footer.Reset()
	res, err := scanSegment(f, p.Segment, size, 0, func(r *format.Record) error {
		n.footer.Add(r)
		return nil
	})
	if err != nil {
		return err
	}
	if res.end != p.Offset || res.torn != 0 {
		return fmt.Errorf("%w: segment %d ends at %d after the cut, its frames at %d", ErrNotReopenable, p.Segment, p.Offset, res.end)
	}
	if err := n.syncScanned(p.Segment, f); err != nil {
		return err
	}
	if !res.sealed {
		return n.sealRecovered(p.Segment, res.end)
	}
	return nil
}
