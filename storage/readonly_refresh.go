package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
)

// Refresh makes visible what the writer committed since OpenReadOnly or
// the last Refresh: new frames in the last segment, the rest of a segment
// the writer sealed, and new segments. It returns how many events became
// visible. As at OpenReadOnly, the visible log ends at the last complete
// commit: a frame or batch being written is not an error, it is simply not
// visible yet. When nothing changed it costs a directory listing and a few
// small reads, so a follower can call it every 100 ms.
//
// Reads running meanwhile (on any goroutine) see a consistent state: each
// read sees the events visible when it started, and a batch becomes
// visible whole, in one step. Refresh itself must not run concurrently
// with another Refresh or Close (it waits for them).
//
// Errors: ErrLogChanged when the files no longer hold what the engine read
// (open the directory again); a *CorruptionError for damage in a segment
// the writer has moved past (the last segment's bytes are judged once it
// is followed by another, or by Open and Verify); ErrClosed after Close;
// messages.ErrInvalidArgument on an engine from Open. A failure that a
// writer's move while the files were read can explain is not reported:
// the next Refresh reads them again.
func (e *Engine) Refresh() (int, error) {
	ro := e.ro
	if ro == nil {
		return 0, fmt.Errorf("storage: Refresh: %w: the engine was not opened read-only", messages.ErrInvalidArgument)
	}
	ro.mu.Lock()
	defer ro.mu.Unlock()
	if ro.closed {
		return 0, ErrClosed
	}
	added, seen, err := e.refresh()
	if err != nil && !errors.Is(err, ErrLogChanged) && seen != "" && dirPrint(e.fs, e.dir) != seen {
		return added, nil
	}
	return added, err
}

// refresh is Refresh under ro.mu. seen describes the directory as it was
// listed (see dirPrint).
func (e *Engine) refresh() (added int, seen string, err error) {
	ro := e.ro
	names, err := e.fs.ReadDir(e.dir)
	if err != nil {
		return 0, "", fmt.Errorf("storage: refresh: list %s: %w: %w", e.dir, messages.ErrIO, err)
	}
	ids, _ := segmentIDs(names)
	ids = probeGaps(e.fs, e.dir, ids)
	seen = e.printOf(names, ids)
	if err := e.checkHeld(ids); err != nil {
		return 0, seen, err
	}
	start, ok := ro.resumeIn(ids)
	if !ok {
		return 0, seen, fmt.Errorf("%w: segment %d, read up to offset %d, is gone", ErrLogChanged, ro.mark.pos.Segment, ro.mark.pos.Offset)
	}
	x := e.idx
	rp := &replayer{idx: x, report: &RecoveryReport{}, causes: true, mark: ro.mark}
	defer func() { // the mark follows what was applied, also when a segment fails
		ro.mark = rp.mark
		e.published = ro.visible()
	}()
	if x.count() > 0 {
		rp.applied, rp.lastSeq = true, x.nextSeq()-1
	}
	visit := func(r *format.Record) error {
		x.mu.Lock()
		defer x.mu.Unlock()
		n := x.count()
		err := rp.visit(r)
		added += x.count() - n
		return err
	}
	for i := start; i < len(ids); i++ {
		done, err := e.refreshSegment(rp, ids[i], i == start, i < len(ids)-1, visit)
		if err != nil {
			return added, seen, err
		}
		if done {
			break
		}
	}
	x.spans.take() // no checkpoint is ever written
	if s := ro.last(); s != nil && !s.sealed {
		e.mapSealed(s.id)
	} else {
		e.mapSealed(0)
	}
	return added, seen, nil
}

// printOf is dirPrint of the directory listed as names (segment ids ids),
// taken when it was listed: the size of its last segment is read now.
func (e *Engine) printOf(names []string, ids []uint64) string {
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte('\n')
	}
	if len(ids) > 0 {
		if sf, isNew, err := e.roFile(ids[len(ids)-1]); err == nil {
			size, _ := sf.Size()
			if isNew {
				sf.Close()
			}
			fmt.Fprintf(&b, "%d", size)
		}
	}
	return b.String()
}

// refreshSegment reads segment id from where the replay resumes (first:
// the segment of the mark) to its end, or, when it is the last one (not
// final), to the end of what is complete. done says the segment is not
// visible yet (it has no header: a writer is creating it).
func (e *Engine) refreshSegment(rp *replayer, id uint64, first, final bool, visit func(*format.Record) error) (bool, error) {
	ro := e.ro
	sf, isNew, err := e.roFile(id)
	if err != nil {
		return false, err
	}
	keep := false
	if isNew {
		defer func() {
			if !keep {
				sf.Close()
			}
		}()
	}
	// The header first, then the size: a segment being created may get
	// its header in between.
	f := eofZeros{sf}
	h, herr := format.ReadHeader(f)
	size, err := sf.Size()
	if err != nil {
		return false, fmt.Errorf("storage: size of segment %d: %w: %w", id, messages.ErrIO, err)
	}
	if herr != nil {
		if !final && headerless(f, size) {
			return true, nil // being created
		}
		return false, &CorruptionError{Segment: id, Offset: 0, Reason: "segment header: " + herr.Error()}
	}
	if h.ID != id {
		return false, &CorruptionError{Segment: id, Offset: 0, Reason: fmt.Sprintf("header names segment %d", h.ID)}
	}
	from := int64(format.HeaderSize)
	switch m := ro.mark; {
	case first && m.pos.Segment == id:
		rp.startSegment(id, h)
		if !m.held.IsZero() {
			rp.hold(m.held)
		}
		rp.mark, from = m, max(m.pos.Offset, format.HeaderSize)
	case first && !m.held.IsZero(): // the held batch goes on here, if this is a continuation
		rp.hold(m.held)
		rp.mark = resumePoint{pos: Position{Segment: id, Offset: format.HeaderSize}, held: m.held}
		rp.startSegment(id, h)
	default:
		rp.startSegment(id, h)
	}
	if why := readGone(f, id, size, from); why != "" {
		return false, fmt.Errorf("%w: %s", ErrLogChanged, why)
	}
	if isNew {
		e.idx.mu.Lock()
		e.idx.segments[id] = sf
		e.idx.mu.Unlock()
		keep = true
	}
	var res scanResult
	if final {
		res, err = scanSegment(f, id, size, from, visit)
		if err == nil && res.torn > 0 {
			err = &CorruptionError{Segment: id, Offset: res.end, Reason: res.reason + ", in a segment followed by another"}
		}
	} else if nothingAt(f, size, from) {
		res = scanResult{end: from, torn: size - from}
	} else {
		res, err = scanLive(f, id, size, from, visit)
	}
	if err != nil {
		return false, err
	}
	if s := ro.segment(id); s == nil || res.end >= s.end || res.sealed {
		ro.noteSegment(id, size, res.end, res.sealed, false)
	} else {
		ro.noteSegment(id, size, s.end, s.sealed, false) // the rescan from a BEGIN stopped short
	}
	return !final, nil
}

// nothingAt reports whether nothing can be read at from yet: the file ends
// there, or it holds zeros there (room written ahead of the data).
func nothingAt(f fs.File, size, from int64) bool {
	if size-from < format.FrameHeaderSize {
		return true
	}
	var b [format.FrameHeaderSize]byte
	if _, err := f.ReadAt(b[:], from); err != nil {
		return false // the scan reports it
	}
	_, err := format.FrameLen(b[:])
	return errors.Is(err, format.ErrFrameZero)
}

// roFile returns segment id's file: the one the index holds, or a new
// one (isNew) opened read-only.
func (e *Engine) roFile(id uint64) (sf *sharedFile, isNew bool, err error) {
	e.idx.mu.RLock()
	sf = e.idx.segments[id]
	e.idx.mu.RUnlock()
	if sf != nil {
		return sf, false, nil
	}
	f, err := e.fs.OpenFile(filepath.Join(e.dir, format.SegmentName(id)), os.O_RDONLY, 0)
	if err != nil {
		return nil, false, fmt.Errorf("storage: open segment %d: %w: %w", id, messages.ErrIO, err)
	}
	return share(f), true, nil
}

// checkHeld checks that the segment files the engine holds are still in
// the directory (ids), and that the last one is still the same file (a cut
// can remove it and a writer create another under its name). One that
// is gone or replaced and held frames means the log changed; one that
// held none (a header: an empty segment a writer's Close removed) is
// forgotten.
func (e *Engine) checkHeld(ids []uint64) error {
	ro := e.ro
	for i := len(ro.segs) - 1; i >= 0; i-- {
		s := ro.segs[i]
		_, listed := slices.BinarySearch(ids, s.id)
		present := listed || exists(e.fs, e.dir, s.id)
		if present && i == len(ro.segs)-1 {
			same, err := e.sameFile(s.id)
			if err != nil {
				return err
			}
			present = same
		}
		if present {
			continue
		}
		if s.end > format.HeaderSize || ro.mark.pos.Segment == s.id && ro.mark.pos.Offset > format.HeaderSize {
			return fmt.Errorf("%w: segment %d, read up to offset %d, is gone or was replaced", ErrLogChanged, s.id, s.end)
		}
		e.idx.mu.Lock()
		if sf := e.idx.segments[s.id]; sf != nil {
			sf.Close()
			delete(e.idx.segments, s.id)
		}
		e.idx.mu.Unlock()
		ro.forget(s.id)
	}
	return nil
}

// sameFile reports whether the file named as segment id is the one the
// index holds: the headers read through both agree (a segment made again
// under the same name has another creation time).
func (e *Engine) sameFile(id uint64) (bool, error) {
	e.idx.mu.RLock()
	sf := e.idx.segments[id]
	e.idx.mu.RUnlock()
	f, err := e.fs.OpenFile(filepath.Join(e.dir, format.SegmentName(id)), os.O_RDONLY, 0)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return false, fmt.Errorf("storage: open segment %d: %w: %w", id, messages.ErrIO, err)
	}
	defer f.Close()
	var held [format.HeaderSize]byte
	if _, err := sf.ReadAt(held[:], 0); err != nil {
		return false, fmt.Errorf("storage: read segment %d: %w: %w", id, messages.ErrIO, err)
	}
	same, err := sameHeader(f, held)
	if err != nil {
		return false, fmt.Errorf("storage: read segment %d: %w: %w", id, messages.ErrIO, err)
	}
	return same, nil
}

// probeGaps returns ids (a directory listing's segments, ascending) with
// the segments it lacks between its first and last added, when they exist.
// A listing taken while a writer creates and renames files (segments,
// checkpoints) may miss a file created meanwhile (readdir is not a
// snapshot; on ext4 it goes in hash order), and a later one may be listed
// without it. Segment ids are consecutive, except where a recovery
// removed an empty last segment (a gap of one), so the gaps are few and
// small; at most maxGapProbes ids are probed.
func probeGaps(fsys fs.FS, dir string, ids []uint64) []uint64 {
	probes := 0
	for i := 1; i < len(ids) && probes < maxGapProbes; i++ {
		for id := ids[i-1] + 1; id < ids[i] && probes < maxGapProbes; id++ {
			probes++
			if exists(fsys, dir, id) {
				ids = slices.Insert(ids, i, id)
				i++
			}
		}
	}
	return ids
}

// maxGapProbes bounds the files probeGaps looks for.
const maxGapProbes = 1024

// exists reports whether segment id's file exists in dir.
func exists(fsys fs.FS, dir string, id uint64) bool {
	f, err := fsys.OpenFile(filepath.Join(dir, format.SegmentName(id)), os.O_RDONLY, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// resumeIn returns the index in ids of the segment the replay resumes in:
// the mark's, or, if that one is not there (not created yet, or an empty
// one removed) and nothing of it was read, the first one after it. ok is
// false when the mark's segment is gone although frames of it were read.
func (r *roState) resumeIn(ids []uint64) (int, bool) {
	m := r.mark.pos
	i, found := slices.BinarySearch(ids, m.Segment)
	if !found && m.Offset > format.HeaderSize {
		return 0, false
	}
	return i, true
}
