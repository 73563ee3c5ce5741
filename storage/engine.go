package storage

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
)

// Engine is the storage engine of one data directory. Append, AppendBatch,
// Commit, Rollback, Sync and Close must be called from one goroutine at a
// time (the writer); the reads (Read, ReadStream, Get, Stream, Query,
// ByCorrelation, Ancestors, Verify, Stats) are safe from any goroutine at
// any time and see only committed events.
type Engine struct {
	dir  string
	opts Options
	fs   fs.FS
	lock io.Closer
	idx  *index

	active    *segment
	footer    format.FooterBuilder
	stage     staging
	over      overlay
	pending   []*Pending // written, not yet published, oldest first
	published Position   // end of the last published group
	synced    Position   // how far the active segment is known durable
	marked    int64      // the offset the last staged sync mark records
	hasher    *format.Hasher
	ids       idSource
	nextSeq   uint64 // of the next staged event

	failed   error // sticky: set when a commit's I/O failed
	closed   bool
	unsynced int       // SyncPeriodic: events written since the last fsync
	lastSync time.Time // SyncPeriodic
	recovery RecoveryReport
	commits  uint64
	fsyncs   uint64
	sealBuf  []byte

	fr      format.FooterReader // recovery: reads footers, reusing its buffers
	scanned struct {            // recovery: the segment scanned last
		id  uint64
		end int64
	}
	ckptBuf     []byte   // the checkpoint being written
	ckptCounts  []uint32 // scratch: events per stream in a checkpoint
	ckptWritten int      // checkpoints written since Open
	ckptErrors  int      // checkpoints that failed to write since Open

	// Work done ahead of need: the next segment's file (ahead.go) and the
	// segments sealed in two phases whose footer is not yet synced (seal.go).
	next           prepared
	sealedUnsynced []*segment

	handedOver bool // Reopen gave the index to a new engine: Release leaves it alone

	ro *roState // set for an engine made by OpenReadOnly (readonly.go)

	gate gateScratch // reused by the policy gates (gate_engine.go)
}

// Open opens (creating if needed) the data directory dir, locks it, recovers
// the index from its segments and starts a fresh segment. A second Open of
// a locked directory fails with ErrLocked; damaged data fails with a
// *CorruptionError (see Options.Repair).
func Open(dir string, opts Options) (*Engine, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	o := opts.withDefaults()
	if err := createDir(o.FS, dir, o.SyncMode != SyncNone); err != nil {
		return nil, err
	}
	lock, err := o.FS.Lock(filepath.Join(dir, "LOCK"))
	if err != nil {
		if errors.Is(err, fs.ErrLocked) {
			return nil, fmt.Errorf("%w: %s: %w", ErrLocked, dir, err)
		}
		return nil, fmt.Errorf("storage: lock %s: %w: %w", dir, messages.ErrIO, err)
	}
	e := &Engine{dir: dir, opts: o, fs: o.FS, lock: lock, idx: newIndex(), hasher: format.NewHasher(), ids: newIDSource()}
	if err := e.open(); err != nil {
		e.closeFiles()
		lock.Close()
		return nil, err
	}
	return e, nil
}

func (e *Engine) open() error {
	if p := e.opts.CutAfter; p != nil {
		if err := e.cutAfter(*p); err != nil {
			return err
		}
	}
	last, err := e.recover()
	if err != nil {
		return err
	}
	e.idx.causes.known = uint32(e.idx.count()) // the loaded events' causation is read on demand
	e.removeStaleCheckpoints()
	e.writeCheckpoints() // of the segments recovery replayed
	return e.startSegment(last + 1)
}

// startSegment creates segment id, empty, as the first active segment of
// the session: the end of Open (and of Reopen).
func (e *Engine) startSegment(id uint64) error {
	if id > format.MaxSegmentID {
		return fmt.Errorf("storage: segment %d: %w: past the highest segment id, %d", id, messages.ErrIO, uint64(format.MaxSegmentID))
	}
	e.nextSeq = e.idx.nextSeq()
	h := format.SegmentHeader{ID: id, CreatedNS: e.opts.Clock().UnixNano()}
	s, err := createSegment(e.fs, e.dir, h, e.opts.SyncMode != SyncNone)
	if err != nil {
		return fmt.Errorf("storage: %w: %w", messages.ErrIO, err)
	}
	e.countSegmentSyncs()
	e.setActive(s)
	e.published = Position{Segment: s.id, Offset: s.size}
	e.lastSync = e.opts.Clock()
	return nil
}

func (e *Engine) setActive(s *segment) {
	e.activate(s)
	e.stage.reset(s.id, s.size, true)
}

// activate makes the new segment s (durable up to its header) the one
// written to, and opens it to readers (the segments before it, sealed, are
// read through memory maps: see mapSealed).
func (e *Engine) activate(s *segment) {
	e.active = s
	e.synced, e.marked = Position{Segment: s.id, Offset: s.size}, s.size
	e.footer.Reset()
	e.idx.mu.Lock()
	e.idx.segments[s.id] = share(s.f)
	e.idx.mu.Unlock()
	e.mapSealed(s.id)
}

// writable reports why the engine cannot take writes, if it cannot.
func (e *Engine) writable() error {
	switch {
	case e.ro != nil:
		return ErrReadOnly
	case e.closed:
		return ErrClosed
	case e.failed != nil:
		return failedError(e.failed)
	}
	return nil
}

// Close publishes written groups (syncing them; no Pending.Sync may still
// be running), commits anything staged, seals the active segment (footer, fsync),
// closes every file and releases the directory lock. A segment that holds
// no frames is removed instead. It returns the first error met (on an
// engine whose commit failed, that failure); the lock is released in any
// case. Reads after Close fail with ErrClosed. A read-only engine
// (OpenReadOnly) only closes its files.
func (e *Engine) Close() error {
	if e.ro != nil {
		return e.closeReadOnly()
	}
	if e.closed {
		return ErrClosed
	}
	var first error
	for len(e.pending) > 0 && e.failed == nil { // written groups: finish them
		if err := e.Publish(e.pending[0]); err != nil {
			first = err
		}
	}
	if e.failed != nil {
		if first == nil {
			first = failedError(e.failed) // the active segment's state is unknown: no footer
		}
	} else {
		if err := e.Commit(); err != nil {
			first = err
		} else if err := e.sealActive(true); err != nil {
			first = err
		} else {
			e.idx.endSpans(uint32(e.active.id))
			e.writeCheckpoints()
		}
	}
	e.closed = true
	e.idx.mu.Lock()
	e.idx.closed = true
	e.idx.mu.Unlock()
	if err := e.closeFiles(); err != nil && first == nil {
		first = err
	}
	if err := e.lock.Close(); err != nil && first == nil {
		first = fmt.Errorf("storage: release lock: %w: %w", messages.ErrIO, err)
	}
	return first
}

func (e *Engine) closeFiles() error {
	var first error
	e.idx.mu.Lock()
	defer e.idx.mu.Unlock()
	for id, f := range e.idx.segments {
		if err := f.Close(); err != nil && first == nil {
			first = fmt.Errorf("storage: close segment %d: %w: %w", id, messages.ErrIO, err)
		}
		delete(e.idx.segments, id)
	}
	return first
}

// createDir creates dir (0700) and the parents it lacks; with sync, it
// fsyncs the parent of each directory it created, so that a power cut
// cannot take away the data directory with the segments synced into it.
func createDir(fsys fs.FS, dir string, sync bool) error {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := fsys.ReadDir(d); err == nil || filepath.Dir(d) == d {
			break
		}
		missing = append(missing, d)
	}
	if err := fsys.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("storage: create %s: %w: %w", dir, messages.ErrIO, err)
	}
	if !sync {
		return nil
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := fsys.SyncDir(filepath.Dir(missing[i])); err != nil {
			return fmt.Errorf("storage: sync the parent of %s: %w: %w", missing[i], messages.ErrSyncFailed, err)
		}
	}
	return nil
}

// Dir returns the data directory.
func (e *Engine) Dir() string { return e.dir }
