package format

// FuzzCheckpoint: the index checkpoint's decoders. Its seed corpus
// (testdata/fuzz/FuzzCheckpoint) holds checkpoints of a real store and
// runs as a unit test; storage's TestFuzzWriteCheckpointSeeds rewrites it.
// Fuzz with
//
//	go test ./storage/format -run '^$' -fuzz '^FuzzCheckpoint$' -fuzztime 60s

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"slices"
	"testing"

	"github.com/batpak-go/batpak/messages"
)

// FuzzCheckpoint feeds file to DecodeCheckpoint and to the streaming
// decoder the engine uses (head, then entries in pieces while the checksum
// accumulates): no panic, both agree, and a checkpoint that decodes
// encodes back to the same bytes. spec drives a builder of valid
// checkpoints: each must decode to what was built, and a flipped bit must
// be refused.
func FuzzCheckpoint(f *testing.F) {
	f.Fuzz(func(t *testing.T, file []byte, piece uint16, spec []byte) {
		fzCheckDecodeCheckpoint(t, file, int(piece))
		fzCheckCheckpointRoundTrip(t, spec)
	})
}

func fzCheckDecodeCheckpoint(t *testing.T, file []byte, piece int) {
	var peeked []uint64 // what a loader sizing its index reads, unchecked
	if len(file) >= CheckpointHeaderSize {
		if _, off, end, err := CheckpointStreamsAt(file[:CheckpointHeaderSize], int64(len(file))); err == nil && end <= int64(len(file)) {
			ScanStreamVersions(file[off:end], func(s uint32, v uint64) { peeked = append(peeked, uint64(s)<<32^v) })
		}
	}
	c, err := DecodeCheckpoint(file)
	serr := fzStreamCheckpoint(file, piece)
	if (err == nil) != (serr == nil) {
		t.Fatalf("DecodeCheckpoint says %v, the streaming decoder %v", err, serr)
	}
	if err != nil {
		return
	}
	var versions []uint64
	_ = c.EachStream(func(s *CheckpointStream) error {
		versions = append(versions, uint64(s.Stream)<<32^s.Version)
		return nil
	})
	if !slices.Equal(peeked, versions) {
		t.Fatalf("peeked stream versions %x, decoded %x", peeked, versions)
	}
	if got := fzEncodeCheckpoint(c); !bytes.Equal(got, file) {
		t.Fatalf("a decoded checkpoint encodes to other bytes:\n got %x\nwant %x", got, file)
	}
}

// fzStreamCheckpoint decodes file as the engine's loader does: the head,
// then the entries a piece at a time, then the checksum and the counts.
func fzStreamCheckpoint(file []byte, piece int) error {
	if len(file) < CheckpointHeaderSize {
		return ErrCheckpoint
	}
	n, err := CheckpointHeadSize(file[:CheckpointHeaderSize], int64(len(file)))
	if err != nil {
		return err
	}
	h, err := DecodeCheckpointHead(file[:n])
	if err != nil {
		return err
	}
	crc := crc32.Update(0, Castagnoli, file[:n])
	ec := h.Entries()
	counts := map[uint32]uint32{}
	piece = CheckpointEntrySize * (1 + piece%64)
	for off := n; off < len(file)-4; {
		b := file[off:min(off+piece, len(file)-4)]
		crc = crc32.Update(crc, Castagnoli, b)
		off += len(b)
		for ; len(b) >= CheckpointEntrySize; b = b[CheckpointEntrySize:] {
			if err := ec.Next(b); err != nil {
				return err
			}
			counts[DecodeEntry(b).Stream]++
		}
	}
	if crc != binary.LittleEndian.Uint32(file[len(file)-4:]) {
		return ErrCheckpoint
	}
	if err := ec.Finish(); err != nil {
		return err
	}
	return h.EachStream(func(s *CheckpointStream) error {
		if counts[s.Stream] != s.Events {
			return ErrCheckpoint
		}
		return nil
	})
}

// fzEncodeCheckpoint encodes a decoded checkpoint again.
func fzEncodeCheckpoint(c *Checkpoint) []byte {
	b := AppendCheckpointHeader(nil, &c.Info)
	_ = c.EachStream(func(s *CheckpointStream) error {
		b = AppendCheckpointStream(b, s)
		return nil
	})
	for i := range c.Info.Runs {
		b = AppendSeqRun(b, c.Run(i))
	}
	for i := range c.Info.Corrs {
		b = AppendCorrRecord(b, c.Corr(i))
	}
	for i := range c.Info.Events {
		e := c.Entry(i)
		b = AppendCheckpointEntry(b, &e)
	}
	return FinishCheckpoint(b, 0)
}

// fzBuiltCheckpoint is what fzBuildCheckpoint built, to compare with what
// decodes.
type fzBuiltCheckpoint struct {
	info    CheckpointInfo
	streams []CheckpointStream
	runs    []SeqRun
	corrs   []CorrRecord
	entries []CheckpointEntry
}

// fzBuildCheckpoint builds a valid checkpoint from fuzz bytes.
func fzBuildCheckpoint(src *fzSrc) fzBuiltCheckpoint {
	var c fzBuiltCheckpoint
	in := &c.info
	in.Segment = 2 + uint64(src.u16())
	in.Base = uint32(src.u16())
	in.BaseStreams = uint32(src.byte())
	existing := min(int(src.byte()%4), int(in.BaseStreams))
	fresh := int(src.byte() % 4)
	var list []uint32
	for i := range existing { // ascending, below BaseStreams
		list = append(list, uint32(i)*in.BaseStreams/uint32(existing))
	}
	for i := range fresh {
		list = append(list, in.BaseStreams+uint32(i))
	}
	n := 0
	if len(list) > 0 {
		n = len(list) + int(src.byte()%24)
	}
	counts := make([]uint32, len(list))
	at := Position{Segment: in.Segment - 1, Offset: HeaderSize}
	back := int(src.byte() % 3)
	for i := range n {
		if i == back {
			at = Position{Segment: in.Segment, Offset: HeaderSize}
		}
		k := i % len(list)
		if i >= len(list) {
			k = int(src.byte()) % len(list)
		}
		counts[k]++
		e := CheckpointEntry{ID: src.id(), Offset: uint32(at.Offset) + uint32(src.byte()%8), Size: FrameHeaderSize + uint32(src.byte()%64),
			Stream: list[k], Kind: messages.EventKind(src.u16()), Back: uint8(in.Segment - at.Segment)}
		e.ID[0] |= 1
		if src.byte()%4 == 0 {
			e.Flags = EntryCorr
			corr := src.id()
			corr[1] |= 1
			if corr == e.ID {
				corr[15] ^= 0xFF
			}
			c.corrs = append(c.corrs, CorrRecord{Pos: uint32(i), Corr: corr})
		}
		c.entries = append(c.entries, e)
		at.Offset = int64(e.Offset) + int64(e.Size)
	}
	in.Print = SegmentPrint{HeaderCRC: uint32(src.u64()), FooterCRC: uint32(src.u64())}
	in.Print.FooterOffset = max(at.Offset, HeaderSize) + int64(src.byte())
	in.Print.Size = in.Print.FooterOffset + FrameHeaderSize + TrailerSize + int64(src.u16())
	seq := src.u64() >> 8
	for i := range n {
		if i == 0 || src.byte()%8 == 0 {
			c.runs = append(c.runs, SeqRun{Pos: uint32(i), Seq: seq})
		}
		seq += 1 + uint64(src.byte()%2)*uint64(src.byte())
	}
	for k, s := range list {
		st := CheckpointStream{Stream: s, Events: counts[k], Version: uint64(counts[k]), WallMS: int64(src.u64() >> 1),
			Hash: messages.Hash(bytes.Repeat([]byte{src.byte()}, 32)), Entity: []byte{'e', 'a' + src.byte()%26}, Scope: []byte("s")}
		if s < in.BaseStreams {
			st.Version += uint64(src.byte())
		}
		c.streams = append(c.streams, st)
	}
	in.Resume = Position{Segment: in.Segment + 1}
	if src.byte()%2 == 1 {
		in.Held = src.id()
		in.Held[2] |= 1
		if at.Segment == in.Segment && at.Offset < in.Print.FooterOffset && src.byte()%2 == 1 {
			in.Resume = at // inside the segment, at the batch's first item
		}
	}
	in.Events, in.Runs, in.Corrs, in.Streams = n, len(c.runs), len(c.corrs), len(c.streams)
	return c
}

func (c *fzBuiltCheckpoint) encode() []byte {
	b := AppendCheckpointHeader(nil, &c.info)
	for i := range c.streams {
		b = AppendCheckpointStream(b, &c.streams[i])
	}
	for _, r := range c.runs {
		b = AppendSeqRun(b, r)
	}
	for _, r := range c.corrs {
		b = AppendCorrRecord(b, r)
	}
	for i := range c.entries {
		b = AppendCheckpointEntry(b, &c.entries[i])
	}
	return FinishCheckpoint(b, 0)
}

func fzCheckCheckpointRoundTrip(t *testing.T, spec []byte) {
	src := &fzSrc{b: spec}
	want := fzBuildCheckpoint(src)
	file := want.encode()
	c, err := DecodeCheckpoint(file)
	if err != nil {
		t.Fatalf("a built checkpoint does not decode: %v", err)
	}
	if err := fzStreamCheckpoint(file, int(src.byte())); err != nil {
		t.Fatalf("a built checkpoint does not stream: %v", err)
	}
	if c.Info != want.info {
		t.Fatalf("info: got %+v, want %+v", c.Info, want.info)
	}
	for i := range want.entries {
		if got := c.Entry(i); got != want.entries[i] {
			t.Fatalf("entry %d: got %+v, want %+v", i, got, want.entries[i])
		}
	}
	for i := range want.runs {
		if c.Run(i) != want.runs[i] {
			t.Fatalf("run %d", i)
		}
	}
	for i := range want.corrs {
		if c.Corr(i) != want.corrs[i] {
			t.Fatalf("correlation %d", i)
		}
	}
	i := 0
	_ = c.EachStream(func(s *CheckpointStream) error {
		w := want.streams[i]
		if s.Stream != w.Stream || s.Events != w.Events || s.Version != w.Version || s.WallMS != w.WallMS ||
			s.Hash != w.Hash || !bytes.Equal(s.Entity, w.Entity) || !bytes.Equal(s.Scope, w.Scope) {
			t.Fatalf("stream record %d: got %+v, want %+v", i, s, w)
		}
		i++
		return nil
	})
	if c.NewStreams != countNew(want) {
		t.Fatalf("%d new streams, want %d", c.NewStreams, countNew(want))
	}
	// A flipped bit anywhere is refused (crc32c catches every one).
	pos := int(src.u16()) % len(file)
	file[pos] ^= 1 << (src.byte() % 8)
	if _, err := DecodeCheckpoint(file); err == nil {
		t.Fatalf("a checkpoint with bit %d flipped decodes", pos)
	}
	if err := fzStreamCheckpoint(file, 0); err == nil {
		t.Fatalf("a checkpoint with bit %d flipped streams", pos)
	}
}

func countNew(c fzBuiltCheckpoint) int {
	n := 0
	for _, s := range c.streams {
		if s.Stream >= c.info.BaseStreams {
			n++
		}
	}
	return n
}
