package format

// Fuzz targets for the on-disk format. Helpers are prefixed with fz. The
// seed corpora live in testdata/fuzz/<FuzzName>/ and run as ordinary unit
// tests with `go test`; storage's TestFuzzWriteSeedCorpus regenerates them
// (BATPAK_WRITE_FUZZ_CORPUS=1 go test ./storage -run TestFuzzWriteSeedCorpus)
// from a real store. Fuzz with, for example,
//
//	go test ./storage/format -run '^$' -fuzz '^FuzzFooter$' -fuzztime 60s

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/fs"
)

// ---------------------------------------------------------------------------
// FuzzFooter

// FuzzFooter feeds body to parseFooter (and, framed behind a trailer in a
// file, to readFooter): no panic, and records that come back tile the
// segment from the header to the footer. spec drives a footerBuilder; what
// it seals must come back record for record through readFooter on an
// fs.Mem file, survive damage to the data region, and turn damage to the
// footer or trailer into errNoFooter.
func FuzzFooter(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte, segID uint64, dataEnd int64, spec []byte) {
		fzCheckParseFooter(t, body, segID, dataEnd)
		fzCheckFooterRoundTrip(t, segID, spec)
	})
}

func fzCheckTiling(t *testing.T, recs []Record, dataEnd int64) {
	off := int64(HeaderSize)
	for i, r := range recs {
		if r.Offset != off {
			t.Fatalf("record %d at %d, want %d", i, r.Offset, off)
		}
		if r.Size < FrameHeaderSize || r.Size > FrameHeaderSize+MaxFrameBytes {
			t.Fatalf("record %d: size %d", i, r.Size)
		}
		if r.Type != TypeEvent && r.Type != TypeBegin && r.Type != TypeCommit && r.Type != TypeSynced {
			t.Fatalf("record %d: type %d", i, r.Type)
		}
		if r.Chained {
			t.Fatalf("record %d from a footer claims a checked prev_hash", i)
		}
		off += int64(r.Size)
	}
	if off != dataEnd {
		t.Fatalf("records end at %d, data ends at %d", off, dataEnd)
	}
}

func fzAddRecord(fb *FooterBuilder, r *Record) { fb.Add(r) }

// fzSegmentFile returns a segment file: header, zeroed data up to the
// footer offset, then tail (a footer frame and trailer, or anything).
func fzSegmentFile(id uint64, footerOff int64, tail []byte) []byte {
	b := SegmentHeader{ID: id, CreatedNS: 1}.Encode()
	b = append(b, make([]byte, footerOff-HeaderSize)...)
	return append(b, tail...)
}

// fzReadFooterFile writes file to an fs.Mem and runs readFooter over it.
func fzReadFooterFile(t *testing.T, file []byte, id uint64, stopAt int) ([]Record, int, error) {
	mem := fs.NewMem()
	if err := mem.WriteFile("/seg", file); err != nil {
		t.Fatal(err)
	}
	f, err := mem.OpenFile("/seg", os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []Record
	calls := 0
	errStop := errors.New("fz: stop")
	err = ReadFooter(f, id, int64(len(file)), func(r *Record) error {
		calls++
		if calls-1 == stopAt {
			return errStop
		}
		got = append(got, *r)
		return nil
	})
	if stopAt >= 0 && err == errStop {
		return got, calls, err
	}
	if err != nil && !errors.Is(err, ErrNoFooter) {
		t.Fatalf("readFooter: error %v is neither errNoFooter nor the visitor's", err)
	}
	if err != nil && calls != 0 {
		t.Fatalf("readFooter failed (%v) after visiting %d records", err, calls)
	}
	return got, calls, err
}

// parseFooter checks a footer body with a FooterReader and returns its
// records. It panics (a fuzz failure) if the reader's pair table and
// counts disagree with the records.
func parseFooter(body []byte, id uint64, dataEnd int64) ([]Record, error) {
	var r FooterReader
	if err := r.parse(body, id, dataEnd); err != nil {
		return nil, err
	}
	var recs []Record
	events := map[int32]int{}
	err := r.Each(func(rec *Record) error {
		if rec.Type == TypeEvent {
			p := r.Pairs[rec.Pair-1]
			if p.Entity != rec.Event.Coordinate.Entity || p.Scope != rec.Event.Coordinate.Scope {
				return fmt.Errorf("record at %d: pair %d is %q/%q, the event names %v", rec.Offset, rec.Pair, p.Entity, p.Scope, rec.Event.Coordinate)
			}
			events[rec.Pair]++
		} else if rec.Pair != 0 {
			return fmt.Errorf("record at %d of type %d has pair %d", rec.Offset, rec.Type, rec.Pair)
		}
		recs = append(recs, *rec)
		return nil
	})
	if err != nil {
		panic(err)
	}
	total := 0
	for i, p := range r.Pairs {
		if events[int32(i+1)] != p.Events {
			panic(fmt.Sprintf("pair %d counts %d events, %d name it", i, p.Events, events[int32(i+1)]))
		}
		total += p.Events
	}
	if total != r.Events {
		panic(fmt.Sprintf("%d events in pairs, %d counted", total, r.Events))
	}
	return recs, nil
}

func fzCheckParseFooter(t *testing.T, body []byte, segID uint64, dataEnd int64) {
	recs, err := parseFooter(body, segID, dataEnd)
	if err != nil {
		if recs != nil {
			t.Fatalf("parseFooter failed (%v) but returned %d records", err, len(recs))
		}
	} else {
		fzCheckTiling(t, recs, dataEnd)
		// Rebuild the footer from the records: it parses to the same records.
		var fb FooterBuilder
		for i := range recs {
			fzAddRecord(&fb, &recs[i])
		}
		sealed := fb.AppendSeal(nil, segID, dataEnd)
		body2, n, err := DecodeFrame(sealed)
		if err != nil || n != len(sealed)-TrailerSize {
			t.Fatalf("rebuilt footer frame: %d of %d bytes, %v", n, len(sealed)-TrailerSize, err)
		}
		recs2, err := parseFooter(body2, segID, dataEnd)
		if err != nil {
			t.Fatalf("rebuilt footer does not parse: %v", err)
		}
		fzSameRecords(t, recs, recs2)
	}

	// The same body framed as the footer of a small segment file must give
	// readFooter the answer parseFooter gives.
	off := HeaderSize + int64(uint64(dataEnd)%512)
	fr, st := BeginFrame(nil)
	fr = append(fr, body...)
	FinishFrame(fr, st)
	fr = binary.LittleEndian.AppendUint64(fr, uint64(off))
	fr = append(fr, TrailerMagic[:]...)
	want, werr := parseFooter(body, segID, off)
	got, _, gerr := fzReadFooterFile(t, fzSegmentFile(segID, off, fr), segID, -1)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("parseFooter says %v, readFooter says %v", werr, gerr)
	}
	if werr == nil {
		fzSameRecords(t, want, got)
	}
}

func fzSameRecords(t *testing.T, want, got []Record) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if w.Type != g.Type || w.Offset != g.Offset || w.Size != g.Size || w.Marker != g.Marker || w.Chained != g.Chained {
			t.Fatalf("record %d: got %+v, want %+v", i, g, w)
		}
		if d := fzEventDiff(w.Event, g.Event); d != "" {
			t.Fatalf("record %d: event differs: %s", i, d)
		}
	}
}

// fzSrc hands out values from fuzz bytes, zeros once they run out.
type fzSrc struct{ b []byte }

func (s *fzSrc) bytes(n int) []byte {
	n = min(n, len(s.b))
	p := s.b[:n]
	s.b = s.b[n:]
	return p
}

func (s *fzSrc) byte() byte {
	if p := s.bytes(1); len(p) == 1 {
		return p[0]
	}
	return 0
}

func (s *fzSrc) u16() uint16 { return uint16(s.byte())<<8 | uint16(s.byte()) }

func (s *fzSrc) u64() uint64 {
	var w [8]byte
	copy(w[:], s.bytes(8))
	return binary.BigEndian.Uint64(w[:])
}

func (s *fzSrc) id() (id messages.ID) {
	copy(id[:], s.bytes(16))
	return id
}

// fzBuildRecords adds n fuzz-chosen records to fb and returns what a reader
// must get back, with dataEnd.
func fzBuildRecords(fb *FooterBuilder, src *fzSrc, n int) ([]Record, int64) {
	pool := []string{"order/1", "shop", strings.Repeat("e", 40), "", string(src.bytes(int(src.byte() % 64)))}
	var recs []Record
	off := int64(HeaderSize)
	for range n {
		r := Record{Offset: off, Size: FrameHeaderSize + int(src.u16()%512)}
		switch src.byte() % 3 {
		case 0:
			r.Type = TypeEvent
			e := &r.Event
			e.Sequence = src.u64()
			e.ID = src.id()
			e.Coordinate = messages.Coordinate{Entity: pool[src.byte()%5], Scope: pool[src.byte()%5]}
			e.Kind = messages.EventKind(src.u16())
			e.Version = src.u64()
			e.WallMS = int64(src.u64())
			switch src.byte() % 3 {
			case 0:
				e.CorrelationID = e.ID
			case 1:
				e.CorrelationID = src.id()
			}
			if src.byte()%2 == 1 {
				e.BatchID = src.id()
			}
			copy(e.Hash[:], src.bytes(32))
			fb.AddEvent(e, r.Size)
			if e.CorrelationID.IsZero() {
				e.CorrelationID = e.ID // how a reader sees it
			}
		case 1:
			r.Type = TypeBegin
			r.Marker = Marker{Batch: src.id(), Count: int(src.u64() % (MaxFrameBytes + 1)), FirstSeq: src.u64()}
			fb.AddMarker(TypeBegin, r.Marker, r.Size)
		default:
			r.Type = TypeCommit
			r.Marker = Marker{Batch: src.id(), Count: int(src.u64() % (MaxFrameBytes + 1))}
			fb.AddMarker(TypeCommit, r.Marker, r.Size)
		}
		recs = append(recs, r)
		off += int64(r.Size)
	}
	return recs, off
}

func fzCheckFooterRoundTrip(t *testing.T, segID uint64, spec []byte) {
	src := &fzSrc{b: spec}
	var fb FooterBuilder
	if src.byte()%2 == 1 { // reuse a builder: reset must forget everything
		fzBuildRecords(&fb, src, int(src.byte()%8))
		fb.Reset()
	}
	want, dataEnd := fzBuildRecords(&fb, src, int(src.byte()%48))
	prefix := bytes.Clone(src.bytes(int(src.byte() % 8)))
	out := fb.AppendSeal(bytes.Clone(prefix), segID, dataEnd)
	if !bytes.Equal(out[:len(prefix)], prefix) {
		t.Fatalf("appendSeal changed the bytes before the footer")
	}
	seal := out[len(prefix):]
	if [8]byte(seal[len(seal)-8:]) != TrailerMagic || int64(binary.LittleEndian.Uint64(seal[len(seal)-16:])) != dataEnd {
		t.Fatalf("bad trailer %x for data end %d", seal[len(seal)-TrailerSize:], dataEnd)
	}
	file := fzSegmentFile(segID, dataEnd, seal)
	got, _, err := fzReadFooterFile(t, file, segID, -1)
	if err != nil {
		t.Fatalf("readFooter of a freshly sealed footer (%d records): %v", len(want), err)
	}
	fzSameRecords(t, want, got)
	if len(want) > 0 { // a visitor's error stops the walk and comes back as is
		stop := int(src.byte()) % len(want)
		got, calls, err := fzReadFooterFile(t, file, segID, stop)
		if err == nil || errors.Is(err, ErrNoFooter) || calls != stop+1 {
			t.Fatalf("visitor failing at record %d: %d calls, error %v", stop, calls, err)
		}
		fzSameRecords(t, want[:stop], got)
	}
	other := segID + 1 + uint64(src.byte()) // never segID
	if _, _, err := fzReadFooterFile(t, file, other, -1); err == nil {
		t.Fatalf("the footer of segment %d was accepted for segment %d", segID, other)
	}

	// Damage: a flipped byte, a truncation, or trailing garbage.
	mode, pos, mask := src.byte()%4, int(src.u16()), src.byte()|1
	dam := bytes.Clone(file)
	switch mode {
	case 0:
		return
	case 1:
		pos %= len(dam)
		dam[pos] ^= mask
	case 2:
		pos %= len(dam)
		dam = dam[:pos]
	case 3:
		pos = len(dam)
		dam = append(dam, src.bytes(64)...)
		dam = append(dam, mask)
	}
	got, _, err = fzReadFooterFile(t, dam, segID, -1)
	switch {
	case mode == 1 && int64(pos) < dataEnd:
		if err != nil { // readFooter reads neither the header nor the data
			t.Fatalf("a flip in the data region at %d broke the footer: %v", pos, err)
		}
		fzSameRecords(t, want, got)
	case err == nil:
		// Only a checksum collision could make damage pass; then the
		// records must still be the written ones.
		fzSameRecords(t, want, got)
	}
}
