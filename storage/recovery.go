package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/batpak-go/batpak/messages"
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
	RemovedEmpty     []uint64 // segment files holding no header, removed
	// Repaired lists what Options.Repair dropped: truncated segments and
	// segments renamed to *.seg.dropped. Empty unless Repair was needed.
	Repaired []string
}

// recover rebuilds the index from every segment in the directory and
// returns the highest segment id seen (0 if none).
func (e *Engine) recover() (uint64, error) {
	ids, err := listSegments(e.fs, e.dir)
	if err != nil {
		return 0, fmt.Errorf("storage: list %s: %w: %w", e.dir, messages.ErrIO, err)
	}
	rp := &replayer{idx: e.idx, report: &e.recovery}
	var last uint64
	for i, id := range ids {
		last = id
		if err := e.recoverSegment(rp, id, i == len(ids)-1); err != nil {
			var ce *CorruptionError
			if !e.opts.Repair || !errors.As(err, &ce) {
				return 0, err
			}
			if err := e.repair(rp, ce, ids[i+1:]); err != nil {
				return 0, err
			}
			break
		}
	}
	rp.endOfLog()
	e.recovery.Events = len(e.idx.entries)
	return last, nil
}

// recoverSegment replays one segment: from its footer when the footer
// exactly covers it, else by scanning (cutting a torn tail off the file).
func (e *Engine) recoverSegment(rp *replayer, id uint64, last bool) error {
	path := filepath.Join(e.dir, segmentName(id))
	f, err := e.fs.OpenFile(path, os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("storage: open segment %d: %w: %w", id, messages.ErrIO, err)
	}
	e.idx.segments[id] = f
	size, err := f.Size()
	if err != nil {
		return fmt.Errorf("storage: size of segment %d: %w: %w", id, messages.ErrIO, err)
	}
	e.recovery.Segments++
	hb := make([]byte, headerSize)
	n, _ := f.ReadAt(hb, 0)
	h, herr := decodeHeader(hb[:n])
	if herr != nil {
		if last && allZero(hb[:n]) { // created, header never made durable
			return e.removeHeaderless(id, f, path)
		}
		return &CorruptionError{Segment: id, Offset: 0, Reason: "segment header: " + herr.Error()}
	}
	if h.id != id {
		return &CorruptionError{Segment: id, Offset: 0, Reason: fmt.Sprintf("header names segment %d", h.id)}
	}
	rp.startSegment(id, h)
	if err := readFooter(f, id, size, rp.visit); err == nil {
		e.recovery.FooterSegments++
		return nil
	} else if !errors.Is(err, errNoFooter) {
		return err
	}
	e.recovery.ScannedSegments++
	res, err := scanSegment(f, id, size, rp.visit)
	if err != nil {
		return err
	}
	if res.torn > 0 {
		return e.cutTail(id, f, res)
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func (e *Engine) removeHeaderless(id uint64, f interface{ Close() error }, path string) error {
	delete(e.idx.segments, id)
	f.Close()
	if err := e.fs.Remove(path); err != nil {
		return fmt.Errorf("storage: remove headerless segment %d: %w: %w", id, messages.ErrIO, err)
	}
	e.recovery.RemovedEmpty = append(e.recovery.RemovedEmpty, id)
	return e.fs.SyncDir(e.dir)
}

// cutTail truncates a torn tail off a segment and makes that durable.
func (e *Engine) cutTail(id uint64, f interface {
	Truncate(int64) error
	Sync() error
}, res scanResult) error {
	e.recovery.TornTails = append(e.recovery.TornTails,
		fmt.Sprintf("segment %d: %d bytes at offset %d cut (%s)", id, res.torn, res.end, res.reason))
	if err := f.Truncate(res.end); err != nil {
		return fmt.Errorf("storage: cut torn tail of segment %d: %w: %w", id, messages.ErrIO, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("storage: sync segment %d after cutting its tail: %w: %w", id, messages.ErrSyncFailed, err)
	}
	return nil
}

// repair performs point-in-time recovery after corruption ce: the damaged
// segment is cut at the bad offset and the later segments are set aside.
func (e *Engine) repair(rp *replayer, ce *CorruptionError, later []uint64) error {
	f := e.idx.segments[ce.Segment]
	size, _ := f.Size()
	off := max(ce.Offset, headerSize)
	if ce.Offset == 0 { // the header itself is bad: set the whole file aside
		later = append([]uint64{ce.Segment}, later...)
		delete(e.idx.segments, ce.Segment)
		f.Close()
	} else {
		if err := f.Truncate(off); err != nil {
			return fmt.Errorf("storage: repair: truncate segment %d: %w: %w", ce.Segment, messages.ErrIO, err)
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("storage: repair: sync segment %d: %w: %w", ce.Segment, messages.ErrSyncFailed, err)
		}
		e.recovery.Repaired = append(e.recovery.Repaired, fmt.Sprintf(
			"segment %d: %d bytes from offset %d dropped (%s)", ce.Segment, size-off, off, ce.Reason))
	}
	for _, id := range later {
		from := filepath.Join(e.dir, segmentName(id))
		if f, ok := e.idx.segments[id]; ok {
			f.Close()
			delete(e.idx.segments, id)
		}
		if err := e.fs.Rename(from, from+".dropped"); err != nil {
			return fmt.Errorf("storage: repair: set segment %d aside: %w: %w", id, messages.ErrIO, err)
		}
		e.recovery.Repaired = append(e.recovery.Repaired, fmt.Sprintf("segment %d set aside as %s.dropped", id, segmentName(id)))
	}
	return e.fs.SyncDir(e.dir)
}
