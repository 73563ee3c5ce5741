package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const ftCorruptSegSize = 4096

// ftCorruptBase builds a store over several segments. closed: the engine
// is closed, every segment is sealed (the footer path). Otherwise the
// engine crashed: the last segment has no footer (the scan path).
func ftCorruptBase(t *testing.T, seed uint64, closed bool) (*fs.Mem, *ftModel) {
	t.Helper()
	mem, e, m := ftBuildStore(t, ftFaultPlan(ftRand(seed)), ftCorruptSegSize)
	m.syncAll()
	if closed {
		require.NoError(t, e.Close())
		return mem, m
	}
	// The unsealed last segment must hold a few frames to damage, some of
	// them before its synced point (groups after them start with sync marks).
	rng := ftRand(seed ^ 0xC0FFEE)
	for range 3 {
		require.NoError(t, m.runGroup(e, ftGroup{{single: ftGenItem(rng, ftPlanCfg{entities: 4}, 20, 60)}}))
	}
	for {
		n := 0
		for _, ev := range m.staged {
			if ev.r.Segment == e.active.id {
				n++
			}
		}
		if n >= 6 {
			break
		}
		require.NoError(t, m.runGroup(e, ftGroup{{single: ftGenItem(rng, ftPlanCfg{entities: 4}, 20, 60)}}))
	}
	m.syncAll()
	return mem.Clone(), m
}

// ftRequireCorruption checks that err is a *CorruptionError naming segment
// seg at offset off.
func ftRequireCorruption(t *testing.T, err error, seg uint64, off int64, ctx string) {
	t.Helper()
	require.Error(t, err, ctx)
	require.ErrorIs(t, err, ErrCorrupt, ctx)
	require.ErrorIs(t, err, messages.ErrCorrupt, ctx)
	var ce *CorruptionError
	require.ErrorAs(t, err, &ce, ctx)
	require.Equal(t, seg, ce.Segment, "%s: segment named by %v", ctx, err)
	require.Equal(t, off, ce.Offset, "%s: offset named by %v", ctx, err)
	require.Contains(t, err.Error(), fmt.Sprintf("segment %d at offset %d", seg, off), ctx)
}

// ftSyncedFrames returns how many data frames of l end at or before its
// synced point: damage to them is corruption, not a torn tail.
func ftSyncedFrames(l ftSegLayout) int {
	n := 0
	for _, f := range l.data() {
		if f.end() <= l.synced {
			n++
		}
	}
	return n
}

// ftRegion says what a byte of a segment file belongs to.
type ftRegion struct {
	kind  string // "header", "frame", "last frame", "footer", "trailer"
	start int64  // offset of the header or frame holding the byte
}

func ftRegionOf(l ftSegLayout, off int64) ftRegion {
	if off < format.HeaderSize {
		return ftRegion{"header", 0}
	}
	data := l.data()
	for i, f := range data {
		if off >= f.off && off < f.end() {
			if i == len(data)-1 {
				return ftRegion{"last frame", f.off}
			}
			return ftRegion{"frame", f.off}
		}
	}
	if l.sealed && off < l.footer().end() {
		return ftRegion{"footer", l.footer().off}
	}
	return ftRegion{"trailer", -1}
}

// ftCheckDamagedStore opens a store that has had bits flipped and checks
// that every read either returns exactly what was written or a typed
// error. It returns "open failed" or "opened".
func ftCheckDamagedStore(t *testing.T, mem *fs.Mem, m *ftModel, seg ftSegLayout, reg ftRegion, ctx string) string {
	t.Helper()
	e, err := Open(ftDir, ftOpts(mem, ftCorruptSegSize))
	if err != nil {
		ftRequireCorruption(t, err, seg.id, reg.start, ctx)
		require.NotEqual(t, "trailer", reg.kind, "%s: a damaged trailer must not fail Open", ctx)
		// Nothing was held: a second Open meets the same error, not ErrLocked.
		_, err2 := Open(ftDir, ftOpts(mem, ftCorruptSegSize))
		require.Equal(t, err.Error(), err2.Error(), ctx)
		return "open failed"
	}
	require.NotEqual(t, "header", reg.kind, "%s: a damaged header must fail Open", ctx)
	require.False(t, reg.kind == "frame" && !seg.sealed && reg.start < seg.synced,
		"%s: a damaged frame before the synced point (%d) of an unsealed segment must fail Open", ctx, seg.synced)

	all := m.all()
	byID := m.byID()
	typed := func(err error, what string) {
		t.Helper()
		require.ErrorIs(t, err, ErrCorrupt, "%s: %s", ctx, what)
		var ce *CorruptionError
		require.ErrorAs(t, err, &ce, "%s: %s", ctx, what)
	}
	readErrs, missing := 0, 0
	for _, w := range all {
		ev, err := e.Get(w.r.EventID)
		switch {
		case err == nil:
			ftRequireSame(t, w, ev, ctx)
		case errors.Is(err, ErrNotFound):
			missing++
		default:
			typed(err, "get")
			readErrs++
		}
	}
	if missing > 0 {
		require.NotEmpty(t, e.Stats().Recovery.TornTails, "%s: %d events lost without a report", ctx, missing)
	}
	evs, err := e.Query(Filter{})
	if err != nil {
		typed(err, "query")
		require.Positive(t, readErrs, "%s: query fails but every get works", ctx)
	} else {
		require.Zero(t, readErrs, "%s: query works but some get fails", ctx)
		require.Len(t, evs, len(all)-missing, ctx)
		for i, ev := range evs {
			w, ok := byID[ev.ID]
			require.True(t, ok, "%s: query returns an event nobody wrote", ctx)
			ftRequireSame(t, w, ev, ctx+": query")
			if i > 0 {
				require.Greater(t, ev.Sequence, evs[i-1].Sequence, ctx)
			}
		}
	}
	coords := map[messages.Coordinate]bool{}
	for _, w := range all {
		coords[w.it.coord] = true
	}
	for c := range coords {
		evs, err := e.Stream(c, 1)
		if err != nil {
			typed(err, "stream")
			continue
		}
		for i, ev := range evs {
			require.Equal(t, uint64(i+1), ev.Version, ctx)
			ftRequireSame(t, byID[ev.ID], ev, ctx+": stream")
		}
	}
	for _, w := range all {
		if w.causeID.IsZero() {
			continue
		}
		if anc, err := e.Ancestors(w.r.EventID, 0); err != nil {
			if !errors.Is(err, ErrNotFound) {
				typed(err, "ancestors")
			}
		} else {
			for _, a := range anc {
				ftRequireSame(t, byID[a.ID], a, ctx+": ancestors")
			}
		}
		if evs, err := e.ByCorrelation(w.r.EventID); err != nil {
			typed(err, "by correlation")
		} else {
			for _, ev := range evs {
				ftRequireSame(t, byID[ev.ID], ev, ctx+": by correlation")
			}
		}
	}
	rep, err := e.Verify()
	if err != nil {
		typed(err, "verify")
		require.Positive(t, readErrs, "%s: verify fails but every event reads back intact: %v", ctx, err)
	} else {
		require.Zero(t, readErrs, "%s: verify passes over an unreadable event", ctx)
		require.Equal(t, len(all)-missing, rep.Events, ctx)
	}
	// The store still takes writes.
	_, err = e.Append(&messages.Append{Coordinate: ftCoord(0), Kind: messages.MustKind(1, 1), Payload: []byte("after")})
	require.NoError(t, err, ctx)
	require.NoError(t, e.Commit(), ctx)
	require.NoError(t, e.Close(), ctx)
	return "opened"
}

// TestCorruptFlipBits flips single bits all over the segment files of a
// closed store (footers present) and of a crashed store (last segment
// scanned): in every header, in the first, a middle and the last data
// frame of every segment, in every footer and trailer, and at random
// offsets. Open must fail with a *CorruptionError naming the segment and
// the offset of the damaged header or frame, or succeed; then every read
// returns exactly what was written or a typed error, never other data and
// never a panic.
func TestCorruptFlipBits(t *testing.T) {
	seed := ftSeed(t)
	for _, closed := range []bool{true, false} {
		name := "crashed"
		if closed {
			name = "closed"
		}
		t.Run(name, func(t *testing.T) {
			rng := ftRand(seed + 1)
			base, m := ftCorruptBase(t, seed, closed)
			layout := ftLayout(t, base)
			require.GreaterOrEqual(t, len(layout), 4)
			require.Equal(t, closed, layout[len(layout)-1].sealed)
			type trial struct {
				seg ftSegLayout
				off int64
			}
			var trials []trial
			in := func(l ftSegLayout, from, to int64) {
				trials = append(trials, trial{l, from + rng.Int64N(to-from)})
			}
			var total int64
			for _, l := range layout {
				total += l.size
				in(l, 0, format.HeaderSize)
				data := l.data()
				for _, f := range []ftFrame{data[0], data[len(data)/2], data[len(data)-1]} {
					in(l, f.off, f.off+format.FrameHeaderSize) // length word or checksum
					in(l, f.off+format.FrameHeaderSize, f.end())
				}
				if l.sealed {
					in(l, l.footer().off, l.footer().end())
					in(l, l.footer().end(), l.footer().end()+8) // trailer offset
					in(l, l.footer().end()+8, l.size)           // trailer magic
				}
			}
			for range 120 {
				at := rng.Int64N(total)
				for _, l := range layout {
					if at < l.size {
						trials = append(trials, trial{l, at})
						break
					}
					at -= l.size
				}
			}
			outcomes := map[string]int{}
			for i, tr := range trials {
				bit := uint(rng.IntN(8))
				reg := ftRegionOf(tr.seg, tr.off)
				ctx := fmt.Sprintf("trial %d: bit %d of byte %d of segment %d (%s at %d, sealed %t)",
					i, bit, tr.off, tr.seg.id, reg.kind, reg.start, tr.seg.sealed)
				mem := base.Clone()
				ftFlip(t, mem, tr.seg.id, tr.off, bit)
				out := ftCheckDamagedStore(t, mem, m, tr.seg, reg, ctx)
				outcomes[reg.kind+": "+out]++
			}
			t.Logf("%d trials: %v", len(trials), outcomes)
		})
	}
}

// TestCorruptMidSegmentRepair damages a frame in the middle of a segment
// that Open must scan: Open fails with a *CorruptionError naming the
// segment and the frame's offset and changes nothing on disk; with
// Options{Repair: true} the store opens, the damaged segment is cut at the
// bad frame, later segments are set aside as *.seg.dropped, and what
// remains is a clean prefix of the log that verifies and takes new writes.
func TestCorruptMidSegmentRepair(t *testing.T) {
	seed := ftSeed(t)
	base, m := ftCorruptBase(t, seed, false)
	layout := ftLayout(t, base)
	n := len(layout)
	require.GreaterOrEqual(t, n, 4)
	middle := layout[n/2]
	require.True(t, middle.sealed)

	cases := []struct {
		name   string
		seg    ftSegLayout
		frame  int  // data frame to damage, -1 for the header
		footer bool // also damage the footer so that Open scans
	}{
		{"unsealed last segment", layout[n-1], ftSyncedFrames(layout[n-1]) / 2, false},
		{"first frame of the unsealed last segment", layout[n-1], 0, false},
		{"sealed middle segment", middle, len(middle.data()) / 2, true},
		{"sealed first segment", layout[0], 1, true},
		{"header of a middle segment", middle, -1, false},
	}
	for ci, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := ftRand(seed + uint64(ci))
			mem := base.Clone()
			var off, flip int64
			if tc.frame < 0 {
				off, flip = 0, rng.Int64N(format.HeaderSize)
			} else {
				f := tc.seg.data()[tc.frame]
				require.Less(t, tc.frame, len(tc.seg.data())-1, "must not be the last frame")
				off, flip = f.off, f.off+rng.Int64N(int64(f.size))
			}
			ftFlip(t, mem, tc.seg.id, flip, uint(rng.IntN(8)))
			if tc.footer {
				ft := tc.seg.footer()
				ftFlip(t, mem, tc.seg.id, ft.off+format.FrameHeaderSize+rng.Int64N(int64(ft.size-format.FrameHeaderSize)), uint(rng.IntN(8)))
			}
			before := map[string][]byte{}
			names, err := mem.ReadDir(ftDir)
			require.NoError(t, err)
			for _, nm := range names {
				if strings.HasSuffix(nm, format.SegmentExt) {
					b, err := mem.ReadFile(filepath.Join(ftDir, nm))
					require.NoError(t, err)
					before[nm] = b
				}
			}

			_, err = Open(ftDir, ftOpts(mem, ftCorruptSegSize))
			ftRequireCorruption(t, err, tc.seg.id, off, tc.name)
			for nm, b := range before {
				got, err := mem.ReadFile(filepath.Join(ftDir, nm))
				require.NoError(t, err, "a failed Open must change nothing")
				require.Equal(t, b, got, "a failed Open must change nothing (%s)", nm)
			}

			opts := ftOpts(mem, ftCorruptSegSize)
			opts.Repair = true
			e, err := Open(ftDir, opts)
			require.NoError(t, err, "repair")
			rec := e.Stats().Recovery
			require.NotEmpty(t, rec.Repaired)
			t.Logf("repaired: %q", rec.Repaired)
			require.Contains(t, rec.Repaired[0], fmt.Sprintf("segment %d", tc.seg.id))
			names, err = mem.ReadDir(ftDir)
			require.NoError(t, err)
			for _, l := range layout {
				nm := format.SegmentName(l.id)
				dropped := l.id > tc.seg.id || (l.id == tc.seg.id && tc.frame < 0)
				require.Equal(t, dropped, slices.Contains(names, nm+".dropped"), "%s.dropped in %v", nm, names)
				if dropped {
					require.Contains(t, strings.Join(rec.Repaired, "\n"), nm+".dropped")
				}
			}
			if tc.frame >= 0 {
				got, err := mem.ReadFile(ftSegPath(tc.seg.id))
				require.NoError(t, err)
				// The damaged segment is the last one now: Open sealed it.
				require.Equal(t, off, sealedDataEnd(got), "the damaged segment must be cut at the bad frame")
				require.Equal(t, tc.seg.id, rec.Sealed)
				require.Contains(t, rec.Repaired[0], fmt.Sprintf("offset %d", off))
			}
			mm := m.clone()
			mm.durable = ftSurvivingPrefix(t, layout, mm.staged, ftPos{tc.seg.id, off})
			want := mm.durable
			require.Equal(t, want, mm.checkRecovered(t, e, tc.name+": repaired"))
			// Reopened without Repair: the .dropped files are ignored.
			mm.checkWritable(t, e, mem, ftCorruptSegSize, rng, tc.name)
		})
	}
}

// ftHeaderBytes encodes a segment header and lets mut change it before the
// checksum is computed.
func ftHeaderBytes(id uint64, mut func(b []byte)) []byte {
	b := format.SegmentHeader{ID: id, CreatedNS: 7}.Encode()
	mut(b)
	binary.LittleEndian.PutUint32(b[28:], crc32.Checksum(b[:28], format.Castagnoli))
	return b
}

// TestCorruptSegmentHeader damages the header of a segment (bad magic, a
// wrong id, an unknown format version) with a valid header checksum, and
// bad magic without one: Open fails with a *CorruptionError that names the
// segment at offset 0.
func TestCorruptSegmentHeader(t *testing.T) {
	seed := ftSeed(t)
	base, _ := ftCorruptBase(t, seed, true)
	ids := ftSegIDs(t, base)
	require.GreaterOrEqual(t, len(ids), 3)
	cases := []struct {
		name   string
		mut    func(id uint64, b []byte) []byte
		reason string
	}{
		{"bad magic", func(id uint64, b []byte) []byte {
			copy(b, "XXXX")
			return b
		}, "magic"},
		{"bad magic, checksum fixed", func(id uint64, b []byte) []byte {
			copy(b, ftHeaderBytes(id, func(h []byte) { copy(h, "BPKX") }))
			return b
		}, "magic"},
		{"header names another segment", func(id uint64, b []byte) []byte {
			copy(b, ftHeaderBytes(id, func(h []byte) { binary.LittleEndian.PutUint64(h[8:], id+100) }))
			return b
		}, "names segment"},
		{"unknown format version", func(id uint64, b []byte) []byte {
			copy(b, ftHeaderBytes(id, func(h []byte) { binary.LittleEndian.PutUint16(h[4:], format.Version+1) }))
			return b
		}, "format version"},
		{"header checksum", func(id uint64, b []byte) []byte {
			b[20] ^= 1
			return b
		}, "checksum"},
	}
	for _, tc := range cases {
		for _, which := range []int{0, len(ids) / 2, len(ids) - 1} {
			id := ids[which]
			t.Run(fmt.Sprintf("%s/segment%d", tc.name, id), func(t *testing.T) {
				mem := base.Clone()
				ftWriteSeg(t, mem, id, tc.mut(id, ftReadSeg(t, mem, id)))
				_, err := Open(ftDir, ftOpts(mem, ftCorruptSegSize))
				ftRequireCorruption(t, err, id, 0, tc.name)
				require.Contains(t, err.Error(), tc.reason)
			})
		}
	}
}

// ftFooterRec is one record of a rebuilt footer.
type ftFooterRec struct {
	typ    int
	ev     messages.Event
	m      format.Marker
	synced int64
	size   int
}

// ftRebuildFooter re-seals a sealed segment b with a footer built by the
// package's own footerBuilder from its frames, after edit changes the
// records; body data end and segment id are written as given, while the
// trailer points at the real footer offset.
func ftRebuildFooter(t *testing.T, l ftSegLayout, b []byte, edit func([]ftFooterRec) []ftFooterRec, segID uint64, dataEnd int64) []byte {
	t.Helper()
	var recs []ftFooterRec
	for _, f := range l.data() {
		body, _, err := format.DecodeFrame(b[f.off:])
		require.NoError(t, err)
		r := ftFooterRec{typ: f.typ, size: f.size}
		switch f.typ {
		case format.TypeEvent:
			require.NoError(t, format.DecodeEvent(body, &r.ev, false))
		case format.TypeSynced:
			r.synced, err = format.DecodeSynced(body)
			require.NoError(t, err)
		default:
			r.m, err = format.DecodeMarker(body, f.typ)
			require.NoError(t, err)
		}
		recs = append(recs, r)
	}
	var fb format.FooterBuilder
	for _, r := range edit(recs) {
		switch r.typ {
		case format.TypeEvent:
			fb.AddEvent(&r.ev, r.size)
		case format.TypeSynced:
			fb.AddSynced(r.synced, r.size)
		default:
			fb.AddMarker(r.typ, r.m, r.size)
		}
	}
	out := append([]byte(nil), b[:l.dataEnd]...)
	out = fb.AppendSeal(out, segID, dataEnd)
	binary.LittleEndian.PutUint64(out[len(out)-format.TrailerSize:], uint64(l.dataEnd))
	return out
}

// TestFooterLies replaces the footer of a sealed segment with one that has
// a valid checksum but does not describe the segment (records that do not
// tile it, a wrong data end, a wrong segment id, a trailer pointing
// elsewhere): Open must not trust it, scan the segment instead and recover
// every event. A truthful rebuilt footer is trusted (the control case).
func TestFooterLies(t *testing.T) {
	seed := ftSeed(t)
	base, m := ftCorruptBase(t, seed, true)
	layout := ftLayout(t, base)
	n := len(layout)
	require.GreaterOrEqual(t, n, 4)
	l := layout[1]
	orig := ftReadSeg(t, base, l.id)
	same := func(r []ftFooterRec) []ftFooterRec { return r }
	cases := []struct {
		name    string
		data    func() []byte
		scanned bool
	}{
		{"control: truthful footer", func() []byte { return ftRebuildFooter(t, l, orig, same, l.id, l.dataEnd) }, false},
		{"last record dropped", func() []byte {
			return ftRebuildFooter(t, l, orig, func(r []ftFooterRec) []ftFooterRec { return r[:len(r)-1] }, l.id, l.dataEnd)
		}, true},
		{"first record dropped", func() []byte {
			return ftRebuildFooter(t, l, orig, func(r []ftFooterRec) []ftFooterRec { return r[1:] }, l.id, l.dataEnd)
		}, true},
		{"a record's frame size is off by one", func() []byte {
			return ftRebuildFooter(t, l, orig, func(r []ftFooterRec) []ftFooterRec { r[len(r)/2].size++; return r }, l.id, l.dataEnd)
		}, true},
		{"wrong data end", func() []byte { return ftRebuildFooter(t, l, orig, same, l.id, l.dataEnd-1) }, true},
		{"wrong segment id", func() []byte { return ftRebuildFooter(t, l, orig, same, l.id+1, l.dataEnd) }, true},
		{"trailer points at a data frame", func() []byte {
			b := append([]byte(nil), orig...)
			binary.LittleEndian.PutUint64(b[len(b)-format.TrailerSize:], uint64(l.data()[len(l.data())-1].off))
			return b
		}, true},
		{"trailer magic missing", func() []byte {
			b := append([]byte(nil), orig...)
			clear(b[len(b)-8:])
			return b
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := base.Clone()
			ftWriteSeg(t, mem, l.id, tc.data())
			e, err := Open(ftDir, ftOpts(mem, ftCorruptSegSize))
			require.NoError(t, err)
			rec := e.Stats().Recovery
			if tc.scanned {
				require.Equal(t, 1, rec.ScannedSegments, "the lying footer must not be used")
				require.Equal(t, n-1, rec.FooterSegments)
			} else {
				require.Zero(t, rec.ScannedSegments)
				require.Equal(t, n, rec.FooterSegments)
			}
			require.Empty(t, rec.TornTails)
			mm := m.clone()
			want := len(mm.staged)
			require.Equal(t, want, mm.checkRecovered(t, e, tc.name))
			mm.checkWritable(t, e, mem, ftCorruptSegSize, ftRand(seed), tc.name)
		})
	}
}

// ftPlanted is a store planted segment by segment with the package's
// encoders.
type ftPlanted struct {
	segs   []*ftSegBuilder
	ids    []uint64
	want   []*messages.Event // must be visible, in this order
	hidden []*messages.Event // must not be visible
	// discarded batches and events recovery must report
	batches, events int
}

// TestBatchWithoutCommitIsDiscarded plants logs in which an atomic batch
// lost its COMMIT (a batch that failed after BEGIN, one spanning a
// rotation, one cut by a fresh segment) and checks that recovery discards
// every item of it, keeps the single events written after it in a fresh
// segment (batpak 0.3 swallowed them), and that new appends continue the
// log. Control cases with the COMMIT in place show the planted frames are
// valid.
func TestBatchWithoutCommitIsDiscarded(t *testing.T) {
	a := messages.Coordinate{Entity: "acct/a", Scope: "bank"}
	c := messages.Coordinate{Entity: "acct/c", Scope: "bank"}
	var zero messages.Hash
	var none messages.ID
	cases := []struct {
		name  string
		build func() ftPlanted
	}{
		{"batch failed after BEGIN, fresh segment follows", func() ftPlanted {
			b := messages.NewID()
			e0 := ftMkEvent(0, a, 1, zero, none, "e0")
			s1 := ftNewSeg(1, false).event(e0).begin(b, 2, 1)
			b1 := ftMkEvent(1, a, 2, zero, b, "b1")
			b1.PrevHash = e0.Hash
			s1.event(b1)
			b2 := ftMkEvent(2, c, 1, zero, b, "b2")
			s1.event(b2)
			// The next Open discarded the batch and reused its sequences.
			x1 := ftMkEvent(1, a, 2, e0.Hash, none, "x1")
			s2 := ftNewSeg(2, false).event(x1)
			x2 := ftMkEvent(2, c, 1, zero, none, "x2")
			s2.event(x2)
			x3 := ftMkEvent(3, a, 3, x1.Hash, none, "x3")
			s2.event(x3)
			return ftPlanted{segs: []*ftSegBuilder{s1, s2}, ids: []uint64{1, 2},
				want: []*messages.Event{e0, x1, x2, x3}, hidden: []*messages.Event{b1, b2}, batches: 1, events: 2}
		}},
		{"batch failed after BEGIN at the end of the log", func() ftPlanted {
			b := messages.NewID()
			e0 := ftMkEvent(0, a, 1, zero, none, "e0")
			s1 := ftNewSeg(1, false).event(e0).begin(b, 2, 1)
			b1 := ftMkEvent(1, a, 2, zero, b, "b1")
			b1.PrevHash = e0.Hash
			s1.event(b1)
			return ftPlanted{segs: []*ftSegBuilder{s1}, ids: []uint64{1},
				want: []*messages.Event{e0}, hidden: []*messages.Event{b1}, batches: 1, events: 1}
		}},
		{"control: committed batch", func() ftPlanted {
			b := messages.NewID()
			e0 := ftMkEvent(0, a, 1, zero, none, "e0")
			s1 := ftNewSeg(1, false).event(e0).begin(b, 2, 1)
			b1 := ftMkEvent(1, a, 2, zero, b, "b1")
			b1.PrevHash = e0.Hash
			s1.event(b1)
			b2 := ftMkEvent(2, c, 1, zero, b, "b2")
			s1.event(b2).commit(b, 2)
			x3 := ftMkEvent(3, a, 3, b1.Hash, none, "x3")
			s2 := ftNewSeg(2, false).event(x3)
			return ftPlanted{segs: []*ftSegBuilder{s1, s2}, ids: []uint64{1, 2},
				want: []*messages.Event{e0, b1, b2, x3}}
		}},
		{"batch spanning a rotation lost its COMMIT, end of the log", func() ftPlanted {
			b := messages.NewID()
			e0 := ftMkEvent(0, a, 1, zero, none, "e0")
			s1 := ftNewSeg(1, false).event(e0).begin(b, 3, 1)
			b1 := ftMkEvent(1, a, 2, zero, b, "b1")
			b1.PrevHash = e0.Hash
			b2 := ftMkEvent(2, c, 1, zero, b, "b2")
			s1.event(b1).event(b2)
			b3 := ftMkEvent(3, a, 3, zero, b, "b3")
			b3.PrevHash = b1.Hash
			s2 := ftNewSeg(2, true).event(b3)
			return ftPlanted{segs: []*ftSegBuilder{s1, s2}, ids: []uint64{1, 2},
				want: []*messages.Event{e0}, hidden: []*messages.Event{b1, b2, b3}, batches: 1, events: 3}
		}},
		{"batch spanning a rotation lost its COMMIT, fresh segment follows", func() ftPlanted {
			b := messages.NewID()
			e0 := ftMkEvent(0, a, 1, zero, none, "e0")
			s1 := ftNewSeg(1, false).event(e0).begin(b, 3, 1)
			b1 := ftMkEvent(1, a, 2, zero, b, "b1")
			b1.PrevHash = e0.Hash
			b2 := ftMkEvent(2, c, 1, zero, b, "b2")
			s1.event(b1).event(b2)
			b3 := ftMkEvent(3, a, 3, zero, b, "b3")
			b3.PrevHash = b1.Hash
			s2 := ftNewSeg(2, true).event(b3)
			x1 := ftMkEvent(1, a, 2, e0.Hash, none, "x1")
			x2 := ftMkEvent(2, c, 1, zero, none, "x2")
			s3 := ftNewSeg(3, false).event(x1).event(x2)
			return ftPlanted{segs: []*ftSegBuilder{s1, s2, s3}, ids: []uint64{1, 2, 3},
				want: []*messages.Event{e0, x1, x2}, hidden: []*messages.Event{b1, b2, b3}, batches: 1, events: 3}
		}},
		{"control: batch spanning a rotation with its COMMIT", func() ftPlanted {
			b := messages.NewID()
			e0 := ftMkEvent(0, a, 1, zero, none, "e0")
			s1 := ftNewSeg(1, false).event(e0).begin(b, 3, 1)
			b1 := ftMkEvent(1, a, 2, zero, b, "b1")
			b1.PrevHash = e0.Hash
			b2 := ftMkEvent(2, c, 1, zero, b, "b2")
			s1.event(b1).event(b2)
			b3 := ftMkEvent(3, a, 3, zero, b, "b3")
			b3.PrevHash = b1.Hash
			s2 := ftNewSeg(2, true).event(b3).commit(b, 3)
			return ftPlanted{segs: []*ftSegBuilder{s1, s2}, ids: []uint64{1, 2},
				want: []*messages.Event{e0, b1, b2, b3}}
		}},
		{"batch continued in a fresh (non-continuation) segment", func() ftPlanted {
			b := messages.NewID()
			e0 := ftMkEvent(0, a, 1, zero, none, "e0")
			s1 := ftNewSeg(1, false).event(e0).begin(b, 3, 1)
			b1 := ftMkEvent(1, a, 2, zero, b, "b1")
			b1.PrevHash = e0.Hash
			b2 := ftMkEvent(2, c, 1, zero, b, "b2")
			s1.event(b1).event(b2)
			b3 := ftMkEvent(3, a, 3, zero, b, "b3")
			b3.PrevHash = b1.Hash
			s2 := ftNewSeg(2, false).event(b3).commit(b, 3)
			return ftPlanted{segs: []*ftSegBuilder{s1, s2}, ids: []uint64{1, 2},
				want: []*messages.Event{e0}, hidden: []*messages.Event{b1, b2, b3}, batches: 1, events: 2}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.build()
			mem := fs.NewMem()
			require.NoError(t, mem.MkdirAll(ftDir, 0o700))
			for i, s := range p.segs {
				require.NoError(t, mem.WriteFile(ftSegPath(p.ids[i]), s.buf))
			}
			check := func(e *Engine, ctx string) {
				got, err := e.Query(Filter{})
				require.NoError(t, err, ctx)
				require.Len(t, got, len(p.want), ctx)
				for i, w := range p.want {
					require.Equal(t, w.ID, got[i].ID, "%s: event %d", ctx, i)
					require.Equal(t, w.Sequence, got[i].Sequence, ctx)
					require.Equal(t, w.Version, got[i].Version, ctx)
					require.Equal(t, w.Hash, got[i].Hash, ctx)
					require.Equal(t, w.Payload, got[i].Payload, ctx)
				}
				for _, h := range p.hidden {
					_, err := e.Get(h.ID)
					require.ErrorIs(t, err, ErrNotFound, "%s: an item of the broken batch is visible", ctx)
				}
				_, err = e.Verify()
				require.NoError(t, err, ctx)
			}
			e, err := Open(ftDir, ftOpts(mem, ftCorruptSegSize))
			require.NoError(t, err)
			rec := e.Stats().Recovery
			require.Equal(t, p.batches, rec.DiscardedBatches)
			require.Equal(t, p.events, rec.DiscardedEvents)
			check(e, "open")
			// New appends continue the log after what was kept.
			lastW := p.want[len(p.want)-1]
			r, err := e.Append(&messages.Append{Coordinate: a, Kind: messages.MustKind(1, 1), Payload: []byte("new")})
			require.NoError(t, err)
			require.Equal(t, lastW.Sequence+1, r.Sequence)
			require.NoError(t, e.Commit())
			require.NoError(t, e.Close())
			p.want = append(p.want, &messages.Event{ID: r.EventID, Sequence: r.Sequence, Version: r.Version, Hash: r.Hash, Payload: []byte("new")})
			e, err = Open(ftDir, ftOpts(mem, ftCorruptSegSize))
			require.NoError(t, err)
			check(e, "reopen")
			require.NoError(t, e.Close())
		})
	}
}

// TestBatchSpanningRotationCommitLost has the engine write an atomic batch
// that spans a segment rotation, then loses (or tears) the COMMIT frame in
// the new segment, as a crash would: both halves of the batch must be
// discarded, everything before it kept, and events appended after the
// reopen (in a fresh segment) must survive the next reopen.
func TestBatchSpanningRotationCommitLost(t *testing.T) {
	seed := ftSeed(t)
	rng := ftRand(seed)
	const segSize = 4096
	mem := fs.NewMem()
	e, err := Open(ftDir, ftOpts(mem, segSize))
	require.NoError(t, err)
	m := &ftModel{}
	c := ftPlanCfg{entities: 3}
	// Fill the first segment to [2996, 3286) bytes with ~290-byte frames, so
	// that BEGIN and the first item of a 4 x ~400-byte batch fit in it and
	// the last item does not.
	for e.active.size < segSize-1100 {
		require.NoError(t, m.runGroup(e, ftGroup{{single: ftGenItem(rng, c, 200, 200)}}))
	}
	require.EqualValues(t, 1, e.active.id)
	var items []ftItem
	for range 4 {
		items = append(items, ftGenItem(rng, c, 280, 320))
	}
	require.NoError(t, m.runGroup(e, ftGroup{{batch: items}}))
	bItems := m.staged[len(m.staged)-4:]
	require.NotEqual(t, bItems[0].r.Segment, bItems[3].r.Segment, "the batch must span a rotation")
	base := mem.Clone() // crash
	layout := ftLayout(t, base)
	last := layout[len(layout)-1]
	cf := last.data()[len(last.data())-1]
	require.Equal(t, format.TypeCommit, cf.typ)
	orig := ftReadSeg(t, base, last.id)

	cases := []struct {
		name string
		data []byte
		torn bool
	}{
		{"COMMIT never written", orig[:cf.off], false},
		{"COMMIT torn", orig[:cf.off+int64(cf.size)-3], true},
		{"COMMIT zeroed", append(append([]byte(nil), orig[:cf.off]...), make([]byte, cf.size)...), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := base.Clone()
			ftWriteSeg(t, mem, last.id, tc.data)
			mm := m.clone()
			mm.durable = len(mm.staged) - 4
			e, err := Open(ftDir, ftOpts(mem, segSize))
			require.NoError(t, err)
			rec := e.Stats().Recovery
			require.Equal(t, 1, rec.DiscardedBatches)
			require.Equal(t, 4, rec.DiscardedEvents)
			require.Equal(t, tc.torn, len(rec.TornTails) == 1)
			want := mm.durable
			require.Equal(t, want, mm.checkRecovered(t, e, tc.name))
			mm.checkWritable(t, e, mem, segSize, rng, tc.name)
		})
	}
}

// TestLockHeldDirectory checks that a second Open of a directory held by an
// engine fails with ErrLocked, on the in-memory FS and on the real one,
// that the first engine keeps working, and that the directory opens again
// after Close, and after an Open that failed.
func TestLockHeldDirectory(t *testing.T) {
	for _, tc := range []struct {
		name string
		fsys fs.FS
		dir  string
	}{
		{"mem", fs.NewMem(), ftDir},
		{"os", fs.OS(), t.TempDir()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{FS: tc.fsys, SegmentSize: ftCorruptSegSize}
			e1, err := Open(tc.dir, opts)
			require.NoError(t, err)
			_, err = Open(tc.dir, opts)
			require.ErrorIs(t, err, ErrLocked)
			require.ErrorIs(t, err, messages.ErrIO)
			require.Contains(t, err.Error(), tc.dir)
			// The holder is not disturbed.
			r, err := e1.Append(&messages.Append{Coordinate: ftCoord(0), Kind: messages.MustKind(1, 1), Payload: []byte("x")})
			require.NoError(t, err)
			require.NoError(t, e1.Commit())
			_, err = Open(tc.dir, opts)
			require.ErrorIs(t, err, ErrLocked)
			require.NoError(t, e1.Close())

			e2, err := Open(tc.dir, opts)
			require.NoError(t, err, "Open after Close")
			ev, err := e2.Get(r.EventID)
			require.NoError(t, err)
			require.Equal(t, []byte("x"), ev.Payload)
			_, err = Open(tc.dir, opts)
			require.ErrorIs(t, err, ErrLocked)
			require.NoError(t, e2.Close())
		})
	}
	t.Run("released after a failed open", func(t *testing.T) {
		mem := fs.NewMem()
		require.NoError(t, mem.MkdirAll(ftDir, 0o700))
		b := format.SegmentHeader{ID: 1}.Encode()
		copy(b, "XXXX")
		require.NoError(t, mem.WriteFile(ftSegPath(1), append(b, 1, 2, 3)))
		for range 2 {
			_, err := Open(ftDir, ftOpts(mem, ftCorruptSegSize))
			ftRequireCorruption(t, err, 1, 0, "bad magic")
		}
	})
}

// TestHeaderlessLastSegment plants a last segment whose header never
// reached the disk (an empty file, zeros, a torn prefix of a header):
// Open removes it, reports it in Stats().Recovery.RemovedEmpty and keeps
// every earlier event. A zeroed header followed by frames, or an empty
// segment that is not the last, is corruption and is left alone.
func TestHeaderlessLastSegment(t *testing.T) {
	seed := ftSeed(t)
	base, m := ftCorruptBase(t, seed, true)
	ids := ftSegIDs(t, base)
	last := ids[len(ids)-1]
	id := last + 1
	hdr := format.SegmentHeader{ID: id, Flags: format.FlagContinuation, CreatedNS: 5}.Encode()
	withFrames := ftNewSeg(id, false).event(ftMkEvent(1000, ftCoord(9), 1, messages.Hash{}, messages.ID{}, "lost?")).buf
	clear(withFrames[:format.HeaderSize])
	cases := []struct {
		name    string
		data    []byte
		removed bool
		next    []byte // plant a valid empty segment after it
	}{
		{"empty file", nil, true, nil},
		{"zero header", make([]byte, format.HeaderSize), true, nil},
		{"preallocated zeros", make([]byte, 4096), true, nil},
		{"torn header, 16 of 32 bytes", hdr[:16], true, nil},
		{"torn header, 31 of 32 bytes", hdr[:31], true, nil},
		{"torn header, second half zero", append(append([]byte(nil), hdr[:16]...), make([]byte, 16)...), true, nil},
		{"zeroed header followed by frames", withFrames, false, nil},
		{"empty segment that is not the last", nil, false, format.SegmentHeader{ID: id + 1}.Encode()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := base.Clone()
			ftWriteSeg(t, mem, id, tc.data)
			if tc.next != nil {
				ftWriteSeg(t, mem, id+1, tc.next)
			}
			e, err := Open(ftDir, ftOpts(mem, ftCorruptSegSize))
			if !tc.removed {
				ftRequireCorruption(t, err, id, 0, tc.name)
				got, rerr := mem.ReadFile(ftSegPath(id))
				require.NoError(t, rerr, "the segment must be left alone")
				require.Equal(t, len(tc.data), len(got), "the segment must be left alone")
				return
			}
			require.NoError(t, err)
			require.Equal(t, []uint64{id}, e.Stats().Recovery.RemovedEmpty)
			require.Equal(t, id+1, e.WriterStats().ActiveSegment)
			names, err := mem.ReadDir(ftDir)
			require.NoError(t, err)
			require.NotContains(t, names, format.SegmentName(id))
			mm := m.clone()
			want := len(mm.staged)
			require.Equal(t, want, mm.checkRecovered(t, e, tc.name))
			mm.checkWritable(t, e, mem, ftCorruptSegSize, ftRand(seed), tc.name)
		})
	}
}

// TestFooterDamagedFallsBackToScan damages only the footer frame of a
// sealed segment (its body, its checksum or its length word). The footer is
// a redundant index of frames that are intact, so Open must not trust it,
// scan the segment instead, and recover every event (DESIGN: "open uses it
// only when it exactly covers the segment, else scans frames"). With
// Repair, nothing may be dropped.
func TestFooterDamagedFallsBackToScan(t *testing.T) {
	seed := ftSeed(t)
	base, m := ftCorruptBase(t, seed, true)
	layout := ftLayout(t, base)
	n := len(layout)
	require.GreaterOrEqual(t, n, 4)
	for _, l := range []ftSegLayout{layout[1], layout[n-1]} {
		ft := l.footer()
		for _, tc := range []struct {
			name string
			off  int64
		}{
			{"body", ft.off + format.FrameHeaderSize + int64(ft.size-format.FrameHeaderSize)/2},
			{"checksum", ft.off + 5},
			{"length word", ft.off + 1},
		} {
			for _, repair := range []bool{false, true} {
				t.Run(fmt.Sprintf("segment%d/%s/repair=%t", l.id, tc.name, repair), func(t *testing.T) {
					mem := base.Clone()
					ftFlip(t, mem, l.id, tc.off, 3)
					opts := ftOpts(mem, ftCorruptSegSize)
					opts.Repair = repair
					e, err := Open(ftDir, opts)
					require.NoError(t, err, "a damaged footer over intact frames must not fail Open")
					rec := e.Stats().Recovery
					require.Empty(t, rec.Repaired, "nothing needed repair")
					require.Equal(t, 1, rec.ScannedSegments)
					names, err := mem.ReadDir(ftDir)
					require.NoError(t, err)
					for _, nm := range names {
						require.False(t, strings.HasSuffix(nm, ".dropped"), "%s set aside", nm)
					}
					mm := m.clone()
					want := len(mm.staged)
					require.Equal(t, want, mm.checkRecovered(t, e, "damaged footer"))
					mm.checkWritable(t, e, mem, ftCorruptSegSize, ftRand(seed), "damaged footer")
				})
			}
		}
	}
}

// TestCorruptRepairBatchItemInEarlierSegment plants a batch that spans a
// rotation and whose first item, in the earlier segment, breaks its
// entity's hash chain (a frame with a valid checksum, as a buggy or foreign
// writer could leave). Recovery finds this only when it applies the batch
// at its COMMIT, while scanning the later segment, and must name the
// earlier segment and the item's offset. Repair must then set aside
// everything from that point on, including the segment holding the
// COMMIT and the single event after it, so that the repaired store is a
// prefix of the log that stays consistent: new appends must survive the
// next (non-repair) Open.
func TestCorruptRepairBatchItemInEarlierSegment(t *testing.T) {
	a := messages.Coordinate{Entity: "acct/a", Scope: "bank"}
	c := messages.Coordinate{Entity: "acct/c", Scope: "bank"}
	var zero messages.Hash
	var none messages.ID
	b := messages.NewID()
	e0 := ftMkEvent(0, a, 1, zero, none, "e0")
	s1 := ftNewSeg(1, false).event(e0).begin(b, 2, 1)
	b1 := ftMkEvent(1, a, 2, messages.Hash{1, 2, 3}, b, "b1") // breaks the chain
	s1.event(b1)
	b2 := ftMkEvent(2, c, 1, zero, b, "b2")
	s2 := ftNewSeg(2, true).event(b2).commit(b, 2)
	x := ftMkEvent(3, a, 2, e0.Hash, none, "x")
	s2.event(x)
	y := ftMkEvent(4, c, 1, zero, none, "y")
	s3 := ftNewSeg(3, false).event(y)

	mem := fs.NewMem()
	require.NoError(t, mem.MkdirAll(ftDir, 0o700))
	for i, s := range []*ftSegBuilder{s1, s2, s3} {
		require.NoError(t, mem.WriteFile(ftSegPath(uint64(i+1)), s.buf))
	}
	_, err := Open(ftDir, ftOpts(mem, ftCorruptSegSize))
	ftRequireCorruption(t, err, 1, b1.Offset, "chain break in a batch item")

	opts := ftOpts(mem, ftCorruptSegSize)
	opts.Repair = true
	e, err := Open(ftDir, opts)
	require.NoError(t, err)
	t.Logf("repaired: %q", e.Stats().Recovery.Repaired)
	got, err := e.Query(Filter{})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, e0.ID, got[0].ID)
	names, err := mem.ReadDir(ftDir)
	require.NoError(t, err)
	// Non-fatal, so that the consequence below shows too.
	assert.Contains(t, names, format.SegmentName(2)+".dropped", "the segment holding the batch's COMMIT comes after the cut")
	assert.Contains(t, names, format.SegmentName(3)+".dropped")
	r, err := e.Append(&messages.Append{Coordinate: a, Kind: messages.MustKind(1, 1), Payload: []byte("new")})
	require.NoError(t, err)
	require.Equal(t, uint64(1), r.Sequence)
	require.NoError(t, e.Commit())
	require.NoError(t, e.Close())

	e, err = Open(ftDir, ftOpts(mem, ftCorruptSegSize))
	require.NoError(t, err, "the repaired store must open without Repair")
	got, err = e.Query(Filter{})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, e0.ID, got[0].ID)
	require.Equal(t, r.EventID, got[1].ID)
	_, err = e.Verify()
	require.NoError(t, err)
	require.NoError(t, e.Close())
}
