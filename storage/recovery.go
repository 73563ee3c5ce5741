package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
)

// RecoveryReport says what Open found and did.
type RecoveryReport struct {
	Segments        int // segment files read
	FooterSegments  int // of which rebuilt without a scan: from their footer or their checkpoint
	ScannedSegments int // of which scanned frame by frame
	Events          int // committed events recovered
	// CheckpointSegments counts the FooterSegments loaded from their index
	// checkpoint (NNNNNNNNNN.idx) instead of their footer.
	CheckpointSegments int
	// CheckpointsIgnored says why a checkpoint was not used (damaged,
	// stale, foreign, or not matching the index before it); that segment
	// and every later one were replayed from footers or scans instead.
	CheckpointsIgnored []string
	// Sealed is the last segment, recovered by scanning (it had no footer:
	// a crash), that this Open sealed with a footer; 0 if none.
	Sealed           uint64
	TornTails        []string // "segment N: M bytes at offset O cut (reason)"
	DiscardedBatches int      // batches without a COMMIT (never acknowledged)
	DiscardedEvents  int      // events of those batches
	RemovedEmpty     []uint64 // last segment files holding no complete header, removed
	// Repaired lists what Options.Repair dropped: truncated segments and
	// segments renamed to *.seg.dropped. Empty unless Repair was needed.
	Repaired []string
	// CutUnacknowledged lists what Options.CutAfter (or Reopen) removed.
	CutUnacknowledged []string
	// ReusedIndex is true for an engine made by Reopen: it took the index
	// over from the crashed engine and read only the segment it sealed.
	ReusedIndex bool
}

// fix is a change recovery makes to the last segment (cut a torn tail,
// remove a headerless file). Fixes are applied only once the whole log has
// recovered, so an Open that fails changes nothing on disk.
type fix struct {
	id     uint64
	remove bool
	res    scanResult // for a cut
}

// recover rebuilds the index from every segment in the directory and
// returns the highest segment id ever used (0 if none). With
// Options.Repair, corruption leads to point-in-time recovery: the log is
// cut at the damage and recovery runs again on what remains.
func (e *Engine) recover() (uint64, error) {
	for attempt := 0; ; attempt++ {
		last, err := e.recoverOnce()
		var ce *CorruptionError
		if err == nil || !e.opts.Repair || !errors.As(err, &ce) || attempt > 2 {
			return last, err
		}
		if err := e.repair(ce); err != nil {
			return 0, err
		}
		repaired, cut := e.recovery.Repaired, e.recovery.CutUnacknowledged
		e.closeFiles()
		e.idx = newIndex()
		e.recovery = RecoveryReport{Repaired: repaired, CutUnacknowledged: cut}
	}
}

func (e *Engine) recoverOnce() (uint64, error) {
	ids, last, err := listSegments(e.fs, e.dir)
	if err != nil {
		return 0, fmt.Errorf("storage: list %s: %w: %w", e.dir, messages.ErrIO, err)
	}
	if e.ro != nil { // a writer may be creating files while they are listed
		ids = probeGaps(e.fs, e.dir, ids)
	}
	// Checkpoints first: they cover the leading segments; the replay starts
	// where the last one says the log goes on.
	l := &checkpointLoader{e: e, footerAt: map[uint64]int64{}}
	k := l.run(ids, e.checkpointIDs())
	resume, held := l.resume()
	start := k
	for start > 0 && ids[start-1] >= resume.Segment {
		start--
	}
	rp := &replayer{idx: e.idx, report: &e.recovery}
	if n := e.idx.count(); n > 0 {
		rp.applied, rp.lastSeq = true, e.idx.nextSeq()-1
	}
	if k > 0 { // the replay resumes there, even if no segment is left to replay
		rp.mark = resumePoint{pos: Position{Segment: resume.Segment, Offset: max(resume.Offset, format.HeaderSize)}, held: held}
	}
	var fixes []fix
	for i := start; i < len(ids); i++ {
		id := ids[i]
		at := resumeAt{loaded: i < k}
		if i == start && k > 0 {
			at.held = held
			if id == resume.Segment {
				at.from = resume.Offset
			}
		}
		f, err := e.recoverSegment(rp, id, i == len(ids)-1, at)
		if err != nil {
			return 0, err
		}
		// A torn tail is only possible in the last segment holding data:
		// every Open cuts it before starting a new segment, and a sealed
		// segment was fsynced whole. Later segments may only be headerless.
		if f != nil && !f.remove {
			if empty, err := e.restHeaderless(ids[i+1:]); err != nil {
				return 0, err
			} else if !empty {
				return 0, &CorruptionError{Segment: id, Offset: f.res.end,
					Reason: f.res.reason + ", in a segment followed by more data"}
			}
		}
		if f != nil {
			fixes = append(fixes, *f)
		}
	}
	if e.ro != nil { // changes nothing: what Open would fix is reported
		return last, e.endReadOnlyOpen(rp, fixes)
	}
	rp.endOfLog()
	lastData := uint64(0)
	for _, f := range fixes {
		if err := e.apply(f); err != nil {
			return 0, err
		}
	}
	for i := len(ids) - 1; i >= 0 && lastData == 0; i-- {
		if e.idx.segments[ids[i]] != nil {
			lastData = ids[i]
		}
	}
	if len(ids) > 0 {
		e.idx.endSpans(uint32(ids[len(ids)-1]))
	}
	if lastData != 0 && e.scanned.id == lastData {
		if err := e.sealRecovered(lastData, e.scanned.end); err != nil {
			return 0, err
		}
	}
	e.recovery.Events = e.idx.count()
	return last, nil
}

// checkpointIDs returns the segments that have a checkpoint file.
func (e *Engine) checkpointIDs() map[uint64]bool {
	names, err := e.fs.ReadDir(e.dir)
	if err != nil {
		return nil
	}
	ids := map[uint64]bool{}
	for _, n := range names {
		if id, ok := format.ParseCheckpointName(n); ok {
			ids[id] = true
		}
	}
	return ids
}

// footerRecords returns how many records the footers of segments ids
// claim, to size the index once before replaying them.
func (e *Engine) footerRecords(ids []uint64) int {
	n := 0
	for _, id := range ids {
		f, err := e.fs.OpenFile(filepath.Join(e.dir, format.SegmentName(id)), os.O_RDONLY, 0)
		if err != nil {
			continue
		}
		if size, err := f.Size(); err == nil {
			n += max(0, format.FooterRecords(f, size))
		}
		f.Close()
	}
	return n
}

// resumeAt says how the replay of a segment starts after checkpoints: from
// which offset (0: the start), with which batch open there, and whether
// the segment was loaded from its checkpoint (then it is open and counted).
type resumeAt struct {
	from   int64
	held   messages.ID
	loaded bool
}

// recoverSegment replays one segment: from its footer when the footer
// exactly covers it, else by scanning. Only the last segment may have a
// torn header (see recoverOnce for torn tails).
func (e *Engine) recoverSegment(rp *replayer, id uint64, last bool, at resumeAt) (*fix, error) {
	var f fs.File
	if sf := e.idx.segments[id]; at.loaded && sf != nil {
		f = sf.File
	} else {
		var err error
		if f, err = e.fs.OpenFile(filepath.Join(e.dir, format.SegmentName(id)), e.segmentFlag(), 0o600); err != nil {
			return nil, fmt.Errorf("storage: open segment %d: %w: %w", id, messages.ErrIO, err)
		}
		e.idx.segments[id] = share(f)
	}
	size, err := f.Size()
	if err != nil {
		return nil, fmt.Errorf("storage: size of segment %d: %w: %w", id, messages.ErrIO, err)
	}
	if e.ro != nil {
		f = eofZeros{f} // a writer may seal or cut it while it is read
	}
	if at.loaded {
		e.recovery.CheckpointSegments-- // replayed again, from its footer
	} else {
		e.recovery.Segments++
	}
	h, herr := format.ReadHeader(f)
	if herr != nil {
		if last && headerless(f, size) {
			return &fix{id: id, remove: true}, nil
		}
		return nil, &CorruptionError{Segment: id, Offset: 0, Reason: "segment header: " + herr.Error()}
	}
	if h.ID != id {
		return nil, &CorruptionError{Segment: id, Offset: 0, Reason: fmt.Sprintf("header names segment %d", h.ID)}
	}
	rp.startSegment(id, h)
	if !at.held.IsZero() {
		rp.hold(at.held)
	}
	if at.from > 0 || !at.held.IsZero() {
		rp.mark = resumePoint{pos: Position{Segment: id, Offset: max(at.from, format.HeaderSize)}, held: at.held}
	}
	if err := e.fr.Read(f, id, size); err == nil {
		if !at.loaded {
			e.recovery.FooterSegments++
		}
		rp.useFooter(&e.fr)
		e.ro.noteSegment(id, size, format.FooterAt(f, size), true, at.loaded)
		return nil, e.fr.EachFrom(at.from, rp.visit)
	} else if !errors.Is(err, format.ErrNoFooter) {
		return nil, err
	}
	if at.loaded {
		e.recovery.FooterSegments--
	}
	e.recovery.ScannedSegments++
	// Keep the records of the segment scanned last: if it is the last one,
	// Open seals it with them (sealRecovered).
	e.footer.Reset()
	var visitErr error
	visit := func(r *format.Record) error {
		e.footer.Add(r)
		visitErr = rp.visit(r)
		return visitErr
	}
	res, err := scanSegment(f, id, size, at.from, visit)
	if ce := (*CorruptionError)(nil); visitErr == nil && e.ro != nil && last && errors.As(err, &ce) && ce.Segment == id {
		// A writer may have been writing the frame at ce.Offset when it
		// was read, and have written beyond it (sync marks that say it was
		// durable) before the rest was read: look again from there. The
		// frame is complete by now if it was in flight then.
		if size, err = f.Size(); err != nil {
			return nil, fmt.Errorf("storage: size of segment %d: %w: %w", id, messages.ErrIO, err)
		}
		res, err = scanSegment(f, id, size, ce.Offset, visit)
	}
	if err != nil {
		return nil, err
	}
	if at.from == 0 { // the builder holds the whole segment
		e.scanned.id, e.scanned.end = id, res.end
	}
	e.ro.noteSegment(id, size, res.end, res.sealed, at.loaded)
	if res.torn > 0 {
		return &fix{id: id, res: res}, nil // the cut is synced when applied
	}
	return nil, e.syncScanned(id, f)
}

// segmentFlag is how recovery opens segment files: read and write, or
// read only for a read-only engine.
func (e *Engine) segmentFlag() int {
	if e.ro != nil {
		return os.O_RDONLY
	}
	return os.O_RDWR
}

// sealRecovered seals segment id, the last one, recovered by scanning
// (after a crash), whose data ends at end: whatever follows the data (a
// damaged footer) is cut, then the footer built from the scanned records
// is written and synced, so that later Opens read its footer or its
// checkpoint instead of scanning it. This runs before the new segment is
// created: a power cut during the seal leaves a torn tail in the last
// segment, which the next Open cuts before sealing again.
func (e *Engine) sealRecovered(id uint64, end int64) error {
	f := e.idx.segments[id]
	if !e.footer.Fits() {
		return nil
	}
	size, err := f.Size()
	if err != nil {
		return fmt.Errorf("storage: size of segment %d: %w: %w", id, messages.ErrIO, err)
	}
	if size > end {
		if err := f.Truncate(end); err != nil {
			return fmt.Errorf("storage: cut after the data of segment %d: %w: %w", id, messages.ErrIO, err)
		}
	}
	e.sealBuf = e.footer.AppendSeal(e.sealBuf[:0], id, end)
	if _, err := f.WriteAt(e.sealBuf, end); err != nil {
		return fmt.Errorf("storage: seal segment %d: %w: %w", id, messages.ErrIO, err)
	}
	if e.opts.SyncMode != SyncNone {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("storage: sync segment %d after sealing it: %w: %w", id, messages.ErrSyncFailed, err)
		}
	}
	e.recovery.Sealed = id
	return nil
}

// syncScanned fsyncs a segment recovered by scanning (one not sealed: the
// last one, after a crash). After a process kill its unsynced tail is still
// in the page cache: recovery makes its complete events visible and the
// next session chains onto them, so they must reach the disk before
// anything is built on them, or a later power cut could take them away
// from under acknowledged events. (An fsync changes no byte: a failed Open
// still changes nothing on disk.)
func (e *Engine) syncScanned(id uint64, f fs.File) error {
	if e.opts.SyncMode == SyncNone || e.ro != nil {
		return nil
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("storage: sync recovered segment %d: %w: %w", id, messages.ErrSyncFailed, err)
	}
	return nil
}

// restHeaderless reports whether every segment of ids holds nothing (see
// headerless): what a crash while creating a segment leaves.
func (e *Engine) restHeaderless(ids []uint64) (bool, error) { return allHeaderless(e.fs, e.dir, ids) }

// allHeaderless reports whether every segment of ids in dir holds nothing
// (see headerless).
func allHeaderless(fsys fs.FS, dir string, ids []uint64) (bool, error) {
	for _, id := range ids {
		f, err := fsys.OpenFile(filepath.Join(dir, format.SegmentName(id)), os.O_RDONLY, 0)
		if err != nil {
			return false, fmt.Errorf("storage: open segment %d: %w: %w", id, messages.ErrIO, err)
		}
		size, err := f.Size()
		if err != nil {
			f.Close()
			return false, fmt.Errorf("storage: size of segment %d: %w: %w", id, messages.ErrIO, err)
		}
		_, herr := format.ReadHeader(f)
		empty := herr != nil && headerless(f, size)
		f.Close()
		if !empty {
			return false, nil
		}
	}
	return true, nil
}

// headerless reports whether a segment whose header does not decode holds
// nothing: it is no longer than a header (a header write cut short), or it
// is zeros throughout (created, never made durable).
func headerless(f fs.File, size int64) bool {
	if size <= format.HeaderSize {
		return true
	}
	zero, err := zerosFrom(f, 0, size)
	return err == nil && zero
}

// apply performs one deferred fix and makes it durable.
func (e *Engine) apply(f fix) error {
	if f.remove {
		path := filepath.Join(e.dir, format.SegmentName(f.id))
		e.idx.segments[f.id].Close()
		delete(e.idx.segments, f.id)
		if err := e.fs.Remove(path); err != nil {
			return fmt.Errorf("storage: remove headerless segment %d: %w: %w", f.id, messages.ErrIO, err)
		}
		if err := e.fs.SyncDir(e.dir); err != nil {
			return fmt.Errorf("storage: sync directory: %w: %w", messages.ErrSyncFailed, err)
		}
		e.recovery.RemovedEmpty = append(e.recovery.RemovedEmpty, f.id)
		return nil
	}
	res, file := f.res, e.idx.segments[f.id]
	e.recovery.TornTails = append(e.recovery.TornTails,
		fmt.Sprintf("segment %d: %d bytes at offset %d cut (%s)", f.id, res.torn, res.end, res.reason))
	if err := file.Truncate(res.end); err != nil {
		return fmt.Errorf("storage: cut torn tail of segment %d: %w: %w", f.id, messages.ErrIO, err)
	}
	if err := file.Sync(); err != nil {
		return fmt.Errorf("storage: sync segment %d after cutting its tail: %w: %w", f.id, messages.ErrSyncFailed, err)
	}
	return nil
}

// repair cuts the log at the damage ce reports: the damaged segment is
// truncated at the bad offset (or set aside whole if its header is bad),
// and every later segment is renamed to *.seg.dropped, kept for inspection.
func (e *Engine) repair(ce *CorruptionError) error {
	ids, _, err := listSegments(e.fs, e.dir)
	if err != nil {
		return fmt.Errorf("storage: repair: list %s: %w: %w", e.dir, messages.ErrIO, err)
	}
	e.closeFiles()
	for _, id := range ids {
		switch {
		case id == ce.Segment && ce.Offset >= format.HeaderSize:
			if err := e.truncateSegment(id, ce); err != nil {
				return err
			}
		case id >= ce.Segment:
			from := filepath.Join(e.dir, format.SegmentName(id))
			if err := e.fs.Rename(from, from+droppedExt); err != nil {
				return fmt.Errorf("storage: repair: set segment %d aside: %w: %w", id, messages.ErrIO, err)
			}
			e.recovery.Repaired = append(e.recovery.Repaired,
				fmt.Sprintf("segment %d set aside as %s%s", id, format.SegmentName(id), droppedExt))
		}
	}
	if err := e.fs.SyncDir(e.dir); err != nil {
		return fmt.Errorf("storage: repair: sync directory: %w: %w", messages.ErrSyncFailed, err)
	}
	return nil
}

func (e *Engine) truncateSegment(id uint64, ce *CorruptionError) error {
	size, err := e.cutFile(filepath.Join(e.dir, format.SegmentName(id)), ce.Offset, "repair")
	if err != nil {
		return err
	}
	e.recovery.Repaired = append(e.recovery.Repaired, fmt.Sprintf(
		"segment %d: %d bytes from offset %d dropped (%s)", id, size-ce.Offset, ce.Offset, ce.Reason))
	return nil
}

const droppedExt = ".dropped"

// isDropped reports whether name is a segment set aside by a repair.
func isDropped(name string) bool { return strings.HasSuffix(name, format.SegmentExt+droppedExt) }
