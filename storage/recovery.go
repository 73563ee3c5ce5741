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
	Segments         int      // segment files read
	FooterSegments   int      // of which rebuilt from their footer
	ScannedSegments  int      // of which scanned frame by frame
	Events           int      // committed events recovered
	TornTails        []string // "segment N: M bytes at offset O cut (reason)"
	DiscardedBatches int      // batches without a COMMIT (never acknowledged)
	DiscardedEvents  int      // events of those batches
	RemovedEmpty     []uint64 // last segment files holding no complete header, removed
	// Repaired lists what Options.Repair dropped: truncated segments and
	// segments renamed to *.seg.dropped. Empty unless Repair was needed.
	Repaired []string
	// CutUnacknowledged lists what Options.CutAfter removed.
	CutUnacknowledged []string
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
	rp := &replayer{idx: e.idx, report: &e.recovery}
	var fixes []fix
	for i, id := range ids {
		f, err := e.recoverSegment(rp, id, i == len(ids)-1)
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
	rp.endOfLog()
	for _, f := range fixes {
		if err := e.apply(f); err != nil {
			return 0, err
		}
	}
	e.recovery.Events = e.idx.count()
	return last, nil
}

// recoverSegment replays one segment: from its footer when the footer
// exactly covers it, else by scanning. Only the last segment may have a
// torn header (see recoverOnce for torn tails).
func (e *Engine) recoverSegment(rp *replayer, id uint64, last bool) (*fix, error) {
	f, err := e.fs.OpenFile(filepath.Join(e.dir, format.SegmentName(id)), os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("storage: open segment %d: %w: %w", id, messages.ErrIO, err)
	}
	e.idx.segments[id] = share(f)
	size, err := f.Size()
	if err != nil {
		return nil, fmt.Errorf("storage: size of segment %d: %w: %w", id, messages.ErrIO, err)
	}
	e.recovery.Segments++
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
	if err := format.ReadFooter(f, id, size, e.idx.reserve, rp.visit); err == nil {
		e.recovery.FooterSegments++
		return nil, nil
	} else if !errors.Is(err, format.ErrNoFooter) {
		return nil, err
	}
	e.recovery.ScannedSegments++
	res, err := scanSegment(f, id, size, rp.visit)
	if err != nil {
		return nil, err
	}
	if res.torn > 0 {
		return &fix{id: id, res: res}, nil // the cut is synced when applied
	}
	return nil, e.syncScanned(id, f)
}

// syncScanned fsyncs a segment recovered by scanning (one not sealed: the
// last one, after a crash). After a process kill its unsynced tail is still
// in the page cache: recovery makes its complete events visible and the
// next session chains onto them, so they must reach the disk before
// anything is built on them, or a later power cut could take them away
// from under acknowledged events. (An fsync changes no byte: a failed Open
// still changes nothing on disk.)
func (e *Engine) syncScanned(id uint64, f fs.File) error {
	if e.opts.SyncMode == SyncNone {
		return nil
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("storage: sync recovered segment %d: %w: %w", id, messages.ErrSyncFailed, err)
	}
	return nil
}

// restHeaderless reports whether every segment of ids holds nothing (see
// headerless): what a crash while creating a segment leaves.
func (e *Engine) restHeaderless(ids []uint64) (bool, error) {
	for _, id := range ids {
		f, err := e.fs.OpenFile(filepath.Join(e.dir, format.SegmentName(id)), os.O_RDONLY, 0)
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
