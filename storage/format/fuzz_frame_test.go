package format

// Fuzz targets for the on-disk format. Helpers are prefixed with fz. The
// seed corpora live in testdata/fuzz/<FuzzName>/ and run as ordinary unit
// tests with `go test`; storage's TestFuzzWriteSeedCorpus regenerates them
// (BATPAK_WRITE_FUZZ_CORPUS=1 go test ./storage -run TestFuzzWriteSeedCorpus)
// from a real store. Fuzz with, for example,
//
//	go test ./storage/format -run '^$' -fuzz '^FuzzDecodeFrame$' -fuzztime 60s

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"strings"
	"testing"
	"unsafe"

	"github.com/batpak-go/batpak/messages"
	"lukechampine.com/blake3"
)

// ---------------------------------------------------------------------------
// FuzzDecodeFrame

// FuzzDecodeFrame feeds data to decodeFrame (as a raw frame, and as a body
// wrapped in a valid frame so that the body decoders see arbitrary bytes
// behind a good checksum), then bodyType, decodeEvent and decodeMarker. A
// decoded event whose hash verifies must re-encode (appendEventFrame) to the
// same bytes when its encoding is canonical, and to an equivalent, never
// longer frame otherwise. Independently, an event built from the other
// arguments must survive appendEventFrame + decodeFrame + decodeEvent.
func FuzzDecodeFrame(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, entity, scope string, payload []byte,
		seq, version uint64, wallMS, tsUS int64, kind uint16, ids []byte) {
		h := NewHasher()
		fzCheckRawFrame(t, h, data)
		fzCheckWrappedBody(t, h, data)
		fzCheckLenWord(t, data)
		ev := fzEventFromFields(entity, scope, payload, seq, version, wallMS, tsUS, kind, ids)
		fzCheckEventRoundTrip(t, h, data[:min(len(data), 11)], &ev)
	})
}

func fzIsFrameErr(err error) bool {
	return errors.Is(err, ErrFrameShort) || errors.Is(err, ErrFrameZero) ||
		errors.Is(err, ErrFrameLength) || errors.Is(err, ErrFrameCRC)
}

// fzWithin reports whether the non-empty p lies inside buf.
func fzWithin(p, buf []byte) bool {
	if len(p) == 0 || len(buf) == 0 {
		return false
	}
	ps, bs := uintptr(unsafe.Pointer(&p[0])), uintptr(unsafe.Pointer(&buf[0]))
	return ps >= bs && ps+uintptr(len(p)) <= bs+uintptr(len(buf))
}

func fzCheckRawFrame(t *testing.T, h *Hasher, data []byte) {
	body, size, err := DecodeFrame(data)
	if err != nil {
		if body != nil || size != 0 {
			t.Fatalf("decodeFrame failed (%v) but returned %d body bytes, size %d", err, len(body), size)
		}
		if !fzIsFrameErr(err) {
			t.Fatalf("decodeFrame: unexpected error %v", err)
		}
		// The error must agree with frameLen.
		n, lerr := FrameLen(data)
		switch {
		case lerr != nil:
			if !errors.Is(err, lerr) {
				t.Fatalf("decodeFrame error %v, frameLen error %v", err, lerr)
			}
		case FrameHeaderSize+n > len(data):
			if !errors.Is(err, ErrFrameShort) {
				t.Fatalf("frame of %d bytes in %d: error %v, want errFrameShort", FrameHeaderSize+n, len(data), err)
			}
		default:
			if !errors.Is(err, ErrFrameCRC) {
				t.Fatalf("complete frame: error %v, want errFrameCRC", err)
			}
		}
		return
	}
	if size != FrameHeaderSize+len(body) || size > len(data) {
		t.Fatalf("decodeFrame: size %d, body %d bytes, input %d bytes", size, len(body), len(data))
	}
	if len(body) > 0 && &body[0] != &data[FrameHeaderSize] {
		t.Fatalf("decodeFrame: body is not data[%d:%d]", FrameHeaderSize, size)
	}
	fzCheckBody(t, h, body, data[:size])
}

// fzCheckWrappedBody frames data as a body (so the checksum passes), fixes
// the hash field when the body decodes as an event, and checks the body.
func fzCheckWrappedBody(t *testing.T, h *Hasher, data []byte) {
	b, st := BeginFrame([]byte{0xAA, 0xBB, 0xCC})
	b = append(b, data...)
	FinishFrame(b, st)
	if b[0] != 0xAA || b[1] != 0xBB || b[2] != 0xCC {
		t.Fatalf("finishFrame wrote before the frame start")
	}
	frame := b[st:]
	body, size, err := DecodeFrame(frame)
	if err != nil || size != len(frame) || !bytes.Equal(body, data) {
		t.Fatalf("a freshly framed %d-byte body does not decode: size %d, err %v", len(data), size, err)
	}
	var ev messages.Event
	if n := len(body); DecodeEvent(body, &ev, false) == nil && n >= HashFieldBytes &&
		body[n-HashFieldBytes] == 0xc4 && body[n-HashFieldBytes+1] == 32 {
		sum := blake3.Sum256(body[:n-HashFieldBytes])
		copy(body[n-32:], sum[:])
		FinishFrame(b, st)
	}
	fzCheckBody(t, h, body, frame)
}

// fzCheckBody runs every body decoder over a checksummed body; frame is the
// whole frame holding it.
func fzCheckBody(t *testing.T, h *Hasher, body, frame []byte) {
	typ, terr := BodyType(body)
	if terr != nil && !errors.Is(terr, ErrMalformed) {
		t.Fatalf("bodyType: unexpected error %v", terr)
	}
	if n := len(body); n >= HashFieldBytes {
		if got, want := h.Sum(body[:n-HashFieldBytes]), messages.Hash(blake3.Sum256(body[:n-HashFieldBytes])); got != want {
			t.Fatalf("hasher.sum over %d bytes = %s, blake3 says %s", n-HashFieldBytes, got, want)
		}
	}

	var ev messages.Event
	if err := DecodeEvent(body, &ev, true); err != nil {
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("decodeEvent: error %v does not wrap errMalformed", err)
		}
	} else {
		fzCheckDecodedEvent(t, h, body, frame, typ, terr, &ev)
	}

	for _, mt := range []int{TypeBegin, TypeCommit} {
		m, err := DecodeMarker(body, mt)
		if err != nil {
			if err != ErrMalformed || m != (Marker{}) {
				t.Fatalf("decodeMarker(%d): error %v, marker %+v", mt, err, m)
			}
			continue
		}
		if m.Count < 0 || m.Count > MaxFrameBytes {
			t.Fatalf("decodeMarker(%d): count %d out of range", mt, m.Count)
		}
		if terr != nil || typ != mt {
			continue // decodeMarker trusts the caller's type
		}
		var re []byte
		if mt == TypeBegin {
			re = AppendBeginFrame(nil, m.Batch, m.Count, m.FirstSeq)
		} else {
			re = AppendCommitFrame(nil, m.Batch, m.Count)
		}
		reBody, _, err := DecodeFrame(re)
		if err != nil {
			t.Fatalf("re-encoded marker frame does not decode: %v", err)
		}
		back, err := DecodeMarker(reBody, mt)
		if err != nil || back != m {
			t.Fatalf("marker %+v re-encoded decodes as %+v, %v", m, back, err)
		}
		if len(re) > len(frame) {
			t.Fatalf("re-encoded marker is longer (%d) than the original (%d)", len(re), len(frame))
		}
		if _, minimal, ok := fzItems(body); ok && minimal && !bytes.Equal(re, frame) {
			t.Fatalf("canonical marker frame does not re-encode to itself:\n got %x\nwant %x", re, frame)
		}
	}
}

func fzCheckDecodedEvent(t *testing.T, h *Hasher, body, frame []byte, typ int, terr error, ev *messages.Event) {
	if terr != nil || typ != TypeEvent {
		t.Fatalf("decodeEvent succeeded on a body whose bodyType is %d, %v", typ, terr)
	}
	if len(ev.Payload) > 0 && fzWithin(ev.Payload, body) {
		t.Fatalf("decodeEvent payload aliases the frame buffer")
	}
	// decodeEvent must set every encoded field, whatever the event held.
	dirty := fzDirtyEvent()
	if err := DecodeEvent(body, &dirty, false); err != nil {
		t.Fatalf("decodeEvent without payload fails where with payload it did not: %v", err)
	}
	if dirty.Payload != nil {
		t.Fatalf("decodeEvent without payload left a payload")
	}
	dirty.Payload = ev.Payload
	dirty.Segment, dirty.Offset = ev.Segment, ev.Offset // not part of the body
	if d := fzEventDiff(*ev, dirty); d != "" {
		t.Fatalf("decodeEvent into a used Event differs: %s", d)
	}

	n := len(body)
	if n < HashFieldBytes || body[n-HashFieldBytes] != 0xc4 || body[n-HashFieldBytes+1] != 32 ||
		messages.Hash(blake3.Sum256(body[:n-HashFieldBytes])) != ev.Hash {
		return // the hash does not verify: nothing to re-encode against
	}
	in := *ev
	in.Hash = messages.Hash{}
	out := AppendEventFrame([]byte("prefix"), &in, h)
	re := out[len("prefix"):]
	reBody, reSize, err := DecodeFrame(re)
	if err != nil || reSize != len(re) {
		t.Fatalf("re-encoded event frame does not decode: size %d of %d, %v", reSize, len(re), err)
	}
	var back messages.Event
	if err := DecodeEvent(reBody, &back, true); err != nil {
		t.Fatalf("re-encoded event body does not decode: %v", err)
	}
	if back.Hash != in.Hash || messages.Hash(blake3.Sum256(reBody[:len(reBody)-HashFieldBytes])) != back.Hash {
		t.Fatalf("appendEventFrame set Hash %s but wrote %s", in.Hash, back.Hash)
	}
	cmp := back
	cmp.Hash = ev.Hash
	if d := fzEventDiff(*ev, cmp); d != "" {
		t.Fatalf("event does not survive re-encoding: %s", d)
	}
	if len(re) > len(frame) {
		t.Fatalf("re-encoded event (%d bytes) is longer than the original (%d)", len(re), len(frame))
	}
	if fzCanonicalEvent(body) {
		if !bytes.Equal(re, frame) {
			t.Fatalf("canonical event frame does not re-encode to itself:\n got %x\nwant %x", re, frame)
		}
	} else if bytes.Equal(re, frame) {
		t.Fatalf("non-canonical event frame re-encodes to itself: %x", frame)
	}
}

// fzItems splits a msgpack array of scalars (the shape of every frame body
// but the footer) into the encodings of its elements, and reports whether
// every header is the smallest form for its value among the forms the
// reader accepts (for signed integers those are the fixints and int64,
// 0xd3). ok is false for anything else.
func fzItems(b []byte) (items [][]byte, minimal, ok bool) {
	u := func(p []byte) uint64 {
		var v uint64
		for _, c := range p {
			v = v<<8 | uint64(c)
		}
		return v
	}
	if len(b) == 0 {
		return nil, false, false
	}
	minimal = true
	var n uint64
	pos := 1
	switch c := b[0]; {
	case c&0xf0 == 0x90:
		n = uint64(c & 0x0f)
	case c == 0xdc && len(b) >= 3:
		n, pos = u(b[1:3]), 3
		minimal = n >= 16
	case c == 0xdd && len(b) >= 5:
		n, pos = u(b[1:5]), 5
		minimal = n > math.MaxUint16
	default:
		return nil, false, false
	}
	for i := uint64(0); i < n; i++ {
		if pos >= len(b) {
			return nil, false, false
		}
		start, c := pos, b[pos]
		hdr, size := 1, uint64(0) // header bytes, then payload bytes
		small := false            // the value would fit a smaller form
		switch {
		case c < 0x80 || c >= 0xe0 || c == 0xc0:
		case c >= 0xcc && c <= 0xcf, c == 0xd3:
			w := 1 << (c - 0xcc) // 0xcc..0xcf: 1, 2, 4, 8 bytes
			if c == 0xd3 {
				w = 8
			}
			if pos+1+w > len(b) {
				return nil, false, false
			}
			v := u(b[pos+1 : pos+1+w])
			hdr += w
			switch c {
			case 0xcc:
				small = v < 0x80
			case 0xcd:
				small = v <= math.MaxUint8
			case 0xce:
				small = v <= math.MaxUint16
			case 0xcf:
				small = v <= math.MaxUint32
			case 0xd3:
				small = int64(v) >= -32 // the writer uses 0xd3 only below -32
			}
		case c&0xe0 == 0xa0:
			size = uint64(c & 0x1f)
		case c&0xf0 == 0x80 || c == 0xde || c == 0xdf:
			end, small2, ok2 := fzMap(b, pos)
			if !ok2 {
				return nil, false, false
			}
			hdr, size, small = end-pos, 0, small2
		case c == 0xc4 || c == 0xd9:
			if pos+2 > len(b) {
				return nil, false, false
			}
			hdr, size = 2, uint64(b[pos+1])
			small = c == 0xd9 && size < 32
		case c == 0xc5 || c == 0xda:
			if pos+3 > len(b) {
				return nil, false, false
			}
			hdr, size = 3, u(b[pos+1:pos+3])
			small = size <= math.MaxUint8
		case c == 0xc6 || c == 0xdb:
			if pos+5 > len(b) {
				return nil, false, false
			}
			hdr, size = 5, u(b[pos+1:pos+5])
			small = size <= math.MaxUint16
		default:
			return nil, false, false
		}
		if size > uint64(len(b)-pos-hdr) {
			return nil, false, false
		}
		pos += hdr + int(size)
		items = append(items, b[start:pos])
		if small {
			minimal = false
		}
	}
	if pos != len(b) {
		return nil, false, false
	}
	return items, minimal, true
}

// fzMap reads a msgpack map of str keys and values at b[pos] (the event
// metadata's shape) and returns the offset after it and whether one of its
// headers was not the smallest form for its value.
func fzMap(b []byte, pos int) (end int, small, ok bool) {
	r := reader{b: b, off: pos}
	c := b[pos]
	var n uint64
	switch {
	case c&0xf0 == 0x80:
		n, r.off = uint64(c&0x0f), pos+1
	case c == 0xde:
		r.off++
		n = r.beUint(2)
		small = n < 16
	default:
		r.off++
		n = r.beUint(4)
		small = n <= math.MaxUint16
	}
	for i := uint64(0); i < 2*n && r.err == nil; i++ {
		start := r.off
		s := r.strBytes()
		if r.err == nil && r.off-start != len(AppendStr(nil, string(s))) {
			small = true
		}
	}
	return r.off, small, r.err == nil
}

// fzCanonicalEvent reports whether an event body is exactly what
// appendEventFrame writes: smallest forms everywhere, the correlation id
// omitted (nil) when it equals the id or is zero, zero ids as nil.
// (The decoder itself accepts only sorted, non-empty metadata.)
func fzCanonicalEvent(body []byte) bool {
	items, minimal, ok := fzItems(body)
	if !ok || !minimal || (len(items) != EventFields && len(items) != EventFieldsMeta) {
		return false
	}
	zero := append([]byte{0xc4, 16}, make([]byte, 16)...)
	for _, i := range []int{9, 10, 11} { // corr, cause, batch
		if bytes.Equal(items[i], zero) {
			return false
		}
	}
	return !bytes.Equal(items[9], items[2]) // corr written out although it equals the id
}

// fzCheckLenWord checks that a length word round-trips and that any single
// flipped bit in it is detected.
func fzCheckLenWord(t *testing.T, data []byte) {
	var w [FrameHeaderSize]byte
	copy(w[:4], data)
	n := int(binary.LittleEndian.Uint32(w[:4]) & MaxFrameBytes)
	binary.LittleEndian.PutUint32(w[:], LenWord(n))
	if got, err := FrameLen(w[:]); err != nil || got != n {
		t.Fatalf("lenWord(%d) reads back as %d, %v", n, got, err)
	}
	bit := 0
	if len(data) > 4 {
		bit = int(data[4] % 32)
	}
	binary.LittleEndian.PutUint32(w[:], LenWord(n)^1<<bit)
	if got, err := FrameLen(w[:]); err == nil {
		t.Fatalf("length word of %d with bit %d flipped reads as %d", n, bit, got)
	}
}

func fzEventFromFields(entity, scope string, payload []byte, seq, version uint64,
	wallMS, tsUS int64, kind uint16, ids []byte) messages.Event {
	part := func(from, to int) []byte {
		if from >= len(ids) {
			return nil
		}
		return ids[from:min(to, len(ids))]
	}
	ev := messages.Event{
		Sequence: seq, Coordinate: messages.Coordinate{Entity: entity, Scope: scope},
		Kind: messages.EventKind(kind), Version: version, WallMS: wallMS, TimestampUS: tsUS,
		Payload: payload,
	}
	copy(ev.ID[:], part(0, 16))
	copy(ev.CorrelationID[:], part(16, 32))
	copy(ev.CausationID[:], part(32, 48))
	copy(ev.BatchID[:], part(48, 64))
	copy(ev.PrevHash[:], part(64, 96))
	if len(ids)%2 == 1 {
		ev.CorrelationID = ev.ID
	}
	if len(ids)%3 == 1 { // metadata from the entity and scope
		ev.Metadata = messages.Metadata{entity: scope, "k": entity}
	}
	return ev
}

func fzCheckEventRoundTrip(t *testing.T, h *Hasher, prefix []byte, ev *messages.Event) {
	prefix = bytes.Clone(prefix)
	in := *ev
	b := AppendEventFrame(bytes.Clone(prefix), &in, h)
	if !bytes.Equal(b[:len(prefix)], prefix) {
		t.Fatalf("appendEventFrame changed the bytes before the frame")
	}
	frame := b[len(prefix):]
	body, size, err := DecodeFrame(frame)
	if err != nil || size != len(frame) {
		t.Fatalf("appendEventFrame output does not decode: size %d of %d, %v", size, len(frame), err)
	}
	n := len(body)
	if n < HashFieldBytes || body[n-HashFieldBytes] != 0xc4 || body[n-HashFieldBytes+1] != 32 ||
		!bytes.Equal(body[n-32:], in.Hash[:]) {
		t.Fatalf("the body does not end with bin8(32) holding Hash")
	}
	if want := messages.Hash(blake3.Sum256(body[:n-HashFieldBytes])); in.Hash != want {
		t.Fatalf("Hash %s, blake3 of the body says %s", in.Hash, want)
	}
	got := fzDirtyEvent()
	if err := DecodeEvent(body, &got, true); err != nil {
		t.Fatalf("decodeEvent of a written event: %v", err)
	}
	want := in
	if want.CorrelationID.IsZero() {
		want.CorrelationID = want.ID
	}
	got.Segment, got.Offset = want.Segment, want.Offset
	if d := fzEventDiff(want, got); d != "" {
		t.Fatalf("event does not round-trip: %s", d)
	}
	if !fzCanonicalEvent(body) {
		t.Fatalf("appendEventFrame wrote a non-canonical body: %x", body)
	}
	fzCheckBody(t, h, body, frame)
}

func fzDirtyEvent() messages.Event {
	var ev messages.Event
	for i := range ev.ID {
		ev.ID[i], ev.CorrelationID[i], ev.CausationID[i], ev.BatchID[i] = 0xEE, 0xED, 0xEC, 0xEB
	}
	for i := range ev.Hash {
		ev.Hash[i], ev.PrevHash[i] = 0xEA, 0xE9
	}
	ev.Sequence, ev.Version, ev.WallMS, ev.TimestampUS, ev.Kind = 77, 78, 79, 80, 81
	ev.Coordinate = messages.Coordinate{Entity: "dirty", Scope: "dirty"}
	ev.Payload = []byte("dirty")
	ev.Metadata = messages.Metadata{"dirty": "dirty"}
	return ev
}

// fzEventDiff describes how two events differ (payload nil equals empty).
func fzEventDiff(a, b messages.Event) string {
	var d []string
	chk := func(name string, x, y any) {
		if x != y {
			d = append(d, fmt.Sprintf("%s %v != %v", name, x, y))
		}
	}
	chk("ID", a.ID, b.ID)
	chk("Sequence", a.Sequence, b.Sequence)
	chk("Coordinate", a.Coordinate, b.Coordinate)
	chk("Kind", a.Kind, b.Kind)
	chk("Version", a.Version, b.Version)
	chk("WallMS", a.WallMS, b.WallMS)
	chk("TimestampUS", a.TimestampUS, b.TimestampUS)
	chk("CorrelationID", a.CorrelationID, b.CorrelationID)
	chk("CausationID", a.CausationID, b.CausationID)
	chk("BatchID", a.BatchID, b.BatchID)
	chk("PrevHash", a.PrevHash, b.PrevHash)
	chk("Hash", a.Hash, b.Hash)
	chk("Segment", a.Segment, b.Segment)
	chk("Offset", a.Offset, b.Offset)
	if !bytes.Equal(a.Payload, b.Payload) {
		d = append(d, fmt.Sprintf("Payload %q != %q", a.Payload, b.Payload))
	}
	if !maps.Equal(a.Metadata, b.Metadata) || (a.Metadata == nil) != (b.Metadata == nil) {
		d = append(d, fmt.Sprintf("Metadata %v != %v", a.Metadata, b.Metadata))
	}
	return strings.Join(d, "; ")
}
