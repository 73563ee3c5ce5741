package format

import (
	"encoding/binary"
	"errors"
	"fmt"

	"io"

	"github.com/batpak-go/batpak/messages"
)

// A sealed segment ends with an index footer, so that Open can rebuild the
// index without reading every frame:
//
//	... last data frame | footer frame | footer offset u64 | "BPKFOOT1"
//
// The footer is itself a frame (so it has a length word and a crc32c) whose
// body is [4, segment id, data end, [strings], [records]]. Each record
// describes one data frame in order: an event as
// [1, seq, id, entity#, scope#, kind, version, wall_ms, corr|nil, batch|nil,
// hash, frame size] (# = index into strings), a marker as
// [2, batch, count, first seq, frame size] or [3, batch, count, frame size],
// a sync mark as [5, synced, frame size]. A footer whose body would not fit
// a frame (2^28 bytes) is not written: the segment is then scanned.
// Open trusts a footer only if everything checks and the records exactly
// tile the segment from the header to the footer; otherwise it scans.
const TrailerSize = 16

// TrailerMagic ends every sealed segment, after the footer's offset.
var TrailerMagic = [8]byte{'B', 'P', 'K', 'F', 'O', 'O', 'T', '1'}

// ErrNoFooter is wrapped by every reason a segment's footer cannot be
// used; the segment is then scanned instead.
var ErrNoFooter = errors.New("no valid footer")

// minFooterRecord is the smallest encoded footer record: a COMMIT marker
// ([3, bin16 batch, count, size] = 1+1+18+1+1 bytes).
const minFooterRecord = 22

// FooterBuilder accumulates the records of the active segment.
type FooterBuilder struct {
	strIndex map[string]uint64
	strs     []string
	recs     []byte
	count    int
}

// Reset empties the builder for a new segment, keeping its buffers.
func (f *FooterBuilder) Reset() {
	clear(f.strIndex)
	f.strs = f.strs[:0]
	f.recs = f.recs[:0]
	f.count = 0
}

func (f *FooterBuilder) str(s string) uint64 {
	if i, ok := f.strIndex[s]; ok {
		return i
	}
	if f.strIndex == nil {
		f.strIndex = make(map[string]uint64)
	}
	i := uint64(len(f.strs))
	f.strIndex[s] = i
	f.strs = append(f.strs, s)
	return i
}

// AddEvent records event e, whose frame is size bytes, as the next record.
func (f *FooterBuilder) AddEvent(e *messages.Event, size int) {
	b := AppendArrayLen(f.recs, 12)
	b = AppendUint(b, TypeEvent)
	b = AppendUint(b, e.Sequence)
	b = AppendBin(b, e.ID[:])
	b = AppendUint(b, f.str(e.Coordinate.Entity))
	b = AppendUint(b, f.str(e.Coordinate.Scope))
	b = AppendUint(b, uint64(e.Kind))
	b = AppendUint(b, e.Version)
	b = AppendInt(b, e.WallMS)
	b = appendCorr(b, e)
	b = AppendOptID(b, e.BatchID)
	b = AppendBin(b, e.Hash[:])
	b = AppendUint(b, uint64(size))
	f.recs = b
	f.count++
}

// AddMarker records the BEGIN (typ TypeBegin) or COMMIT (TypeCommit)
// marker m, whose frame is size bytes, as the next record.
func (f *FooterBuilder) AddMarker(typ int, m Marker, size int) {
	n := 4
	if typ == TypeBegin {
		n = 5
	}
	b := AppendArrayLen(f.recs, n)
	b = AppendUint(b, uint64(typ))
	b = AppendBin(b, m.Batch[:])
	b = AppendUint(b, uint64(m.Count))
	if typ == TypeBegin {
		b = AppendUint(b, m.FirstSeq)
	}
	b = AppendUint(b, uint64(size))
	f.recs = b
	f.count++
}

// AddSynced records a sync mark as [5, synced, frame size].
func (f *FooterBuilder) AddSynced(synced int64, size int) {
	b := AppendArrayLen(f.recs, 3)
	b = AppendUint(b, TypeSynced)
	b = AppendUint(b, uint64(synced))
	b = AppendUint(b, uint64(size))
	f.recs = b
	f.count++
}

// Add records r, a record read by a scan, as AddEvent, AddMarker or
// AddSynced would.
func (f *FooterBuilder) Add(r *Record) {
	switch r.Type {
	case TypeEvent:
		f.AddEvent(&r.Event, r.Size)
	case TypeSynced:
		f.AddSynced(r.Synced, r.Size)
	case TypeBegin, TypeCommit:
		f.AddMarker(r.Type, r.Marker, r.Size)
	}
}

// MaxFooterBody is the largest footer body written; a segment whose footer
// would be larger is sealed without one (Open then scans it). A variable so
// that tests can lower it.
var MaxFooterBody = MaxFrameBytes

// Fits reports whether the footer of the records so far can be written as
// one frame (its body must fit the frame's 28-bit length).
func (f *FooterBuilder) Fits() bool {
	n := 64 + len(f.recs) // array headers, segment id, data end
	for _, s := range f.strs {
		n += 5 + len(s)
	}
	return n <= MaxFooterBody
}

// AppendSeal appends the footer frame and the trailer for a segment whose
// data ends at dataEnd (where the footer frame begins): SealParts in one
// buffer.
func (f *FooterBuilder) AppendSeal(b []byte, segID uint64, dataEnd int64) []byte {
	b, recs, trailer := f.SealParts(b, segID, dataEnd)
	b = append(b, recs...)
	return append(b, trailer[:]...)
}

// FooterReader reads sealed segments' footers one after the other,
// reusing its buffers: Read checks a footer (a checking pass over every
// record), then Each walks its records again, decoding each into one
// reused Record. No memory is allocated per record; per footer, only its
// strings.
type FooterReader struct {
	buf     []byte // the footer frame
	body    []byte
	recsAt  int // offset of the first record in body
	records int
	dataEnd int64
	pairIdx map[uint64]int32
	rec     Record
	// Strings is the footer's string table.
	Strings []string
	// Pairs are the distinct (entity, scope) pairs of the footer's events,
	// in order of first appearance; Record.Pair refers to them.
	Pairs []FooterPair
	// Events is the number of event records.
	Events int
}

// FooterPair is one (entity, scope) pair of a footer and how many of its
// events name it.
type FooterPair struct {
	Entity, Scope string // the coordinate's parts
	Events        int    // the number of event records that name it (at least 1)
}

// Read reads and checks the footer of segment id (a file of the given
// size): the trailer, the footer frame and its checksum, the segment id,
// the data end, every record, and that the records tile the segment
// exactly from the header to the footer. It returns ErrNoFooter (wrapped)
// if the segment has no footer that exactly covers it.
func (r *FooterReader) Read(f io.ReaderAt, id uint64, size int64) error {
	r.body, r.records = nil, 0
	if size < HeaderSize+FrameHeaderSize+TrailerSize {
		return ErrNoFooter
	}
	off := FooterAt(f, size)
	if off < 0 {
		return ErrNoFooter
	}
	if off < HeaderSize || off >= size-TrailerSize {
		return fmt.Errorf("%w: footer offset %d out of range", ErrNoFooter, off)
	}
	n := int(size - TrailerSize - off)
	if cap(r.buf) < n {
		r.buf = make([]byte, n)
	}
	buf := r.buf[:n]
	if _, err := f.ReadAt(buf, off); err != nil {
		return fmt.Errorf("%w: read footer: %v", ErrNoFooter, err)
	}
	body, fn, err := DecodeFrame(buf)
	if err != nil || fn != len(buf) {
		return fmt.Errorf("%w: footer frame: %v", ErrNoFooter, err)
	}
	if err := r.parse(body, id, off); err != nil {
		return fmt.Errorf("%w: %v", ErrNoFooter, err)
	}
	return nil
}

// parse checks a footer body whose segment's data ends at dataEnd.
func (r *FooterReader) parse(body []byte, id uint64, dataEnd int64) error {
	r.body, r.records, r.Events = nil, 0, 0
	r.Strings, r.Pairs = r.Strings[:0], r.Pairs[:0]
	if r.pairIdx == nil {
		r.pairIdx = make(map[uint64]int32)
	}
	clear(r.pairIdx)
	d := reader{b: body}
	if d.arrayLen() != 5 || d.uint() != TypeFooter {
		return ErrMalformed
	}
	if got := d.uint(); d.err == nil && got != id {
		return fmt.Errorf("footer names segment %d", got)
	}
	if got := d.uint(); d.err == nil && got != uint64(dataEnd) {
		return fmt.Errorf("footer data end %d, footer at %d", got, dataEnd)
	}
	ns := d.arrayLen()
	if ns > len(body)-d.off { // every string takes at least a byte
		return ErrMalformed
	}
	for range ns {
		r.Strings = append(r.Strings, d.str())
	}
	n := d.arrayLen()
	if d.err != nil {
		return d.err
	}
	if n > (len(body)-d.off)/minFooterRecord {
		return fmt.Errorf("%d records cannot fit in %d bytes", n, len(body)-d.off)
	}
	r.body, r.recsAt, r.records, r.dataEnd = body, d.off, n, dataEnd
	off := int64(HeaderSize)
	rec := &r.rec
	for i := range n {
		rec.Offset = off
		r.parseRecord(&d, rec)
		if d.err != nil {
			r.body = nil
			return fmt.Errorf("record %d: %w", i, d.err)
		}
		if rec.Type == TypeEvent {
			r.Events++
			r.Pairs[rec.Pair-1].Events++
		}
		off += int64(rec.Size)
	}
	if d.off != len(body) || off != dataEnd {
		r.body = nil
		return fmt.Errorf("records end at %d, data ends at %d", off, dataEnd)
	}
	return nil
}

// Each calls visit for each record of the footer Read last checked, in
// order, with one reused Record (valid until visit returns). visit's error
// stops the walk and is returned.
func (r *FooterReader) Each(visit func(*Record) error) error { return r.EachFrom(0, visit) }

// EachFrom is Each for the records at offset from and after.
func (r *FooterReader) EachFrom(from int64, visit func(*Record) error) error {
	if r.body == nil && r.records > 0 {
		return ErrNoFooter
	}
	d := reader{b: r.body, off: r.recsAt}
	off := int64(HeaderSize)
	rec := &r.rec
	for range r.records {
		rec.Offset = off
		r.parseRecord(&d, rec)
		if d.err != nil {
			return d.err // cannot happen: Read checked it
		}
		if off >= from {
			if err := visit(rec); err != nil {
				return err
			}
		}
		off += int64(rec.Size)
	}
	return nil
}

// ReadFooter reads and checks the footer of segment id (see
// FooterReader.Read) and calls visit for each record in order. It returns
// ErrNoFooter (wrapped) if the segment has no footer that exactly covers
// it; visit is then never called.
func ReadFooter(f io.ReaderAt, id uint64, size int64, visit func(*Record) error) error {
	var r FooterReader
	if err := r.Read(f, id, size); err != nil {
		return err
	}
	return r.Each(visit)
}

// parseRecord decodes the record at d into rec (whose Offset is set),
// resolving its strings and its (entity, scope) pair.
func (r *FooterReader) parseRecord(d *reader, rec *Record) {
	n := d.arrayLen()
	rec.Type = int(d.uint())
	rec.Size, rec.Synced, rec.Chained, rec.Pair, rec.Marker = 0, 0, false, 0, Marker{}
	str := func() uint64 {
		i := d.uint()
		if i >= uint64(len(r.Strings)) {
			d.fail()
			return 0
		}
		return i
	}
	switch {
	case rec.Type == TypeEvent && n == 12:
		e := &rec.Event
		e.CausationID, e.PrevHash, e.TimestampUS = messages.ID{}, messages.Hash{}, 0
		e.Sequence = d.uint()
		d.fixed(e.ID[:])
		ent, scope := str(), str()
		kind := d.uint()
		if kind > 0xFFFF {
			d.fail()
		}
		e.Kind = messages.EventKind(kind)
		e.Version = d.uint()
		e.WallMS = d.int()
		e.CorrelationID = d.corr(e.ID)
		e.BatchID = d.optID()
		d.fixed(e.Hash[:])
		if d.err != nil {
			return
		}
		e.Coordinate.Entity, e.Coordinate.Scope = r.Strings[ent], r.Strings[scope]
		rec.Pair = r.pair(ent, scope)
	case rec.Type == TypeSynced && n == 3:
		rec.Event = messages.Event{}
		rec.Synced = int64(d.uint())
	case rec.Type == TypeBegin && n == 5, rec.Type == TypeCommit && n == 4:
		rec.Event = messages.Event{}
		rec.Marker = Marker{}
		d.fixed(rec.Marker.Batch[:])
		count := d.uint()
		if count > MaxFrameBytes {
			d.fail()
		}
		rec.Marker.Count = int(count)
		if rec.Type == TypeBegin {
			rec.Marker.FirstSeq = d.uint()
		}
	default:
		d.fail()
		return
	}
	size := d.uint()
	if size < FrameHeaderSize || size > FrameHeaderSize+MaxFrameBytes {
		d.fail()
	}
	rec.Size = int(size)
}

// pair returns 1 + the index of the pair of strings ent and scope in
// r.Pairs, adding it if it is new.
func (r *FooterReader) pair(ent, scope uint64) int32 {
	k := ent<<32 | scope
	if p, ok := r.pairIdx[k]; ok {
		return p
	}
	r.Pairs = append(r.Pairs, FooterPair{Entity: r.Strings[ent], Scope: r.Strings[scope]})
	p := int32(len(r.Pairs))
	r.pairIdx[k] = p
	return p
}

// FooterRecords returns the number of records a segment's footer claims,
// reading only the start of the footer, or -1 if it has no footer. It
// checks nothing else: recovery uses it to size the index before it reads
// the footers.
func FooterRecords(f io.ReaderAt, size int64) int {
	off := FooterAt(f, size)
	if off < HeaderSize || off >= size-TrailerSize {
		return -1
	}
	for n := int64(64 << 10); ; n *= 4 {
		n = min(n, size-TrailerSize-off)
		buf := make([]byte, n)
		if _, err := f.ReadAt(buf, off); err != nil || n < FrameHeaderSize {
			return -1
		}
		d := reader{b: buf[FrameHeaderSize:]}
		d.arrayLen()
		d.uint()
		d.uint()
		d.uint()
		for range d.arrayLen() {
			d.str()
		}
		recs := d.arrayLen()
		if d.err == nil {
			return recs
		}
		if n == size-TrailerSize-off {
			return -1
		}
	}
}

// FooterAt returns the footer offset a segment's trailer names, or -1.
func FooterAt(f io.ReaderAt, size int64) int64 {
	var tr [TrailerSize]byte
	if size < TrailerSize {
		return -1
	}
	if _, err := f.ReadAt(tr[:], size-TrailerSize); err != nil || [8]byte(tr[8:]) != TrailerMagic {
		return -1
	}
	return int64(binary.LittleEndian.Uint64(tr[:8]))
}
