package format

// Fuzz targets for the on-disk format. Helpers are prefixed with fz. The
// seed corpora live in testdata/fuzz/<FuzzName>/ and run as ordinary unit
// tests with `go test`; storage's TestFuzzWriteSeedCorpus regenerates them
// (BATPAK_WRITE_FUZZ_CORPUS=1 go test ./storage -run TestFuzzWriteSeedCorpus)
// from a real store. Fuzz with, for example,
//
//	go test ./storage/format -run '^$' -fuzz '^FuzzCodec$' -fuzztime 60s

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// ---------------------------------------------------------------------------
// FuzzCodec

// FuzzCodec runs the reader's methods over data in the order ops chooses:
// no panic, the offset stays within the input and never goes back, the
// first error sticks, and whatever a method accepts, vmihailenco/msgpack
// decodes to the same value from the same bytes. The writer functions are
// checked against msgpack's encoder and read back by the reader.
func FuzzCodec(f *testing.F) {
	f.Fuzz(func(t *testing.T, data, ops []byte) {
		fzCheckReader(t, data, ops)
		fzCheckCodecRoundTrip(t, data)
	})
}

const fzReaderOps = 8

func fzCheckReader(t *testing.T, data, ops []byte) {
	r := reader{b: data}
	for i, op := range ops[:min(len(ops), 512)] {
		start, failed := r.off, r.err != nil
		var val any
		var zero bool
		switch op % fzReaderOps {
		case 0:
			n := r.arrayLen()
			val, zero = n, n == 0
			if r.err == nil && (n < 0 || (data[start] == 0xdd && n > len(data))) {
				t.Fatalf("op %d: arrayLen %d", i, n)
			}
		case 1:
			v := r.uint()
			val, zero = v, v == 0
		case 2:
			v := r.int()
			val, zero = v, v == 0
		case 3:
			p := r.bin()
			val, zero = p, p == nil
			if r.err == nil && (p == nil || !bytes.Equal(p, data[r.off-len(p):r.off]) ||
				(len(p) > 0 && &p[0] != &data[r.off-len(p)])) {
				t.Fatalf("op %d: bin is not the input's bytes before the offset", i)
			}
		case 4:
			s := r.str()
			val, zero = s, s == ""
		case 5:
			id := r.optID()
			val, zero = id, id == [16]byte{}
		case 6:
			isNil := r.isNil()
			val, zero = isNil, !isNil
		case 7:
			var d [16]byte
			r.fixed(d[:])
			val, zero = d, d == [16]byte{}
		}
		if r.off < start || r.off > len(data) {
			t.Fatalf("op %d (%d): offset went from %d to %d in %d bytes", i, op%fzReaderOps, start, r.off, len(data))
		}
		if r.err != nil && r.err != ErrMalformed {
			t.Fatalf("op %d: error %v", i, r.err)
		}
		if failed && (r.err == nil || r.off != start || !zero) {
			t.Fatalf("op %d after an error: offset %d -> %d, value %v, err %v", i, start, r.off, val, r.err)
		}
		if r.err == nil {
			fzMsgpackAgrees(t, op%fzReaderOps, data[start:r.off], val)
		}
	}
}

// fzMsgpackAgrees decodes enc, what a reader method consumed, with
// vmihailenco/msgpack: it must give val and consume exactly enc.
func fzMsgpackAgrees(t *testing.T, op byte, enc []byte, val any) {
	rd := bytes.NewReader(enc)
	dec := msgpack.NewDecoder(rd)
	var got any
	var err error
	switch op {
	case 0:
		got, err = dec.DecodeArrayLen()
	case 1:
		got, err = dec.DecodeUint64()
	case 2:
		got, err = dec.DecodeInt64()
	case 3:
		var p []byte
		p, err = dec.DecodeBytes()
		if want := val.([]byte); err != nil || !bytes.Equal(p, want) || rd.Len() != 0 {
			t.Fatalf("reader bin read %x from %x; msgpack reads %x (%v) leaving %d bytes", want, enc, p, err, rd.Len())
		}
		return
	case 4:
		got, err = dec.DecodeString()
	case 5, 7:
		if op == 5 && bytes.Equal(enc, []byte{0xc0}) {
			err = dec.DecodeNil()
			got = [16]byte{}
			break
		}
		var p []byte
		if p, err = dec.DecodeBytes(); err == nil && len(p) == 16 {
			got = [16]byte(p)
		}
	case 6:
		got = len(enc) == 1 && enc[0] == 0xc0
		if len(enc) == 1 {
			err = dec.DecodeNil()
		} else if len(enc) != 0 {
			got = nil
		}
	}
	if err != nil || got != val || rd.Len() != 0 {
		t.Fatalf("reader op %d read %v from %x; msgpack reads %v (%v) leaving %d bytes", op, val, enc, got, err, rd.Len())
	}
}

func fzCheckCodecRoundTrip(t *testing.T, data []byte) {
	var w [8]byte
	copy(w[:], data)
	u := binary.LittleEndian.Uint64(w[:])
	ints := []int64{int64(u), int64(int8(u)), int64(int32(u)), -int64(u % 64)}
	n := int(u % (math.MaxUint16 + 1))
	big := make([]byte, int(u%70000))
	var id [16]byte
	copy(id[:], data[min(len(data), 8):])
	str := string(data)
	nonNil := append([]byte{}, data...)

	var b []byte
	var want bytes.Buffer
	enc := msgpack.NewEncoder(&want)
	enc.UseCompactInts(true)
	b = AppendArrayLen(b, n)
	enc.EncodeArrayLen(n)
	b = AppendUint(b, u)
	enc.EncodeUint(u)
	for _, v := range ints {
		b = AppendInt(b, v)
		if v >= -32 { // below that the writer always uses int64 (0xd3)
			enc.EncodeInt(v)
		} else {
			enc.EncodeInt64(v)
		}
	}
	b = AppendBin(b, nonNil)
	enc.EncodeBytes(nonNil)
	b = AppendBin(b, big)
	enc.EncodeBytes(big)
	b = AppendStr(b, str)
	enc.EncodeString(str)
	b = AppendStr(b, string(big))
	enc.EncodeString(string(big))
	b = AppendOptID(b, id)
	if id == [16]byte{} {
		enc.EncodeNil()
	} else {
		enc.EncodeBytes(id[:])
	}
	b = AppendOptID(b, [16]byte{})
	enc.EncodeNil()
	b = AppendNil(b)
	enc.EncodeNil()
	if !bytes.Equal(b, want.Bytes()) {
		t.Fatalf("writer output differs from msgpack's encoder for input %x", data)
	}

	r := reader{b: b}
	fail := func(what string, got, want any) {
		t.Helper()
		t.Fatalf("%s: read %v, wrote %v (off %d, err %v)", what, got, want, r.off, r.err)
	}
	if got := r.arrayLen(); got != n {
		fail("arrayLen", got, n)
	}
	if got := r.uint(); got != u {
		fail("uint", got, u)
	}
	for _, v := range ints {
		if got := r.int(); got != v {
			fail("int", got, v)
		}
	}
	if got := r.bin(); !bytes.Equal(got, nonNil) {
		fail("bin", got, nonNil)
	}
	if got := r.bin(); !bytes.Equal(got, big) {
		fail("bin", len(got), len(big))
	}
	if got := r.str(); got != str {
		fail("str", got, str)
	}
	if got := r.str(); got != string(big) {
		fail("str", len(got), len(big))
	}
	if got := r.optID(); got != id {
		fail("optID", got, id)
	}
	if got := r.optID(); got != [16]byte{} {
		fail("optID", got, [16]byte{})
	}
	if !r.isNil() {
		fail("isNil", false, true)
	}
	if r.err != nil || r.off != len(b) {
		fail("end", r.off, len(b))
	}
}
