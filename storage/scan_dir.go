package storage

import (
	"errors"
	"fmt"
	"io"
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
// fsync returns.
//
// A DirScanner is used by one goroutine at a time.
type DirScanner struct {
	dir  string
	opts ScanOptions
	fs   fs.FS

	seg     uint64 // the segment entered last (0: none)
	off     int64  // where its next frame starts (0: its header is still to read)
	segDone bool   // seg is read to its end
	segIdx  int    // its entry in report.Segments

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
	s.visit = visit
	defer func() { s.visit = nil }()
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
	}
	return nil
}

// enter starts reading segment id.
func (s *DirScanner) enter(id uint64) {
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

// readSegment reads segment id from where the scanner is in it; rest are
// the segments listed after it. It returns false when the scan ends in it
// (the end of the log, for now).
func (s *DirScanner) readSegment(id uint64, rest []uint64) (bool, error) {
	last := len(rest) == 0
	f, err := s.fs.OpenFile(filepath.Join(s.dir, format.SegmentName(id)), os.O_RDONLY, 0)
	if errors.Is(err, iofs.ErrNotExist) {
		s.segDone = true // removed since listed: an empty segment a Close removed
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("storage: open segment %d: %w: %w", id, messages.ErrIO, err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return false, fmt.Errorf("storage: size of segment %d: %w: %w", id, messages.ErrIO, err)
	}
	sr := &s.report.Segments[s.segIdx]
	s.report.Bytes += size - sr.Bytes
	sr.Bytes = size
	if s.off == 0 {
		ok, err := s.readHeader(f, id, size, last)
		if !ok || err != nil {
			return !last || err == nil && s.segDone, err
		}
		if done, err := s.fromFooter(f, id, size); done || err != nil {
			s.segFinished(size)
			return true, err
		}
	} else if s.nothingNew(f, size, last) {
		return false, nil
	}
	s.compare = false
	if s.opts.Check && s.off == format.HeaderSize {
		sr.Footer = "none"
		if format.FooterAt(f, size) >= 0 {
			if ferr := s.fr.Read(f, id, size); ferr == nil {
				s.cur, s.compare = s.fr.Cursor(), true
			}
		}
	}
	base := s.doneSeg
	res, err := scanFrames(f, id, size, s.off, s.buf, func(r *format.Record, body []byte, v *format.EventView) error {
		s.done = base + r.Offset + int64(r.Size)
		return s.frame(r, body, v)
	})
	if cap(s.buf) < scanWindow {
		s.buf = make([]byte, scanWindow)
	}
	if s.stop != nil {
		return false, nil
	}
	if err != nil {
		return s.damaged(err, size)
	}
	return s.ended(f, id, size, res, rest)
}

// readHeader reads the header of segment id, entered last. It returns
// false when there is nothing to read in it (yet).
func (s *DirScanner) readHeader(f fs.File, id uint64, size int64, last bool) (bool, error) {
	sr := &s.report.Segments[s.segIdx]
	var hb [format.HeaderSize]byte
	n, err := f.ReadAt(hb[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("storage: read segment %d: %w: %w", id, messages.ErrIO, err)
	}
	h, herr := format.DecodeHeader(hb[:n])
	switch {
	case herr != nil && headerless(f, size):
		sr.Headerless = true
		if last {
			return false, nil // being created: a later Scan reads it
		}
		return false, s.badSegment(ScanFault{Segment: id, Part: FaultSegment, Reason: "the file holds no header, and more segments follow"})
	case herr != nil:
		return false, s.badSegment(ScanFault{Segment: id, Part: FaultSegment, Reason: "segment header: " + herr.Error()})
	case h.ID != id:
		return false, s.badSegment(ScanFault{Segment: id, Part: FaultSegment, Reason: fmt.Sprintf("header names segment %d", h.ID)})
	}
	if !h.Continuation() {
		s.batches.discard() // a fresh start: a batch open before it was never committed
	}
	s.off = format.HeaderSize
	sr.DataEnd = s.off
	return true, nil
}

// badSegment skips the segment entered last, whose header is bad.
func (s *DirScanner) badSegment(f ScanFault) error {
	s.segDone = true
	s.afterDamage(&f)
	return s.fault(f)
}

// nothingNew reports whether the last segment, read before up to s.off,
// still ends there: a zero length word and no trailer naming that offset.
// It spares a store being followed a read of the zeros written ahead.
func (s *DirScanner) nothingNew(f fs.File, size int64, last bool) bool {
	if !last || s.off >= size {
		return last && s.off >= size
	}
	var w [format.FrameHeaderSize]byte
	if n, _ := f.ReadAt(w[:], s.off); n < len(w) {
		return false
	}
	_, err := format.FrameLen(w[:])
	return errors.Is(err, format.ErrFrameZero) && format.FooterAt(f, size) != s.off
}

// fromFooter reads segment id from its footer, if the options allow it
// and the footer checks, and reports whether it did.
func (s *DirScanner) fromFooter(f fs.File, id uint64, size int64) (bool, error) {
	if s.opts.Check || !s.opts.Summary && s.opts.FromSeq == 0 {
		return false, nil
	}
	if format.FooterAt(f, size) < 0 || s.fr.Read(f, id, size) != nil {
		return false, nil
	}
	if !s.opts.Summary { // FromSeq: only a footer of earlier events
		var lastSeq uint64
		any := false
		for c := s.fr.Cursor(); ; {
			r, ok := c.Next()
			if !ok {
				break
			}
			if r.Type == format.TypeEvent {
				lastSeq, any = r.Event.Sequence, true
			}
		}
		if !any || lastSeq >= s.opts.FromSeq {
			return false, nil
		}
	}
	sr := &s.report.Segments[s.segIdx]
	sr.Sealed, sr.FromFooter, sr.Footer = true, true, "ok"
	base := s.doneSeg
	err := s.fr.Each(func(r *format.Record) error {
		s.done = base + r.Offset + int64(r.Size)
		return s.frame(r, nil, nil)
	})
	sr.DataEnd = format.FooterAt(f, size)
	return true, err
}

// segFinished marks the segment entered last as read to its end.
func (s *DirScanner) segFinished(size int64) {
	s.segDone = true
	s.doneSeg += size
	s.done = s.doneSeg
	s.progress(true)
}

// progress reports the bytes read, at most every MiB unless now.
func (s *DirScanner) progress(now bool) {
	if s.opts.Progress == nil || !now && s.done < s.tick {
		return
	}
	s.tick = s.done + 1<<20
	s.opts.Progress(s.done, max(s.total, s.done))
}

// damaged handles a scan of frames that stopped on err: damage in the
// frames (recorded, and the scan goes on with the next segment, when
// faults are collected), or an error to return.
func (s *DirScanner) damaged(err error, size int64) (bool, error) {
	var ve visitError
	var sf *ScanFault
	var ce *CorruptionError
	switch {
	case errors.As(err, &ve):
		return false, ve.err
	case errors.As(err, &sf), errors.Is(err, messages.ErrIO):
		return false, err
	case !errors.As(err, &ce):
		return false, fmt.Errorf("storage: %w: %w", messages.ErrIO, err)
	}
	f := ScanFault{Segment: ce.Segment, Offset: ce.Offset, Part: FaultFrame, Reason: ce.Reason}
	s.segDone = true
	s.afterDamage(&f)
	s.segFinished(size)
	return true, s.fault(f)
}

// afterDamage goes on after frames of the segment being read are lost
// from f's offset on: f names the entity of the first lost frame if the
// segment's footer says it; the chains start again at each entity's next
// event, the open batch is discarded, and no more checkpoints are checked
// (their index positions no longer line up with the events read).
func (s *DirScanner) afterDamage(f *ScanFault) {
	if s.compare { // the footer says what the damaged frame held
		for {
			r, ok := s.cur.Next()
			if !ok || r.Offset > f.Offset {
				break
			}
			if r.Offset == f.Offset && r.Type == format.TypeEvent {
				f.Entity = r.Event.Coordinate
				f.Reason += fmt.Sprintf(" (the footer says the frame holds sequence %d, version %d of the entity)", r.Event.Sequence, r.Event.Version)
			}
		}
		s.compare = false
	}
	s.epoch++
	s.applied = false
	s.batches.discard()
	if s.ckpt != nil {
		s.ckpt.stop()
	}
}

// visitError carries the visitor's error through a scan.
type visitError struct{ err error }

func (v visitError) Error() string { return v.err.Error() }

// fault records f (with Check or Summary, going on) or returns it.
func (s *DirScanner) fault(f ScanFault) error {
	if s.ents == nil {
		return &f
	}
	if s.stop != nil {
		return nil // MaxFaults reached: the scan is stopping
	}
	s.report.Faults = append(s.report.Faults, f)
	if len(s.report.Faults) >= s.opts.MaxFaults && s.stop == nil {
		s.stop = fmt.Errorf("storage: stopped after %d faults", len(s.report.Faults))
	}
	return nil
}
