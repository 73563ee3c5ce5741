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

var TrailerMagic = [8]byte{'B', 'P', 'K', 'F', 'O', 'O', 'T', '1'}

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
// data ends at dataEnd (where the footer frame begins).
func (f *FooterBuilder) AppendSeal(b []byte, segID uint64, dataEnd int64) []byte {
	b, start := BeginFrame(b)
	b = AppendArrayLen(b, 5)
	b = AppendUint(b, TypeFooter)
	b = AppendUint(b, segID)
	b = AppendUint(b, uint64(dataEnd))
	b = AppendArrayLen(b, len(f.strs))
	for _, s := range f.strs {
		b = AppendStr(b, s)
	}
	b = AppendArrayLen(b, f.count)
	b = append(b, f.recs...)
	FinishFrame(b, start)
	b = binary.LittleEndian.AppendUint64(b, uint64(dataEnd))
	return append(b, TrailerMagic[:]...)
}

// ReadFooter reads and checks the footer of segment id (a file of the given
// size) and calls visit for each record in order. It returns errNoFooter
// (wrapped) if the segment has no footer that exactly covers it; visit is
// then never called.
func ReadFooter(f io.ReaderAt, id uint64, size int64, reserve func(int), visit func(*Record) error) error {
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
	buf := make([]byte, size-TrailerSize-off)
	if _, err := f.ReadAt(buf, off); err != nil {
		return fmt.Errorf("%w: read footer: %v", ErrNoFooter, err)
	}
	body, n, err := DecodeFrame(buf)
	if err != nil || n != len(buf) {
		return fmt.Errorf("%w: footer frame: %v", ErrNoFooter, err)
	}
	recs, err := parseFooter(body, id, off)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNoFooter, err)
	}
	if reserve != nil {
		reserve(len(recs))
	}
	for i := range recs {
		if err := visit(&recs[i]); err != nil {
			return err
		}
	}
	return nil
}

// parseFooter decodes a footer body and checks that its records tile the
// segment from the header to dataEnd.
func parseFooter(body []byte, id uint64, dataEnd int64) ([]Record, error) {
	r := reader{b: body}
	if r.arrayLen() != 5 || r.uint() != TypeFooter {
		return nil, ErrMalformed
	}
	if got := r.uint(); r.err == nil && got != id {
		return nil, fmt.Errorf("footer names segment %d", got)
	}
	if got := r.uint(); r.err == nil && got != uint64(dataEnd) {
		return nil, fmt.Errorf("footer data end %d, footer at %d", got, dataEnd)
	}
	ns := r.arrayLen()
	if ns > len(body)-r.off { // every string takes at least a byte
		return nil, ErrMalformed
	}
	strs := make([]string, ns)
	for i := range strs {
		strs[i] = r.str()
	}
	n := r.arrayLen()
	if r.err != nil {
		return nil, r.err
	}
	if n > (len(body)-r.off)/minFooterRecord {
		return nil, fmt.Errorf("%d records cannot fit in %d bytes", n, len(body)-r.off)
	}
	recs := make([]Record, n)
	off := int64(HeaderSize)
	for i := range recs {
		rec := &recs[i]
		rec.Offset = off
		parseFooterRecord(&r, rec, strs)
		if r.err != nil {
			return nil, fmt.Errorf("record %d: %w", i, r.err)
		}
		off += int64(rec.Size)
	}
	if r.off != len(body) || off != dataEnd {
		return nil, fmt.Errorf("records end at %d, data ends at %d", off, dataEnd)
	}
	return recs, nil
}

func parseFooterRecord(r *reader, rec *Record, strs []string) {
	n := r.arrayLen()
	rec.Type = int(r.uint())
	str := func() string {
		i := r.uint()
		if i >= uint64(len(strs)) {
			r.fail()
			return ""
		}
		return strs[i]
	}
	switch {
	case rec.Type == TypeEvent && n == 12:
		e := &rec.Event
		e.Sequence = r.uint()
		r.fixed(e.ID[:])
		e.Coordinate.Entity = str()
		e.Coordinate.Scope = str()
		kind := r.uint()
		if kind > 0xFFFF {
			r.fail()
		}
		e.Kind = messages.EventKind(kind)
		e.Version = r.uint()
		e.WallMS = r.int()
		e.CorrelationID = r.corr(e.ID)
		e.BatchID = r.optID()
		r.fixed(e.Hash[:])
	case rec.Type == TypeSynced && n == 3:
		rec.Synced = int64(r.uint())
	case rec.Type == TypeBegin && n == 5, rec.Type == TypeCommit && n == 4:
		r.fixed(rec.Marker.Batch[:])
		count := r.uint()
		if count > MaxFrameBytes {
			r.fail()
		}
		rec.Marker.Count = int(count)
		if rec.Type == TypeBegin {
			rec.Marker.FirstSeq = r.uint()
		}
	default:
		r.fail()
		return
	}
	size := r.uint()
	if size < FrameHeaderSize || size > FrameHeaderSize+MaxFrameBytes {
		r.fail()
	}
	rec.Size = int(size)
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
