package storage

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
)

// ScanOptions configure a DirScanner. The zero value reads every
// committed event with its payload and checks each frame's checksum.
type ScanOptions struct {
	// FS is the file system. Default: the operating system (fs.OS()).
	FS fs.FS
	// Check adds every check verify makes: each event's hash recomputed
	// over its body, each entity's chain (versions 1, 2, 3..., each
	// prev_hash the hash of the entity's previous event), sequences
	// strictly increasing, each sealed segment's footer against its
	// frames, and each index checkpoint against the events it describes.
	// Faults are collected (ScanReport.Faults) and the scan goes on, up to
	// MaxFaults. Memory grows with the number of entities (each one's last
	// version, hash and time), not with the number of events.
	Check bool
	// Summary reads a sealed segment from its footer when the footer
	// checks, without reading its frames (as Open does): the events handed
	// to the visitor then lack their payload, metadata, causation,
	// previous hash and microsecond timestamp. Entities are counted, the
	// sequence and version checks of Open are made, checkpoints are
	// checked, and faults are collected as with Check.
	Summary bool
	// FromSeq: events with a lower sequence are read (their batches and,
	// with Check or Summary, their chains need them) but not handed to the
	// visitor; a sealed segment whose footer holds only such events is read
	// from its footer, without its frames (not with Check).
	FromSeq uint64
	// MaxFaults is how many faults Check or Summary collect before the
	// scan stops. Default 100.
	MaxFaults int
	// Progress, if set, is called now and then (every MiB or so, and at
	// the end of each segment) with the bytes of segment files read so far
	// by this Scan and the size of the segment files it found when it
	// started.
	Progress func(done, total int64)
}

// DirScanner reads the segment files of a store directory in order,
// frame by frame, without an Engine: no lock, no index, nothing written.
// It hands each committed event to a visitor exactly as Open would
// recover it (a batch only once its COMMIT is read; batches never
// committed are discarded), in the order of the log, so that a tool reads
// a closed store or one a running engine holds, at the speed of reading
// the files, with memory that does not grow with the number of events.
//
// A later Scan goes on from where the last one stopped: what the writer
// committed since (a store being written is read up to the last complete
// frame; a batch still open there is held until its COMMIT). Frames are
// seen once written, which in a live store may be before the writer's
// fsync returns: if the writer then crashes and its recovery cuts events
// it wrote but never acknowledged, or an operator repairs the store, the
// next Scan finds that the files no longer hold what it read (the rules of
// Engine.Refresh: the segment it read last is gone, was made again, is
// shorter, or has a footer before where it read to) and returns a
// *LogChangedError, which says from which sequence the events read are
// gone; the Scan after it goes on from the end of what the log still
// holds.
//
// A DirScanner is used by one goroutine at a time.
type DirScanner struct {
	dir  string
	opts ScanOptions
	fs   fs.FS

	seg     uint64 // the segment entered last (0: none)
	off     int64  // where its next frame starts (0: its header is still to read)
	segDone bool   // seg is read to its end
	segIdx  int    // its entry in report.Segments (and marks)
	marks   []segMark
	lastSeg uint64 // the segment the last record was read from (0: none)
	lastEnd int64  // where that record ends
	failed  bool   // the visitor returned an error in this Scan

	batches batchState[heldEvent]
	ents    *entities // with Check or Summary
	names   coordCache
	ckpt    *checkpointCheck
	hasher  *format.Hasher
	applied bool   // an event was committed (lastSeq is valid)
	lastSeq uint64 // of the last committed event
	pos     uint64 // committed events so far: the next one's index position
	epoch   uint32 // counts frame damage: chains restart after it

	fr      format.FooterReader
	cur     format.FooterCursor // Check: the footer the frames are compared with
	compare bool
	buf     []byte
	bodyBuf []byte // a frame read on demand
	arena   []byte // the bodies of the held batch items
	ev      messages.Event
	report  ScanReport
	visit   func(*messages.Event) error
	done    int64 // progress: bytes read by this Scan
	doneSeg int64 // of them, in segments finished
	total   int64
	tick    int64
	stop    error // set when MaxFaults is reached
}

// heldEvent is a batch item waiting for its COMMIT.
type heldEvent struct {
	ev messages.Event // its coordinate set; Payload only says its length
	// at and n place a copy of its frame's body in the scanner's arena
	// (n = 0: read from a footer, no body); pay is where the payload
	// starts in the body.
	at, n, pay int
	seg        uint64
	off        int64
	size       int
}

// NewDirScanner returns a scanner of the store in dir. It fails with an
// error wrapping fs.ErrNotExist if dir does not exist, and with
// ErrNotStore if dir holds neither a LOCK file nor a segment file.
func NewDirScanner(dir string, opts ScanOptions) (*DirScanner, error) {
	if opts.FS == nil {
		opts.FS = fs.OS()
	}
	if opts.MaxFaults <= 0 {
		opts.MaxFaults = 100
	}
	names, err := opts.FS.ReadDir(dir)
	if err != nil {
		switch {
		case errors.Is(err, iofs.ErrNotExist):
			return nil, fmt.Errorf("storage: %w", err)
		case errors.Is(err, syscall.ENOTDIR):
			return nil, fmt.Errorf("%w: %s is not a directory", ErrNotStore, dir)
		}
		return nil, fmt.Errorf("storage: read %s: %w: %w", dir, messages.ErrIO, err)
	}
	store := false
	for _, n := range names {
		_, seg := format.ParseSegmentName(n)
		store = store || seg || n == "LOCK" || isDropped(n)
	}
	if !store {
		return nil, fmt.Errorf("%w: %s", ErrNotStore, dir)
	}
	s := &DirScanner{dir: dir, opts: opts, fs: opts.FS, segIdx: -1, hasher: format.NewHasher()}
	if opts.Check || opts.Summary {
		s.ents = newEntities()
		s.ckpt = &checkpointCheck{}
	}
	return s, nil
}

// ScanDir reads the store in dir once (see DirScanner) and returns what it
// found. visit, if not nil, gets each committed event (see Scan).
func ScanDir(dir string, opts ScanOptions, visit func(*messages.Event) error) (ScanReport, error) {
	s, err := NewDirScanner(dir, opts)
	if err != nil {
		return ScanReport{}, err
	}
	err = s.Scan(visit)
	return s.Report(), err
}

// Report returns what the scanner has read so far.
func (s *DirScanner) Report() ScanReport {
	r := s.report
	r.Segments = append([]SegmentReport(nil), r.Segments...)
	r.Faults = append([]ScanFault(nil), r.Faults...)
	if s.ents != nil {
		r.Entities = len(s.ents.list)
	}
	r.OpenBatch = 0
	if s.batches.open {
		r.OpenBatch = len(s.batches.items)
	}
	r.DiscardedBatches += s.batches.discardedBatches
	r.DiscardedEvents += s.batches.discardedEvents
	if s.ckpt != nil {
		for i := range r.Segments {
			r.Segments[i].Checkpoint = s.ckpt.state[r.Segments[i].ID]
		}
	}
	return r
}

// Scan reads what the log holds beyond where the last Scan stopped (the
// whole log the first time) and calls visit, if not nil, with each
// committed event, in log order. The event is reused: its Payload aliases
// the scanner's buffer and Metadata is shared, both valid only until visit
// returns; every other field, the coordinate's strings included, is safe
// to keep. Its Segment and Offset say where its frame is.
//
// visit's error ends the scan and is returned. A fault ends it too, as a
// *ScanFault, unless ScanOptions.Check or Summary collect faults; an I/O
// failure is returned wrapping messages.ErrIO.
func (s *DirScanner) Scan(visit func(*messages.Event) error) error {
	s.visit, s.failed = visit, false
	defer func() { s.visit = nil }()
	if _, err := s.checkLog(); err != nil {
		return err
	}
	ids, _, err := listSegments(s.fs, s.dir)
	if err != nil {
		return fmt.Errorf("storage: list %s: %w: %w", s.dir, messages.ErrIO, err)
	}
	s.done, s.doneSeg, s.tick = 0, 0, 0
	if s.opts.Progress != nil {
		s.total = s.sizes(ids)
	}
	if s.ckpt != nil && !s.ckpt.listed {
		if err := s.ckpt.list(s, ids); err != nil {
			return err
		}
	}
	for i, id := range ids {
		if id < s.seg || id == s.seg && s.segDone {
			continue
		}
		if id != s.seg {
			s.enter(id)
		}
		more, err := s.readSegment(id, ids[i+1:])
		if err != nil && !s.failed {
			// A cut while the files were read can explain a failure.
			if changed, cerr := s.checkLog(); changed {
				return cerr
			}
		}
		if err != nil {
			return err
		}
		if s.stop != nil {
			return nil
		}
		if !more {
			break
		}
	}
	if s.ckpt != nil {
		s.ckpt.end(s)
		if err := s.ckpt.ioErr; err != nil {
			s.ckpt.ioErr = nil
			return err
		}
	}
	return nil
}

// enter starts reading segment id.
func (s *DirScanner) enter(id uint64) {
	s.marks = append(s.marks, s.mark())
	s.seg, s.off, s.segDone = id, 0, false
	s.report.Segments = append(s.report.Segments, SegmentReport{ID: id})
	s.segIdx = len(s.report.Segments) - 1
}

// sizes returns the size of the segment files ids not yet read whole.
func (s *DirScanner) sizes(ids []uint64) int64 {
	var n int64
	for _, id := range ids {
		if id < s.seg || id == s.seg && s.segDone {
			continue
		}
		n += s.fileSize(format.SegmentName(id))
	}
	return n
}

// fileSize returns the size of the file name in the store's directory, or
// 0 if it cannot tell.
func (s *DirScanner) fileSize(name string) int64 {
	f, err := s.fs.OpenFile(filepath.Join(s.dir, name), os.O_RDONLY, 0)
	if err != nil {
		return 0
	}
	defer f.Close()
	n, _ := f.Size()
	return n
}
