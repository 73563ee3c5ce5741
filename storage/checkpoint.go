package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/batpak-go/batpak/storage/format"
)

// Index checkpoints (format/checkpoint.go has the layout): one file per
// sealed segment, NNNNNNNNNN.idx, holding what the segment added to the
// index, so that Open loads it instead of replaying the segment.
//
// A checkpoint is written by the writer's goroutine, synchronously (the
// engine starts no goroutine): when a segment is sealed by a rotation, for
// the segments before it whose events are all in the index by then (the
// index completes a segment's span when the first event of a later segment
// is published: usually the segment sealed one rotation earlier); at Close,
// for the rest; and at the end of Open, for the segments it had to replay.
// Writing one costs O(events of the segment): its entries are encoded from
// the index (a few ms for a 64 MiB segment), the file is written and
// renamed into place without fsync.
//
// A checkpoint is a cache: it is never fsynced, and nothing depends on it.
// Open uses it only if it decodes (its checksum holds), matches the segment
// file it describes (size, header crc, footer offset, and the footer
// frame's crc, which Open recomputes), and fits the index built so far
// (position, stream count, sequences, each touched stream's coordinate and
// version). Anything else (a torn, stale or foreign checkpoint) is ignored
// with a reason in RecoveryReport.CheckpointsIgnored, and that segment and
// every later one are replayed from footers or scans (and checkpointed
// again). A failure to write one is counted in Stats.CheckpointErrors and
// otherwise ignored.

// writeCheckpoints writes the checkpoints of the segments the index has
// completed since the last call. Failures are counted, not returned.
func (e *Engine) writeCheckpoints() {
	for _, sp := range e.idx.spans.take() {
		written, err := e.writeCheckpoint(sp)
		switch {
		case err != nil:
			e.ckptErrors++
		case written:
			e.ckptWritten++
		}
	}
}

// writeCheckpoint writes the checkpoint of one completed span, if its
// segment is open and sealed with a footer (else it returns false, nil).
// Only the writer calls it, so it reads the index without the lock.
func (e *Engine) writeCheckpoint(sp *span) (bool, error) {
	x := e.idx
	f := x.segments[sp.seg]
	if f == nil {
		return false, nil
	}
	size, err := f.Size()
	if err != nil {
		return false, err
	}
	print, _, err := format.ReadSegmentPrint(f, sp.seg, size, false, nil)
	if err != nil {
		return false, nil // no footer (too large, or not sealed): scanned at Open
	}
	b, ok := e.encodeCheckpoint(e.ckptBuf[:0], sp, print)
	e.ckptBuf = b
	if !ok {
		return false, nil
	}
	return true, e.writeCheckpointFile(sp.seg, b)
}

// encodeCheckpoint appends the checkpoint of span sp of a segment with the
// given print to b. It returns false (and b unusable) if the span cannot
// be described: an event more than 255 segments before its own.
func (e *Engine) encodeCheckpoint(b []byte, sp *span, print format.SegmentPrint) ([]byte, bool) {
	x := e.idx
	first, end := sp.first, sp.end
	// The sequence runs that cover [first, end), relative to first.
	var runs []format.SeqRun
	if end > first {
		runs = append(runs, format.SeqRun{Pos: 0, Seq: x.seqOf(first)})
		i := sort.Search(len(x.seqs), func(i int) bool { return x.seqs[i].pos > first })
		for ; i < len(x.seqs) && x.seqs[i].pos < end; i++ {
			runs = append(runs, format.SeqRun{Pos: x.seqs[i].pos - first, Seq: x.seqs[i].seq})
		}
	}
	c0 := sort.Search(x.corrs.n, func(i int) bool { return x.corrs.at(uint32(i)).pos >= first })
	c1 := c0
	for c1 < x.corrs.n && x.corrs.at(uint32(c1)).pos < end {
		c1++
	}
	tails := slices.Clone(sp.tails)
	slices.SortFunc(tails, func(a, b spanTail) int { return int64cmp(int64(a.stream), int64(b.stream)) })
	info := format.CheckpointInfo{Segment: sp.seg, Print: print, Base: first, BaseStreams: sp.firstStream,
		Events: int(end - first), Runs: len(runs), Corrs: c1 - c0, Streams: len(tails),
		Resume: sp.resume, Held: sp.held}
	counts := e.ckptCounts[:0]
	counts = slices.Grow(counts, int(sp.endStream))[:sp.endStream]
	for p := first; p < end; p++ {
		en := x.at(p)
		if sp.seg-uint64(en.segment) > 255 {
			clear(counts)
			e.ckptCounts = counts
			return b, false
		}
		counts[en.stream]++
	}
	start := len(b)
	b = slices.Grow(b, format.CheckpointHeaderSize+int(end-first)*format.CheckpointEntrySize+len(tails)*80)
	b = format.AppendCheckpointHeader(b, &info)
	for _, t := range tails {
		c := x.streams[t.stream].coord
		b = format.AppendCheckpointStream(b, &format.CheckpointStream{Stream: t.stream, Events: counts[t.stream],
			Version: t.version, WallMS: t.wall, Hash: t.hash, Entity: []byte(c.Entity), Scope: []byte(c.Scope)})
		counts[t.stream] = 0
	}
	e.ckptCounts = counts
	for _, r := range runs {
		b = format.AppendSeqRun(b, r)
	}
	for i := c0; i < c1; i++ {
		r := x.corrs.at(uint32(i))
		b = format.AppendCorrRecord(b, format.CorrRecord{Pos: r.pos - first, Corr: r.corr})
	}
	for p := first; p < end; p++ {
		en := x.at(p)
		b = format.AppendCheckpointEntry(b, &format.CheckpointEntry{ID: en.id, Offset: en.offset, Size: en.size,
			Stream: en.stream, Kind: en.kind, Flags: en.flags, Back: uint8(sp.seg - uint64(en.segment))})
	}
	return format.FinishCheckpoint(b, start), true
}

func int64cmp(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// writeCheckpointFile writes b as segment id's checkpoint: to a temporary
// file, renamed over the checkpoint. Neither is fsynced: a power cut may
// leave a damaged or missing checkpoint, which Open ignores.
func (e *Engine) writeCheckpointFile(id uint64, b []byte) error {
	path := filepath.Join(e.dir, format.CheckpointName(id))
	tmp := path + tmpExt
	f, err := e.fs.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("storage: create checkpoint of segment %d: %w", id, err)
	}
	_, werr := f.WriteAt(b, 0)
	cerr := f.Close()
	if werr == nil && cerr == nil {
		werr = e.fs.Rename(tmp, path)
	} else if werr == nil {
		werr = cerr
	}
	if werr != nil {
		e.fs.Remove(tmp) // best effort; Open removes leftovers
		return fmt.Errorf("storage: write checkpoint of segment %d: %w", id, werr)
	}
	return nil
}

// tmpExt ends the name of a checkpoint being written.
const tmpExt = ".tmp"

// removeStaleCheckpoints removes checkpoint files of segments that are not
// in the directory (cut, set aside by a repair, or never sealed) and
// half-written ones. Best effort: a stale checkpoint is never used anyway.
func (e *Engine) removeStaleCheckpoints() {
	names, err := e.fs.ReadDir(e.dir)
	if err != nil {
		return
	}
	for _, n := range names {
		id, ok := format.ParseCheckpointName(n)
		switch {
		case ok && e.idx.segments[id] == nil,
			!ok && filepath.Ext(n) == tmpExt && filepath.Ext(n[:len(n)-len(tmpExt)]) == format.CheckpointExt:
			e.fs.Remove(filepath.Join(e.dir, n))
		}
	}
}
