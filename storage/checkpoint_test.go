package storage

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/stretchr/testify/require"
)

// The index checkpoints: Open loads them instead of replaying the log, so
// the index it builds from them must be exactly the one a replay builds,
// and a checkpoint that is damaged, stale or foreign must be ignored.

const ckDir = "/ck"

// ckWork appends a random workload: single events (some keyed, some
// correlated to an earlier event, some correlated to the key-derived id of
// an event that comes later: an orphan until then) and atomic batches
// (some larger than a segment), committed in groups.
type ckWork struct {
	rng     *rand.Rand
	ids     []messages.ID // events appended so far
	pending []messages.ID // keys whose events are yet to come (orphan roots)
	n       int
	keys    int
}

func (w *ckWork) coord() messages.Coordinate {
	return messages.Coordinate{Entity: fmt.Sprintf("e%d", w.rng.IntN(7)), Scope: []string{"a", "b"}[w.rng.IntN(2)]}
}

func (w *ckWork) payload(lo, hi int) []byte {
	return make([]byte, lo+w.rng.IntN(hi-lo+1))
}

// corr picks a correlation for a new event: none (a root), an earlier
// event's id, or the id of a keyed event that is yet to be written.
func (w *ckWork) corr() messages.ID {
	switch r := w.rng.IntN(10); {
	case r < 2 && len(w.ids) > 0:
		return w.ids[w.rng.IntN(len(w.ids))]
	case r == 2:
		w.keys++
		k := messages.ID{0xAB, byte(w.keys), byte(w.keys >> 8), byte(w.keys >> 16), byte(w.rng.IntN(256))}
		w.pending = append(w.pending, k)
		return messages.IDFromKey(k)
	}
	return messages.ID{}
}

// groups stages and commits n groups on e.
func (w *ckWork) groups(t *testing.T, e *Engine, n int) {
	t.Helper()
	for range n {
		for range 1 + w.rng.IntN(3) {
			w.n++
			if w.rng.IntN(4) == 0 {
				w.batch(t, e)
				continue
			}
			a := &messages.Append{Coordinate: w.coord(), Kind: messages.MustKind(1, 1), Payload: w.payload(10, 300),
				CorrelationID: w.corr()}
			if len(w.pending) > 0 && w.rng.IntN(3) == 0 { // a keyed root named earlier as a correlation
				a.IdempotencyKey, w.pending = w.pending[0], w.pending[1:]
				a.CorrelationID = messages.ID{}
			}
			r, err := e.Append(a)
			require.NoError(t, err)
			w.ids = append(w.ids, r.EventID)
		}
		require.NoError(t, e.Commit())
	}
}

func (w *ckWork) batch(t *testing.T, e *Engine) {
	t.Helper()
	items := make([]messages.BatchItem, 2+w.rng.IntN(7))
	big := w.rng.IntN(3) == 0
	for i := range items {
		items[i] = messages.BatchItem{Coordinate: w.coord(), Kind: messages.MustKind(2, 1), Payload: w.payload(10, 200),
			CorrelationID: w.corr()}
		if big {
			items[i].Payload = w.payload(600, 900) // the batch spans a rotation
		}
		if i > 0 && w.rng.IntN(3) == 0 {
			items[i].Causation = messages.CausedByItem(w.rng.IntN(i))
		}
	}
	rs, err := e.AppendBatch(&messages.AppendBatch{Items: items})
	require.NoError(t, err)
	for _, r := range rs {
		w.ids = append(w.ids, r.EventID)
	}
}

func ckOpts(fsys fs.FS) Options {
	return Options{FS: fsys, SegmentSize: 4096, Clock: ftClock()}
}

func ckOpen(t *testing.T, fsys fs.FS) *Engine {
	t.Helper()
	e, err := Open(ckDir, ckOpts(fsys))
	require.NoError(t, err)
	return e
}

// withoutCheckpoints returns a copy of mem without its checkpoint files.
func withoutCheckpoints(t *testing.T, mem *fs.Mem) *fs.Mem {
	t.Helper()
	c := mem.Clone()
	names, err := c.ReadDir(ckDir)
	require.NoError(t, err)
	for _, n := range names {
		if strings.Contains(n, format.CheckpointExt) {
			require.NoError(t, c.Remove(filepath.Join(ckDir, n)))
		}
	}
	return c
}

// checkpointFiles returns the names of the checkpoint files in mem.
func checkpointFiles(t *testing.T, mem *fs.Mem) []string {
	t.Helper()
	names, err := mem.ReadDir(ckDir)
	require.NoError(t, err)
	var out []string
	for _, n := range names {
		if _, ok := format.ParseCheckpointName(n); ok {
			out = append(out, n)
		}
	}
	return out
}

// requireSameIndex checks that got is exactly want: every entry (with its
// sequence and correlation), every stream (positions and tail), every id
// and correlation lookup.
func requireSameIndex(t *testing.T, want, got *index, ctx string) {
	t.Helper()
	require.Equal(t, want.count(), got.count(), "%s: events", ctx)
	corrs := map[messages.ID]bool{}
	for p := range uint32(want.count()) {
		require.Equal(t, *want.at(p), *got.at(p), "%s: entry %d", ctx, p)
		require.Equal(t, want.ref(p), got.ref(p), "%s: ref %d", ctx, p)
		id := want.at(p).id
		gp, ok := got.byID.find(id, got.idOf)
		require.True(t, ok, "%s: id of entry %d not found", ctx, p)
		require.Equal(t, p, gp, "%s: id of entry %d", ctx, p)
		corrs[want.corrOf(p)] = true
		require.Equal(t, int(p), got.bySeq(want.seqOf(p)), "%s: bySeq of entry %d", ctx, p)
	}
	for c := range corrs {
		wp, wok := want.latestOfCorrelation(c)
		gp, gok := got.latestOfCorrelation(c)
		require.Equal(t, wok, gok, "%s: correlation %s", ctx, c)
		require.Equal(t, wp, gp, "%s: correlation %s", ctx, c)
	}
	require.Equal(t, want.orphans, got.orphans, "%s: orphans", ctx)
	require.Equal(t, want.nextSeq(), got.nextSeq(), "%s: next sequence", ctx)
	require.Equal(t, len(want.streams), len(got.streams), "%s: streams", ctx)
	for i, ws := range want.streams {
		gs := got.streams[i]
		require.Equal(t, ws.coord, gs.coord, "%s: stream %d", ctx, i)
		require.Equal(t, ws.pos, gs.pos, "%s: stream %d positions", ctx, i)
		require.Equal(t, ws.tail(), gs.tail(), "%s: stream %d tail", ctx, i)
		_, gi := got.lookupStream(ws.coord)
		require.Equal(t, uint32(i), gi, "%s: stream %d lookup", ctx, i)
	}
}

// requireSameReads checks that every read answers the same on both
// engines: the whole log, each stream, each correlation.
func requireSameReads(t *testing.T, want, got *Engine, ctx string) {
	t.Helper()
	we, err := want.Query(Filter{})
	require.NoError(t, err, ctx)
	ge, err := got.Query(Filter{})
	require.NoError(t, err, ctx)
	require.Equal(t, we, ge, "%s: query", ctx)
	seen := map[messages.Coordinate]bool{}
	for _, ev := range we {
		if !seen[ev.Coordinate] {
			seen[ev.Coordinate] = true
			ws, err := want.Stream(ev.Coordinate, 1)
			require.NoError(t, err)
			gs, err := got.Stream(ev.Coordinate, 1)
			require.NoError(t, err)
			require.Equal(t, ws, gs, "%s: stream %s", ctx, ev.Coordinate)
		}
		wc, err := want.ByCorrelation(ev.CorrelationID)
		require.NoError(t, err)
		gc, err := got.ByCorrelation(ev.CorrelationID)
		require.NoError(t, err)
		require.Equal(t, wc, gc, "%s: correlation %s", ctx, ev.CorrelationID)
	}
	_, err = got.Verify()
	require.NoError(t, err, ctx)
}

// requireLikeReplay opens fsys as is (checkpoints loaded) and a copy
// without checkpoints (the log replayed) and checks that both give the
// same index and reads; it returns the engine that loaded checkpoints.
func requireLikeReplay(t *testing.T, mem *fs.Mem, ctx string) *Engine {
	t.Helper()
	ref := ckOpen(t, withoutCheckpoints(t, mem))
	defer ref.Close()
	require.Zero(t, ref.Stats().Recovery.CheckpointSegments, ctx)
	e := ckOpen(t, mem)
	requireSameIndex(t, ref.idx, e.idx, ctx)
	requireSameReads(t, ref, e, ctx)
	return e
}

func TestCheckpointEntrySize(t *testing.T) {
	require.Equal(t, uintptr(40), unsafe.Sizeof(entry{}), "the index entry")
}

// TestCheckpointAfterCloseEqualsReplay: over several sessions closed
// cleanly, every segment is loaded from its checkpoint, and the index is
// the one the writer built and the one a replay of the log builds.
func TestCheckpointAfterCloseEqualsReplay(t *testing.T) {
	seed := ftSeed(t)
	w := &ckWork{rng: ftRand(seed)}
	mem := fs.NewMem()
	for s := range 4 {
		e := ckOpen(t, mem)
		w.groups(t, e, 40)
		live := e.idx
		require.NoError(t, e.Close())
		require.Positive(t, e.WriterStats().Checkpoints)
		ctx := fmt.Sprintf("session %d", s)
		e = requireLikeReplay(t, mem, ctx)
		rec := e.Stats().Recovery
		require.Greater(t, rec.Segments, 3, ctx)
		require.Equal(t, rec.Segments, rec.CheckpointSegments, "%s: every segment from its checkpoint (ignored: %v)", ctx, rec.CheckpointsIgnored)
		require.Zero(t, rec.ScannedSegments, ctx)
		requireSameIndex(t, live, e.idx, ctx+": against the writer's index")
		require.NoError(t, e.Close())
	}
	require.Positive(t, w.n)
}

// TestCheckpointAfterCrashEqualsReplay: a crash (Abandon) mid-segment
// leaves the sealed segments checkpointed but the last one to scan; Open
// loads the checkpoints, replays the rest, and seals the last segment, so
// that the next Open scans nothing.
func TestCheckpointAfterCrashEqualsReplay(t *testing.T) {
	seed := ftSeed(t)
	w := &ckWork{rng: ftRand(seed)}
	mem := fs.NewMem()
	e := ckOpen(t, mem)
	for s := range 4 {
		w.groups(t, e, 30+w.rng.IntN(20))
		live := e.idx
		require.NoError(t, e.Abandon())
		crashed := mem.Clone() // what the crash left
		ctx := fmt.Sprintf("crash %d", s)
		e = requireLikeReplay(t, mem, ctx)
		rec := e.Stats().Recovery
		require.Positive(t, rec.CheckpointSegments, "%s: %+v", ctx, rec)
		require.Equal(t, 1, rec.ScannedSegments, ctx)
		last := rec.Sealed
		require.NotZero(t, last, "%s: the scanned last segment is sealed", ctx)
		requireSameIndex(t, live, e.idx, ctx+": against the writer's index")

		// The same crash opened, sealed, and crashed again: the sealed
		// segment is loaded from its checkpoint, only the (empty) segment
		// the first Open started is scanned.
		img := crashed.Clone()
		again := ckOpen(t, img)
		require.NoError(t, again.Abandon())
		e2 := ckOpen(t, img)
		rec2 := e2.Stats().Recovery
		require.Equal(t, 1, rec2.ScannedSegments, ctx)
		require.Equal(t, last+1, rec2.Sealed, "%s: only the empty segment is scanned", ctx)
		require.Equal(t, rec2.Segments-1, rec2.CheckpointSegments, "%s: %+v", ctx, rec2)
		requireSameIndex(t, live, e2.idx, ctx+": reopened after the seal")
		require.NoError(t, e2.Close())
	}
	require.NoError(t, e.Close())
}

// TestCheckpointResumesInsideABatch: a batch that runs from one segment
// into the next is left to the next checkpoint; when that one is missing,
// Open resumes the replay at the batch's first item.
func TestCheckpointResumesInsideABatch(t *testing.T) {
	mem := fs.NewMem()
	e := ckOpen(t, mem)
	big := make([]byte, 700)
	for i := range 12 { // batches of 8 items of ~760 bytes: each spans a rotation
		items := make([]messages.BatchItem, 8)
		for j := range items {
			items[j] = messages.BatchItem{Coordinate: ftCoord(j % 3), Kind: messages.MustKind(1, 1), Payload: big}
		}
		_, err := e.AppendBatch(&messages.AppendBatch{Items: items})
		require.NoError(t, err)
		require.NoError(t, e.Commit(), "batch %d", i)
	}
	live := e.idx
	require.NoError(t, e.Close())
	files := checkpointFiles(t, mem)
	require.Greater(t, len(files), 6)
	// Drop the checkpoints from the middle on: the one before ends where a
	// batch begins.
	mid := mem.Clone()
	for _, n := range files[len(files)/2:] {
		require.NoError(t, mid.Remove(filepath.Join(ckDir, n)))
	}
	e = requireLikeReplay(t, mid, "resumed")
	rec := e.Stats().Recovery
	require.Positive(t, rec.CheckpointSegments)
	requireSameIndex(t, live, e.idx, "resumed: against the writer's index")
	require.NoError(t, e.Close())
	require.Equal(t, files, checkpointFiles(t, mid), "Close rewrote the missing checkpoints")
	e = ckOpen(t, mid)
	require.Equal(t, e.Stats().Recovery.Segments, e.Stats().Recovery.CheckpointSegments)
	requireSameIndex(t, live, e.idx, "rewritten")
	require.NoError(t, e.Close())
}

// ckDamage changes one checkpoint file of a closed store in a way Open
// must refuse, and says which reason it must give.
type ckDamage struct {
	name   string
	reason string
	change func(t *testing.T, mem *fs.Mem, seg uint64, b []byte) []byte
}

var ckDamages = []ckDamage{
	{"a flipped bit in an entry", "checksum", func(_ *testing.T, _ *fs.Mem, _ uint64, b []byte) []byte {
		b[len(b)-4-format.CheckpointEntrySize+3] ^= 0x10 // the last entry's id
		return b
	}},
	{"a flipped bit anywhere", "", func(_ *testing.T, _ *fs.Mem, _ uint64, b []byte) []byte {
		b[len(b)/3] ^= 0x10
		return b
	}},
	{"truncated", "", func(_ *testing.T, _ *fs.Mem, _ uint64, b []byte) []byte { return b[:len(b)*2/3] }},
	{"empty", "", func(_ *testing.T, _ *fs.Mem, _ uint64, b []byte) []byte { return nil }},
	{"zeros (a power cut kept the name, not the data)", "", func(_ *testing.T, _ *fs.Mem, _ uint64, b []byte) []byte {
		return make([]byte, len(b))
	}},
	{"another segment's checkpoint", "made for", func(t *testing.T, mem *fs.Mem, seg uint64, _ []byte) []byte {
		b, err := mem.ReadFile(filepath.Join(ckDir, format.CheckpointName(seg+1)))
		require.NoError(t, err)
		return b
	}},
	{"a foreign store's checkpoint", "another version of the segment", func(t *testing.T, _ *fs.Mem, seg uint64, _ []byte) []byte {
		other := fs.NewMem()
		e := ckOpen(t, other)
		(&ckWork{rng: ftRand(99)}).groups(t, e, 60)
		require.NoError(t, e.Close())
		b, err := other.ReadFile(filepath.Join(ckDir, format.CheckpointName(seg)))
		require.NoError(t, err)
		return b
	}},
}

// TestCheckpointDamagedIsIgnoredAndRebuilt: a corrupt, truncated, empty,
// misplaced or foreign checkpoint is ignored with a reason; that segment
// and the later ones are replayed; the index is the replay's; Close writes
// the checkpoint again, and the next Open uses it.
func TestCheckpointDamagedIsIgnoredAndRebuilt(t *testing.T) {
	seed := ftSeed(t)
	base := fs.NewMem()
	e := ckOpen(t, base)
	(&ckWork{rng: ftRand(seed)}).groups(t, e, 60)
	require.NoError(t, e.Close())
	files := checkpointFiles(t, base)
	require.Greater(t, len(files), 4)
	k := 2 // the damaged checkpoint: the third with events
	for ; ; k++ {
		b, err := base.ReadFile(filepath.Join(ckDir, files[k]))
		require.NoError(t, err)
		if binary.LittleEndian.Uint32(b[48:]) > 0 {
			break
		}
	}
	seg, _ := format.ParseCheckpointName(files[k])
	for _, d := range ckDamages {
		t.Run(d.name, func(t *testing.T) {
			mem := base.Clone()
			path := filepath.Join(ckDir, files[k])
			b, err := mem.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, mem.WriteFile(path, d.change(t, mem, seg, b)))
			e := requireLikeReplay(t, mem, d.name)
			rec := e.Stats().Recovery
			ckRequireUsedBefore(t, rec, k)
			require.Len(t, rec.CheckpointsIgnored, 1)
			require.Contains(t, rec.CheckpointsIgnored[0], fmt.Sprintf("segment %d:", seg))
			require.Contains(t, rec.CheckpointsIgnored[0], d.reason)
			require.NoError(t, e.Close())
			e = ckOpen(t, mem)
			rec = e.Stats().Recovery
			require.Equal(t, rec.Segments, rec.CheckpointSegments, "rebuilt at Close: %v", rec.CheckpointsIgnored)
			require.NoError(t, e.Close())
		})
	}
}

// TestCheckpointOfAChangedSegmentIsIgnored: a segment cut (by Options.
// CutAfter, or by a repair) or whose footer was rewritten no longer
// matches its checkpoint.
func TestCheckpointOfAChangedSegmentIsIgnored(t *testing.T) {
	seed := ftSeed(t)
	base := fs.NewMem()
	e := ckOpen(t, base)
	w := &ckWork{rng: ftRand(seed)}
	w.groups(t, e, 60)
	require.NoError(t, e.Close())
	files := checkpointFiles(t, base)
	require.Greater(t, len(files), 4)
	seg, _ := format.ParseCheckpointName(files[2])
	layout := ftLayoutIn(t, base, ckDir)

	t.Run("CutAfter", func(t *testing.T) {
		mem := base.Clone()
		var l ftSegLayout
		for _, s := range layout {
			if s.id == seg {
				l = s
			}
		}
		cut := Position{Segment: seg, Offset: l.data()[len(l.data())/2].off}
		o := ckOpts(mem)
		o.CutAfter = &cut
		e, err := Open(ckDir, o)
		require.NoError(t, err)
		rec := e.Stats().Recovery
		require.NotEmpty(t, rec.CutUnacknowledged)
		ckRequireUsedBefore(t, rec, 2)
		require.Len(t, rec.CheckpointsIgnored, 1)
		require.Contains(t, rec.CheckpointsIgnored[0], "no valid footer", "the cut took the footer")
		require.NoError(t, e.Close())
		for _, n := range checkpointFiles(t, mem) {
			id, _ := format.ParseCheckpointName(n)
			require.LessOrEqual(t, id, seg+1, "checkpoints of removed segments are removed")
		}
		requireLikeReplay(t, mem, "after CutAfter").Close()
	})
	t.Run("repair", func(t *testing.T) {
		mem := base.Clone()
		var l ftSegLayout
		for _, s := range layout {
			if s.id == seg {
				l = s
			}
		}
		f := l.data()[1]
		ckFlip(t, mem, seg, f.off+int64(f.size)/2)                   // a data frame
		ckFlip(t, mem, seg, l.footer().off+int64(l.footer().size)/2) // and the footer: Open must scan
		_, err := Open(ckDir, ckOpts(mem))
		require.ErrorIs(t, err, ErrCorrupt, "damage the checkpoint must not hide")
		o := ckOpts(mem)
		o.Repair = true
		e, err := Open(ckDir, o)
		require.NoError(t, err)
		rec := e.Stats().Recovery
		require.NotEmpty(t, rec.Repaired)
		ckRequireUsedBefore(t, rec, 2)
		require.NoError(t, e.Close())
		requireLikeReplay(t, mem, "after repair").Close()
	})
}

// ckRequireUsedBefore checks that no checkpoint from the n+1-th on was
// used (the ones before are, unless a batch that runs past them begins
// earlier: the replay then resumes at its first item).
func ckRequireUsedBefore(t *testing.T, rec RecoveryReport, n int) {
	t.Helper()
	require.LessOrEqual(t, rec.CheckpointSegments, n, "%+v", rec)
	require.Equal(t, rec.Segments, rec.FooterSegments+rec.ScannedSegments, "%+v", rec)
}

// ckFlip flips a bit of byte off of segment seg.
func ckFlip(t *testing.T, mem *fs.Mem, seg uint64, off int64) {
	t.Helper()
	path := filepath.Join(ckDir, format.SegmentName(seg))
	b, err := mem.ReadFile(path)
	require.NoError(t, err)
	b[off] ^= 0x08
	require.NoError(t, mem.WriteFile(path, b))
}

// ftLayoutIn is ftLayout for a store in dir.
func ftLayoutIn(t *testing.T, m *fs.Mem, dir string) []ftSegLayout {
	t.Helper()
	names, err := m.ReadDir(dir)
	require.NoError(t, err)
	var out []ftSegLayout
	for _, n := range names {
		id, ok := format.ParseSegmentName(n)
		if !ok {
			continue
		}
		b, err := m.ReadFile(filepath.Join(dir, n))
		require.NoError(t, err)
		out = append(out, ftParseSegment(t, id, b))
	}
	return out
}

// TestCheckpointAfterPowerLoss: power-loss images (synced data kept, any
// subset of the unsynced pages, checkpoint files included: they are never
// synced) give the replay's index.
func TestCheckpointAfterPowerLoss(t *testing.T) {
	seed := ftSeed(t)
	rng := ftRand(seed)
	mem := fs.NewMem()
	e := ckOpen(t, mem)
	w := &ckWork{rng: rng}
	for round := range 6 {
		w.groups(t, e, 20+rng.IntN(20))
		if round%2 == 1 {
			require.NoError(t, e.Close())
			e = ckOpen(t, mem)
		}
		for i := range 3 {
			img := mem.PowerLoss(rng)
			ctx := fmt.Sprintf("round %d image %d", round, i)
			requireLikeReplay(t, img, ctx).Close()
		}
	}
	require.NoError(t, e.Close())
}

// TestCheckpointWriteFailure: a checkpoint that fails to write is counted
// and otherwise harmless: the store works, and the next Open replays that
// segment.
func TestCheckpointWriteFailure(t *testing.T) {
	mem := fs.NewMem()
	fy := &ckFailIdx{FS: mem}
	e := ckOpen(t, fy)
	(&ckWork{rng: ftRand(5)}).groups(t, e, 60)
	require.NoError(t, e.Close())
	st := e.WriterStats()
	require.Positive(t, st.CheckpointErrors)
	require.Zero(t, st.Checkpoints)
	require.Empty(t, checkpointFiles(t, mem))
	e = requireLikeReplay(t, mem, "no checkpoints")
	require.Zero(t, e.Stats().Recovery.CheckpointSegments)
	require.NoError(t, e.Close())
	require.NotEmpty(t, checkpointFiles(t, mem), "a working file system gets them")
}

// ckFailIdx fails the creation of checkpoint files.
type ckFailIdx struct{ fs.FS }

func (f *ckFailIdx) OpenFile(name string, flag int, perm os.FileMode) (fs.File, error) {
	if strings.Contains(name, format.CheckpointExt) && flag&os.O_CREATE != 0 {
		return nil, fmt.Errorf("no checkpoints here: %w", fs.ErrInjected)
	}
	return f.FS.OpenFile(name, flag, perm)
}

// TestIndexBytes: Stats.IndexBytes counts whole chunks, the tables and the
// streams, and grows with the index.
func TestIndexBytes(t *testing.T) {
	h := newHarness(t, Options{})
	empty := h.e.Stats().IndexBytes
	for i := range 100 {
		h.put(fmt.Sprintf("e%d", i%10), "x")
	}
	st := h.e.Stats()
	require.GreaterOrEqual(t, st.IndexBytes-empty, int64(chunkLen*unsafe.Sizeof(entry{})), "one chunk of entries")
	require.Less(t, st.IndexBytes, int64(chunkLen*unsafe.Sizeof(entry{}))+64<<10)
	require.True(t, slices.ContainsFunc(h.e.idx.streams, func(s *stream) bool { return len(s.pos) == 10 }))
}
