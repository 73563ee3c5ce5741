package storage

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/fs"
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
const trailerSize = 16

var trailerMagic = [8]byte{'B', 'P', 'K', 'F', 'O', 'O', 'T', '1'}

var errNoFooter = errors.New("no valid footer")

// minFooterRecord is the smallest encoded footer record: a COMMIT marker
// ([3, bin16 batch, count, size] = 1+1+18+1+1 bytes).
const minFooterRecord = 22

// footerBuilder accumulates the records of the active segment.
type footerBuilder struct {
	strIndex map[string]uint64
	strs     []string
	recs     []byte
	count    int
}

func (f *footerBuilder) reset() {
	clear(f.strIndex)
	f.strs = f.strs[:0]
	f.recs = f.recs[:0]
	f.count = 0
}

func (f *footerBuilder) str(s string) uint64 {
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

func (f *footerBuilder) addEvent(e *messages.Event, size int) {
	b := appendArrayLen(f.recs, 12)
	b = appendUint(b, bodyEvent)
	b = appendUint(b, e.Sequence)
	b = appendBin(b, e.ID[:])
	b = appendUint(b, f.str(e.Coordinate.Entity))
	b = appendUint(b, f.str(e.Coordinate.Scope))
	b = appendUint(b, uint64(e.Kind))
	b = appendUint(b, e.Version)
	b = appendInt(b, e.WallMS)
	b = appendCorr(b, e)
	b = appendOptID(b, e.BatchID)
	b = appendBin(b, e.Hash[:])
	b = appendUint(b, uint64(size))
	f.recs = b
	f.count++
}

func (f *footerBuilder) addMarker(typ int, m marker, size int) {
	n := 4
	if typ == bodyBegin {
		n = 5
	}
	b := appendArrayLen(f.recs, n)
	b = appendUint(b, uint64(typ))
	b = appendBin(b, m.batch[:])
	b = appendUint(b, uint64(m.count))
	if typ == bodyBegin {
		b = appendUint(b, m.firstSeq)
	}
	b = appendUint(b, uint64(size))
	f.recs = b
	f.count++
}

// addSynced records a sync mark as [5, synced, frame size].
func (f *footerBuilder) addSynced(synced int64, size int) {
	b := appendArrayLen(f.recs, 3)
	b = appendUint(b, bodySynced)
	b = appendUint(b, uint64(synced))
	b = appendUint(b, uint64(size))
	f.recs = b
	f.count++
}

// maxFooterBody is the largest footer body written; a segment whose footer
// would be larger is sealed without one (Open then scans it). A variable so
// that tests can lower it.
var maxFooterBody = MaxFrameBytes

// fits reports whether the footer of the records so far can be written as
// one frame (its body must fit the frame's 28-bit length).
func (f *footerBuilder) fits() bool {
	n := 64 + len(f.recs) // array headers, segment id, data end
	for _, s := range f.strs {
		n += 5 + len(s)
	}
	return n <= maxFooterBody
}

// appendSeal appends the footer frame and the trailer for a segment whose
// data ends at dataEnd (where the footer frame begins).
func (f *footerBuilder) appendSeal(b []byte, segID uint64, dataEnd int64) []byte {
	b, start := beginFrame(b)
	b = appendArrayLen(b, 5)
	b = appendUint(b, bodyFooter)
	b = appendUint(b, segID)
	b = appendUint(b, uint64(dataEnd))
	b = appendArrayLen(b, len(f.strs))
	for _, s := range f.strs {
		b = appendStr(b, s)
	}
	b = appendArrayLen(b, f.count)
	b = append(b, f.recs...)
	finishFrame(b, start)
	b = binary.LittleEndian.AppendUint64(b, uint64(dataEnd))
	return append(b, trailerMagic[:]...)
}

// readFooter reads and checks the footer of segment id (a file of the given
// size) and calls visit for each record in order. It returns errNoFooter
// (wrapped) if the segment has no footer that exactly covers it; visit is
// then never called.
func readFooter(f fs.File, id uint64, size int64, reserve func(int), visit func(*record) error) error {
	if size < headerSize+frameHeaderSize+trailerSize {
		return errNoFooter
	}
	off := footerAt(f, size)
	if off < 0 {
		return errNoFooter
	}
	if off < headerSize || off >= size-trailerSize {
		return fmt.Errorf("%w: footer offset %d out of range", errNoFooter, off)
	}
	buf := make([]byte, size-trailerSize-off)
	if _, err := f.ReadAt(buf, off); err != nil {
		return fmt.Errorf("%w: read footer: %v", errNoFooter, err)
	}
	body, n, err := decodeFrame(buf)
	if err != nil || n != len(buf) {
		return fmt.Errorf("%w: footer frame: %v", errNoFooter, err)
	}
	recs, err := parseFooter(body, id, off)
	if err != nil {
		return fmt.Errorf("%w: %v", errNoFooter, err)
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
func parseFooter(body []byte, id uint64, dataEnd int64) ([]record, error) {
	r := reader{b: body}
	if r.arrayLen() != 5 || r.uint() != bodyFooter {
		return nil, errMalformed
	}
	if got := r.uint(); r.err == nil && got != id {
		return nil, fmt.Errorf("footer names segment %d", got)
	}
	if got := r.uint(); r.err == nil && got != uint64(dataEnd) {
		return nil, fmt.Errorf("footer data end %d, footer at %d", got, dataEnd)
	}
	ns := r.arrayLen()
	if ns > len(body)-r.off { // every string takes at least a byte
		return nil, errMalformed
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
	recs := make([]record, n)
	off := int64(headerSize)
	for i := range recs {
		rec := &recs[i]
		rec.offset = off
		parseFooterRecord(&r, rec, strs)
		if r.err != nil {
			return nil, fmt.Errorf("record %d: %w", i, r.err)
		}
		off += int64(rec.size)
	}
	if r.off != len(body) || off != dataEnd {
		return nil, fmt.Errorf("records end at %d, data ends at %d", off, dataEnd)
	}
	return recs, nil
}

func parseFooterRecord(r *reader, rec *record, strs []string) {
	n := r.arrayLen()
	rec.typ = int(r.uint())
	str := func() string {
		i := r.uint()
		if i >= uint64(len(strs)) {
			r.fail()
			return ""
		}
		return strs[i]
	}
	switch {
	case rec.typ == bodyEvent && n == 12:
		e := &rec.ev
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
	case rec.typ == bodySynced && n == 3:
		rec.synced = int64(r.uint())
	case rec.typ == bodyBegin && n == 5, rec.typ == bodyCommit && n == 4:
		r.fixed(rec.m.batch[:])
		count := r.uint()
		if count > MaxFrameBytes {
			r.fail()
		}
		rec.m.count = int(count)
		if rec.typ == bodyBegin {
			rec.m.firstSeq = r.uint()
		}
	default:
		r.fail()
		return
	}
	size := r.uint()
	if size < frameHeaderSize || size > frameHeaderSize+MaxFrameBytes {
		r.fail()
	}
	rec.size = int(size)
}
