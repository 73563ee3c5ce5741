package storage

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
)

// The next segment, prepared ahead (Options.Preallocate > 0).
//
// A group written over zeros that are already on the disk syncs without
// metadata (see prealloc.go). Zero-filling the active segment a chunk at a
// time puts a chunk's write and its flush into the commit that needs the
// room (about three normal commits for 4 MiB). Instead, while the active
// segment fills, the writer zero-fills the file of the next segment a
// little at a time, when it starts staging a group (so, in pipelined
// commit, while the previous group syncs): twice the bytes written to the
// active segment since, so that the file is ready when the active one is
// about half full. It asks the system to write those zeros back at once
// (fs.StartWriteback), so that they reach the disk beside the commits
// rather than inside one. The file is a whole segment long plus room for
// the footer, so that sealing overwrites zeros too (see seal.go).
//
// The file is named prepName, which recovery does not read: whatever a
// crash leaves of it is ignored, and the next preparation truncates it. At
// rotation it is renamed to the next segment's name, its header written
// and synced, then the directory synced: the steps (and fsyncs) of creating
// a segment, after which its groups overwrite zeros that are on the disk.
// Without a prepared file (the first segment of a session, or a
// preparation that failed), the segment is created and zero-filled chunk
// by chunk as before.

// prepName is the file name of the segment being prepared.
const prepName = "next.seg.prep"

// prepared is the state of the next segment's file.
type prepared struct {
	size   int64 // zeros written from offset 0
	synced int64 // size when the file was last synced
	owed   int64 // zero bytes due: twice the data written since the last step
	failed bool  // an I/O error: no more preparation this session
}

// Preparation steps write at most prepMaxStep bytes, at least prepMinStep
// (or what remains), so that one step never holds the writer long.
const (
	prepMaxStep = 1 << 20
	prepMinStep = 64 << 10
)

func (e *Engine) prepPath() string { return filepath.Join(e.dir, prepName) }

// prepTarget is the size to prepare the next segment to: the segment size
// and room for its footer, estimated from the active segment's (at least
// an eighth of the segment size), in whole 4 KiB pages.
func (e *Engine) prepTarget() int64 {
	seg := e.opts.SegmentSize
	foot := seg / 8
	if data := e.active.size - format.HeaderSize; data > 0 {
		foot = max(foot, int64(float64(e.footer.RecordBytes())/float64(data)*float64(seg)*1.1))
	}
	return (seg + foot + 4095) &^ 4095
}

// owePrep records that n bytes of data were written to the active segment.
func (e *Engine) owePrep(n int64) {
	if e.opts.Preallocate > 0 {
		e.next.owed += 2 * n
	}
}

// prepStep zero-fills the next segment's file by what is owed, if enough is
// owed for a step. The step after the last one syncs the file: its zeros
// were written back by then (see writePrep), and what the sync commits is
// the file's new size and blocks, once, here rather than in the rotation.
// An I/O error ends preparation for the session, silently: it is an
// optimisation, and the rotation that would have used the file creates its
// segment instead (where a failing disk shows).
func (e *Engine) prepStep() {
	p := &e.next
	if e.opts.Preallocate <= 0 || p.failed {
		return
	}
	target := e.prepTarget()
	if p.size >= target {
		if p.synced < p.size {
			if err := e.syncPrep(); err != nil {
				p.failed = true
				return
			}
			p.synced = p.size
		}
		return
	}
	minStep := min(prepMinStep, max(4096, target/8))
	n := min(p.owed, prepMaxStep, target-p.size)
	if n <= 0 || n < minStep && p.size+n < target {
		return
	}
	if err := e.writePrep(p.size, n); err != nil {
		p.failed = true
		return
	}
	p.size += n
	p.owed -= n
}

// writePrep writes n zeros at off to the next segment's file (creating it
// empty at off 0) and starts their writeback.
func (e *Engine) writePrep(off, n int64) error {
	flag := os.O_RDWR
	if off == 0 {
		flag |= os.O_CREATE | os.O_TRUNC
	}
	f, err := e.fs.OpenFile(e.prepPath(), flag, 0o600)
	if err != nil {
		return err
	}
	for w := off; w < off+n; {
		k := min(int64(len(zeros)), off+n-w)
		if _, err := f.WriteAt(zeros[:k], w); err != nil {
			f.Close()
			return err
		}
		w += k
	}
	fs.StartWriteback(f, off, n)
	return f.Close()
}

// syncPrep syncs the prepared file.
func (e *Engine) syncPrep() error {
	if e.opts.SyncMode == SyncNone {
		return nil
	}
	f, err := e.fs.OpenFile(e.prepPath(), os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	e.fsyncs++
	return f.Close()
}

// takePrepared makes the prepared file segment h.ID: its header written,
// then renamed, then the file and the directory synced. Until the rename
// nothing of it is visible to recovery, so a failure before the rename only
// ends preparation for the session (nil, nil: the caller creates the
// segment instead); after the rename the file is a segment with a header
// (or, if the header was lost, zeros: a headerless last segment, which
// recovery removes), and an error leaves the engine failed, as a failed
// creation does.
func (e *Engine) takePrepared(h format.SegmentHeader, sync bool) (*segment, error) {
	p := &e.next
	size := p.size
	*p = prepared{failed: p.failed}
	if size == 0 || p.failed {
		return nil, nil
	}
	if err := e.writePrepHeader(h); err != nil {
		p.failed = true
		return nil, nil
	}
	path := filepath.Join(e.dir, format.SegmentName(h.ID))
	if err := e.fs.Rename(e.prepPath(), path); err != nil {
		p.failed = true
		return nil, nil
	}
	f, err := e.fs.OpenFile(path, os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open prepared segment %d: %w", h.ID, err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("sync header of prepared segment %d: %w", h.ID, err)
		}
		if err := e.fs.SyncDir(e.dir); err != nil {
			f.Close()
			return nil, fmt.Errorf("sync directory after renaming prepared segment %d: %w", h.ID, err)
		}
	}
	return &segment{id: h.ID, path: path, f: f, size: format.HeaderSize, allocated: size}, nil
}

// writePrepHeader writes h at the start of the prepared file. The file is
// closed before it is renamed (Windows renames no open file).
func (e *Engine) writePrepHeader(h format.SegmentHeader) error {
	f, err := e.fs.OpenFile(e.prepPath(), os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(h.Encode(), 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// dropPrepared removes the prepared file, if any (on Close). Its removal
// need not be durable: recovery ignores the file.
func (e *Engine) dropPrepared() error {
	size := e.next.size
	e.next = prepared{failed: e.next.failed}
	if size == 0 {
		return nil
	}
	if err := e.fs.Remove(e.prepPath()); err != nil {
		return ioError("remove the prepared segment", err, false)
	}
	return nil
}
