package storage

import (
	"cmp"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
)

// Errors of read-only engines.
var (
	// ErrReadOnly: a write (Append, AppendBatch, Commit, Write, Publish,
	// Sync, Abandon, CutUnpublished, Reopen) on an engine made by
	// OpenReadOnly. It matches messages.ErrInvalidArgument.
	ErrReadOnly = fmt.Errorf("storage: the engine is read-only: %w", messages.ErrInvalidArgument)
	// ErrNotStore: OpenReadOnly, Backup or NewDirScanner was given a path
	// that is not a data directory: missing (the error also matches fs.ErrNotExist), not
	// a directory, or holding neither a LOCK file nor a segment. It
	// matches messages.ErrInvalidArgument.
	ErrNotStore error = notStore{}
	// ErrLogChanged: Refresh found that the log no longer holds what the
	// read-only engine already read: a writer cut events it had written
	// but never acknowledged (after a crash of its own; see
	// Engine.CutUnpublished and Options.CutAfter), or an operator
	// repaired or removed segments. Open the directory again. It matches
	// messages.ErrIO. A DirScanner's Scan returns a *LogChangedError that
	// matches it.
	ErrLogChanged = fmt.Errorf("storage: the log changed under the read-only engine (open it again): %w", messages.ErrIO)
)

// lockName is the lock file of a data directory.
const lockName = "LOCK"

// roOpenAttempts bounds how often OpenReadOnly starts over when it fails
// while a writer changed the directory under it.
const roOpenAttempts = 5

// OpenReadOnly opens the data directory dir for reading only, whether a
// writer (an Engine from Open, in this process or another) holds it and
// keeps appending, or it is closed. It takes no lock and changes nothing:
// it creates, writes, truncates, renames and removes no file (a torn tail
// is not cut, the last segment not sealed, no checkpoint written, no
// directory created). It loads the index as Open does (valid checkpoints,
// then footers, then scans) and sees the last segment up to its last
// complete commit: a frame or batch being written, a torn tail, or
// preallocated zeros are simply not visible (ReadOnlyReport says how many
// bytes follow). Damage in the middle of the log is a *CorruptionError, as
// Open reports it.
//
// A missing path, or one that is not a data directory, fails with
// ErrNotStore. Options.Repair and Options.CutAfter, which change files,
// are refused (messages.ErrInvalidArgument); the write options are
// ignored.
//
// Every read works on the engine (Read, ReadStream, Get, Stream, Query,
// ByCorrelation, Ancestors, Descendants, Verify, VerifyStream, Stats);
// every write fails with ErrReadOnly. Refresh makes what the writer
// committed since visible. Close releases the files.
//
// A read-only engine sees a complete frame as soon as the writer has
// written it, which may be before the writer acknowledged it (before its
// fsync returned). If the writer then crashes and cuts what it did not
// acknowledge, the next Refresh fails with ErrLogChanged.
func OpenReadOnly(dir string, opts Options) (*Engine, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	o := opts.withDefaults()
	if o.Repair || o.CutAfter != nil {
		return nil, fmt.Errorf("storage: open read-only: %w: Repair and CutAfter change the files", messages.ErrInvalidArgument)
	}
	if err := checkStoreDir(o.FS, dir); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		before := dirPrint(o.FS, dir)
		e := &Engine{dir: dir, opts: o, fs: o.FS, idx: newIndex(), hasher: format.NewHasher(), ids: newIDSource(), ro: &roState{}}
		err := e.openReadOnly()
		if err == nil {
			return e, nil
		}
		e.closeFiles()
		// A writer that moved while the log was read (sealed or cut the
		// segment being scanned, removed a file listed a moment before)
		// can make a read fail that would pass a moment later.
		if attempt == roOpenAttempts || dirPrint(o.FS, dir) == before {
			return nil, err
		}
	}
}

func (e *Engine) openReadOnly() error {
	if _, err := e.recoverOnce(); err != nil {
		return err
	}
	e.idx.causes.known = uint32(e.idx.count()) // the loaded events' causation is read on demand
	e.idx.spans.take()                         // no checkpoint is ever written
	e.published = e.ro.visible()
	// Map the segments that will not change: every one but a last one a
	// writer may still be appending to.
	var active uint64
	if s := e.ro.last(); s != nil && !s.sealed {
		active = s.id
	}
	e.mapSealed(active)
	return nil
}

// endReadOnlyOpen ends a read-only recovery: nothing is fixed. A last
// segment without a header (being created, or left by a crash) is not
// read; a torn tail stays where it is, after the visible end.
func (e *Engine) endReadOnlyOpen(rp *replayer, fixes []fix) error {
	for _, f := range fixes {
		if f.remove {
			if sf := e.idx.segments[f.id]; sf != nil {
				sf.Close()
			}
			delete(e.idx.segments, f.id)
			e.ro.forget(f.id)
		}
	}
	e.ro.mark = rp.mark
	e.recovery.Events = e.idx.count()
	return nil
}

// roState is what a read-only engine knows of the files it reads.
type roState struct {
	mu     sync.Mutex // serialises Refresh, ReadOnlyReport and Close
	closed bool
	mark   resumePoint // the end of the last visible commit: Refresh resumes there
	segs   []roSegment // the segment files the index holds, ascending
}

// roSegment is one segment file as a read-only engine last read it.
type roSegment struct {
	id         uint64
	size       int64 // of the file
	end        int64 // after its last complete frame (its footer's offset, if sealed)
	sealed     bool  // a footer (valid, or damaged where the trailer says) follows its data
	checkpoint bool  // loaded from its index checkpoint
}

// noteSegment records what recovery read of segment id (nothing on an
// engine that is not read-only).
func (r *roState) noteSegment(id uint64, size, end int64, sealed, checkpoint bool) {
	if r == nil {
		return
	}
	i, found := slices.BinarySearchFunc(r.segs, id, func(s roSegment, id uint64) int { return cmp.Compare(s.id, id) })
	if !found {
		r.segs = slices.Insert(r.segs, i, roSegment{id: id})
	}
	s := &r.segs[i]
	s.size, s.end, s.sealed = size, end, sealed
	s.checkpoint = s.checkpoint || checkpoint
}

func (r *roState) segment(id uint64) *roSegment {
	for i := len(r.segs) - 1; i >= 0; i-- {
		if r.segs[i].id == id {
			return &r.segs[i]
		}
	}
	return nil
}

// visible is the end of the last visible commit: the mark, or, when the
// mark is the start of a segment not read yet, the end of the last one
// read.
func (r *roState) visible() Position {
	m := r.mark.pos
	if m.Offset > format.HeaderSize || !r.mark.held.IsZero() || r.segment(m.Segment) != nil {
		return m
	}
	for i := len(r.segs) - 1; i >= 0; i-- {
		if r.segs[i].id < m.Segment {
			return Position{Segment: r.segs[i].id, Offset: r.segs[i].end}
		}
	}
	return m
}

func (r *roState) last() *roSegment {
	if len(r.segs) == 0 {
		return nil
	}
	return &r.segs[len(r.segs)-1]
}

func (r *roState) forget(id uint64) {
	for i := range r.segs {
		if r.segs[i].id == id {
			r.segs = append(r.segs[:i], r.segs[i+1:]...)
			return
		}
	}
}

// closeReadOnly is Close for a read-only engine.
func (e *Engine) closeReadOnly() error {
	e.ro.mu.Lock()
	defer e.ro.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	e.closed, e.ro.closed = true, true
	e.idx.mu.Lock()
	e.idx.closed = true
	e.idx.mu.Unlock()
	return e.closeFiles()
}

// checkStoreDir fails with ErrNotStore unless dir is a directory holding a
// LOCK file or a segment (ErrIO if it cannot be read).
func checkStoreDir(fsys fs.FS, dir string) error {
	names, err := fsys.ReadDir(dir)
	if err != nil {
		if errors.Is(err, iofs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return fmt.Errorf("%w: %s: %w", ErrNotStore, dir, err)
		}
		return fmt.Errorf("storage: read %s: %w: %w", dir, messages.ErrIO, err)
	}
	for _, n := range names {
		if _, seg := format.ParseSegmentName(strings.TrimSuffix(n, droppedExt)); seg || n == lockName {
			return nil
		}
	}
	return fmt.Errorf("%w: %s holds neither a %s file nor a segment", ErrNotStore, dir, lockName)
}

// dirPrint describes the directory's state cheaply (its names and the size
// of its last segment), to tell whether a writer changed it meanwhile.
func dirPrint(fsys fs.FS, dir string) string {
	names, err := fsys.ReadDir(dir)
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	last := ""
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte('\n')
		if _, ok := format.ParseSegmentName(n); ok {
			last = n
		}
	}
	if last != "" {
		if f, err := fsys.OpenFile(filepath.Join(dir, last), os.O_RDONLY, 0); err == nil {
			size, _ := f.Size()
			f.Close()
			fmt.Fprintf(&b, "%d", size)
		}
	}
	return b.String()
}

// notStore is ErrNotStore's type: its message says what is missing, and
// it matches messages.ErrInvalidArgument.
type notStore struct{}

func (notStore) Error() string {
	return "storage: not a store directory (no LOCK file, no segment file)"
}

// Is makes ErrNotStore match messages.ErrInvalidArgument.
func (notStore) Is(target error) bool { return target == messages.ErrInvalidArgument }
