package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
)

// BackupOptions configure Backup. The zero value works.
type BackupOptions struct {
	// FS is the file system of both directories. Default: fs.OS().
	FS fs.FS
	// Progress, when set, is called on Backup's goroutine after each
	// piece (at most 1 MiB) it copies, with the bytes copied so far and
	// the bytes it copies in all; the last call has done == total. It
	// should return quickly. Default: none.
	Progress func(done, total int64)
	// Verify makes Backup also check every event's hash chain in the copy
	// (Engine.Verify: a read of everything copied). Default false: the
	// copy is checked as an open checks it (footers, or a scan of every
	// frame's checksum where there is none), and its events counted.
	Verify bool
	// Context, when set, stops the backup once it is done (an operator's
	// interrupt): Backup checks it between the pieces it copies and after
	// the copy and its check, removes what it created, as after any
	// failure, and returns an error wrapping context.Cause. A copy stopped
	// part way is never left behind: it would hold a prefix of the events
	// and open and verify as a store. Default: none.
	Context context.Context
}

// BackupReport says what Backup copied.
type BackupReport struct {
	Segments    int   // segment files copied (whole, or the last up to Position)
	Checkpoints int   // index checkpoints copied: those the source's open used (checked), of segments copied whole
	Bytes       int64 // bytes copied, segments and checkpoints
	Events      int   // events in the copy
	// LastSequence is the global sequence of the last event copied (0
	// when Events is 0).
	LastSequence uint64
	// Position is where the copy ends: the end of the last commit copied.
	// Every event committed before it is in the copy, and nothing after.
	Position Position
	// Verified is true when Verify ran on the copy and passed.
	Verified bool
}

// backupPiece is how much Backup copies at a time.
const backupPiece = 1 << 20

// Backup copies the data directory srcDir, held by a writer or closed, to
// dstDir, a consistent copy that Open opens without repair and that holds
// exactly the events committed up to BackupReport.Position: every event
// acknowledged before Backup started, and perhaps some acknowledged
// while it ran. It reads srcDir as OpenReadOnly does (no lock, no change
// to any file there), then copies the segments the writer has moved past
// whole (each checked: a footer that covers it exactly, where the source
// has one) with the index checkpoints the read found valid, and the last
// one up to the end
// of its last complete commit (a prefix; what follows, a frame or batch
// being written or a torn tail, is left out). Each file is fsynced, then
// dstDir. A LOCK file is created in the copy, as Open would.
//
// dstDir must not exist or be empty (else an error matching
// messages.ErrInvalidArgument and fs.ErrExist); it is created (0700, its
// new parents fsynced). The copy is then opened read-only and its events
// counted against the source's (and, with Options.Verify, verified). If
// Backup fails, it removes the files it created, and dstDir if it created
// it.
func Backup(srcDir, dstDir string, opts BackupOptions) (BackupReport, error) {
	fsys := opts.FS
	if fsys == nil {
		fsys = fs.OS()
	}
	if names, err := fsys.ReadDir(dstDir); err == nil && len(names) > 0 {
		return BackupReport{}, fmt.Errorf("storage: backup to %s: %w: the directory is not empty (%w)", dstDir, iofs.ErrExist, messages.ErrInvalidArgument)
	} else if err != nil && !errors.Is(err, iofs.ErrNotExist) {
		return BackupReport{}, fmt.Errorf("storage: backup to %s: %w: %w", dstDir, messages.ErrInvalidArgument, err)
	}
	src, err := OpenReadOnly(srcDir, Options{FS: fsys})
	if err != nil {
		return BackupReport{}, err
	}
	defer src.Close()
	b := &backup{fsys: fsys, src: src, dst: dstDir, progress: opts.Progress, ctx: opts.Context}
	if b.ctx == nil {
		b.ctx = context.Background()
	}
	b.plan()
	_, statErr := fsys.ReadDir(dstDir)
	b.madeDir = statErr != nil
	if err := b.run(); err != nil {
		b.undo()
		return BackupReport{}, err
	}
	rep, err := b.check(opts.Verify)
	if err == nil {
		err = b.stopped()
	}
	if err != nil {
		b.undo()
		return BackupReport{}, err
	}
	return rep, nil
}

// stopped returns an error once the backup's context is done.
func (b *backup) stopped() error {
	if b.ctx.Err() == nil {
		return nil
	}
	return fmt.Errorf("storage: backup to %s stopped: %w", b.dst, context.Cause(b.ctx))
}

// backup is one Backup's state.
type backup struct {
	fsys     fs.FS
	src      *Engine
	dst      string
	progress func(done, total int64)
	ctx      context.Context // stops the backup when done
	files    []backupFile
	at       Position // the end of the copy
	events   int
	next     uint64 // the source's NextSequence
	done     int64
	total    int64
	madeDir  bool
	created  []string // paths created, to remove on failure
}

// backupFile is one file to copy: its first size bytes.
type backupFile struct {
	name    string
	seg     uint64 // 0 for a checkpoint
	size    int64
	whole   bool // a segment copied whole (checked against its footer)
	sealed  bool // the read-only engine found a footer after its data
	isCkpt  bool
	missing bool // a checkpoint that vanished before it was read: skipped
}

// plan lists the files to copy, as of the source engine's open.
func (b *backup) plan() {
	ro := b.src.ro
	ro.mu.Lock()
	defer ro.mu.Unlock()
	b.at = ro.visible()
	st := b.src.Stats()
	b.events, b.next = st.Events, st.NextSequence
	for _, s := range ro.segs {
		switch {
		case s.id < b.at.Segment, s.id == b.at.Segment && s.sealed && b.at.Offset >= s.end:
			b.files = append(b.files, backupFile{name: format.SegmentName(s.id), seg: s.id, size: s.size, whole: true, sealed: s.sealed})
			if s.checkpoint { // one the source's open could use (it checked it)
				b.files = append(b.files, backupFile{name: format.CheckpointName(s.id), isCkpt: true, size: -1})
			}
		case s.id == b.at.Segment && b.at.Offset > format.HeaderSize:
			b.files = append(b.files, backupFile{name: format.SegmentName(s.id), seg: s.id, size: b.at.Offset})
		}
	}
	for i := range b.files {
		f := &b.files[i]
		if f.isCkpt {
			f.size = b.sizeOf(f.name)
			f.missing = f.size < 0
		}
		if !f.missing {
			b.total += f.size
		}
	}
}

// sizeOf returns the size of the source file name, or -1.
func (b *backup) sizeOf(name string) int64 {
	f, err := b.fsys.OpenFile(filepath.Join(b.src.dir, name), os.O_RDONLY, 0)
	if err != nil {
		return -1
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return -1
	}
	return size
}

// run creates the directory and copies the files.
func (b *backup) run() error {
	if err := createDir(b.fsys, b.dst, true); err != nil {
		return err
	}
	for i := range b.files {
		f := &b.files[i]
		if f.missing {
			continue
		}
		if err := b.stopped(); err != nil {
			return err
		}
		if err := b.copyFile(f); err != nil {
			return err
		}
	}
	lock := filepath.Join(b.dst, lockName)
	lf, err := b.fsys.OpenFile(lock, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("storage: backup: create %s: %w: %w", lock, messages.ErrIO, err)
	}
	b.created = append(b.created, lock)
	lf.Close()
	if err := b.fsys.SyncDir(b.dst); err != nil {
		return fmt.Errorf("storage: backup: sync %s: %w: %w", b.dst, messages.ErrSyncFailed, err)
	}
	if b.progress != nil {
		b.total = b.done // what was planned and not found (a vanished checkpoint) is not owed
		b.progress(b.done, b.total)
	}
	return nil
}

// copyFile copies one file and fsyncs it. A segment copied whole whose
// copy has no valid footer while the source has one (the writer was
// writing it: the footer of a segment sealed at rotation is written just
// after the next segment is created) is copied again.
func (b *backup) copyFile(f *backupFile) error {
	for attempt := 1; ; attempt++ {
		if err := b.copyOnce(f); err != nil {
			return err
		}
		if !f.whole || !f.sealed || attempt == 3 || b.footerOK(b.dst, f) || !b.footerOK(b.src.dir, f) {
			return nil
		}
		b.total += f.size // again: progress counts the bytes twice
	}
}

func (b *backup) copyOnce(f *backupFile) error {
	in, release, err := b.source(f)
	if err != nil {
		return err
	}
	defer release()
	if f.isCkpt { // a writer may have renamed a new one over it since the plan
		if size, err := in.(fs.File).Size(); err == nil && size != f.size {
			b.total += size - f.size
			f.size = size
		}
	}
	path := filepath.Join(b.dst, f.name)
	out, err := b.fsys.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("storage: backup: create %s: %w: %w", path, messages.ErrIO, err)
	}
	if len(b.created) == 0 || b.created[len(b.created)-1] != path {
		b.created = append(b.created, path)
	}
	buf := make([]byte, min(backupPiece, f.size))
	for off := int64(0); off < f.size; {
		if err := b.stopped(); err != nil {
			out.Close()
			return err
		}
		p := buf[:min(int64(len(buf)), f.size-off)]
		if _, err := in.ReadAt(p, off); err != nil {
			out.Close()
			if errors.Is(err, io.EOF) && f.seg != 0 {
				return fmt.Errorf("%w: segment %d ends before %d", ErrLogChanged, f.seg, f.size)
			}
			return fmt.Errorf("storage: backup: read %s: %w: %w", f.name, messages.ErrIO, err)
		}
		if _, err := out.WriteAt(p, off); err != nil {
			out.Close()
			return fmt.Errorf("storage: backup: write %s: %w: %w", path, messages.ErrIO, err)
		}
		off += int64(len(p))
		b.done += int64(len(p))
		if b.progress != nil {
			b.progress(b.done, b.total)
		}
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return fmt.Errorf("storage: backup: sync %s: %w: %w", path, messages.ErrSyncFailed, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("storage: backup: close %s: %w: %w", path, messages.ErrIO, err)
	}
	return nil
}

// source returns what to read f from: the segment file the source engine
// read (the same file, even if a cut replaced it under its name), or the
// checkpoint file.
func (b *backup) source(f *backupFile) (io.ReaderAt, func(), error) {
	if f.isCkpt {
		in, err := b.fsys.OpenFile(filepath.Join(b.src.dir, f.name), os.O_RDONLY, 0)
		if err != nil {
			return nil, nil, fmt.Errorf("storage: backup: open %s: %w: %w", f.name, messages.ErrIO, err)
		}
		return in, func() { in.Close() }, nil
	}
	x := b.src.idx
	x.mu.RLock()
	sf := x.segments[f.seg]
	if sf != nil {
		sf.acquire()
	}
	x.mu.RUnlock()
	if sf == nil {
		return nil, nil, fmt.Errorf("storage: backup: segment %d is not open: %w", f.seg, messages.ErrIO)
	}
	return sf.File, func() { sf.release() }, nil
}

// footerOK reports whether the copy of f in dir has a footer that exactly
// covers it.
func (b *backup) footerOK(dir string, f *backupFile) bool {
	in, err := b.fsys.OpenFile(filepath.Join(dir, f.name), os.O_RDONLY, 0)
	if err != nil {
		return false
	}
	defer in.Close()
	var fr format.FooterReader
	return fr.Read(in, f.seg, f.size) == nil
}

// check opens the copy read-only and compares it with the source.
func (b *backup) check(verify bool) (BackupReport, error) {
	c, err := OpenReadOnly(b.dst, Options{FS: b.fsys})
	if err != nil {
		return BackupReport{}, fmt.Errorf("storage: backup: the copy does not open: %w", err)
	}
	defer c.Close()
	st := c.Stats()
	if st.Events != b.events || st.NextSequence != b.next {
		return BackupReport{}, fmt.Errorf("storage: backup: the copy holds %d events up to sequence %d, the source %d up to %d: %w",
			st.Events, st.NextSequence, b.events, b.next, messages.ErrIO)
	}
	rep := BackupReport{Events: b.events, Position: b.at, Bytes: b.done}
	if b.events > 0 {
		rep.LastSequence = b.next - 1
	}
	for _, f := range b.files {
		switch {
		case f.missing:
		case f.isCkpt:
			rep.Checkpoints++
		default:
			rep.Segments++
		}
	}
	if verify {
		if _, err := c.Verify(); err != nil {
			return BackupReport{}, fmt.Errorf("storage: backup: the copy does not verify: %w", err)
		}
		rep.Verified = true
	}
	return rep, nil
}

// undo removes what a failed Backup created, best effort.
func (b *backup) undo() {
	for i := len(b.created) - 1; i >= 0; i-- {
		b.fsys.Remove(b.created[i])
	}
	if b.madeDir {
		b.fsys.Remove(b.dst)
	}
}
