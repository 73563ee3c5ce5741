package storage

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/stretchr/testify/require"
)

// TestCrashRandomWorkloads runs random workloads (single appends, batches,
// several entities, segment rotations) over several sessions of one store.
// Each session may crash at a random point: the disk dies at a random
// file-system operation (fs.Faulty.FailFrom, with or without a torn
// half-write), possibly inside Open itself, or the session simply stops,
// and then the machine "restarts" with mem.Crash(rng) (synced bytes plus a
// random prefix of the rest) or mem.CrashClean(). Every reopen must find
// every event whose Commit returned nil (in SyncPeriodic rounds: every
// event committed before the last successful Sync or Close), a prefix of
// the rest that cuts no batch, identical events, a passing Verify, and a
// store that takes new writes.
func TestCrashRandomWorkloads(t *testing.T) {
	seed := ftSeed(t)
	master := ftRand(seed)
	rounds := 200
	if testing.Short() {
		rounds = 40
	}
	for round := range rounds {
		rs := master.Uint64()
		t.Run(fmt.Sprintf("round%03d", round), func(t *testing.T) {
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("round seed %d (master seed %d)", rs, seed)
				}
			})
			ftCrashRound(t, ftRand(rs))
		})
	}
}

func ftCrashRound(t *testing.T, rng *rand.Rand) {
	segSize := int64(4096 + rng.IntN(3)*2048)
	mode := SyncEveryCommit
	if rng.IntN(4) == 0 {
		mode = SyncPeriodic
	}
	cfg := ftPlanCfg{
		groups: 3 + rng.IntN(14), maxOps: 1 + rng.IntN(3), entities: 1 + rng.IntN(5),
		batchProb: rng.Float64() * 0.5, maxItems: 2 + rng.IntN(5),
		maxPayload: rng.IntN(500), itemLo: 0, itemHi: 50 + rng.IntN(400),
	}
	clock := ftClock()
	opts := func(fsys fs.FS) Options {
		return Options{FS: fsys, SegmentSize: segSize, Clock: clock, SyncMode: mode, SyncEveryEvents: 1 + rng.IntN(20)}
	}
	m := &ftModel{mode: mode}
	cur := fs.NewMem()
	sessions := 1 + rng.IntN(3)
	for s := range sessions {
		plan := ftGenPlan(rng, cfg)
		f := fs.NewFaulty(cur)
		f.SetPartialWrites(rng.IntN(2) == 0)
		crashAt, stopAfter := int64(0), len(plan)
		if rng.IntN(5) != 0 {
			crashAt = 1 + rng.Int64N(int64(4*len(plan)+16))
			f.FailFrom(crashAt, nil)
		} else {
			stopAfter = rng.IntN(len(plan) + 1)
		}
		ctx := fmt.Sprintf("session %d (mode %s, segment %d, crash at op %d, stop after group %d)", s, mode, segSize, crashAt, stopAfter)
		e, err := Open(ftDir, opts(f))
		if err != nil {
			ftRequireInjected(t, err, ctx+": open")
		} else {
			m.checkRecovered(t, e, ctx)
			var werr error
			for _, g := range plan[:stopAfter] {
				if werr = m.runGroup(e, g); werr != nil {
					ftRequireInjected(t, werr, ctx)
					break
				}
				if mode == SyncPeriodic && rng.IntN(3) == 0 {
					if werr = e.Sync(); werr != nil {
						ftRequireInjected(t, werr, ctx+": sync")
						break
					}
					m.syncAll()
				}
			}
			if werr == nil && rng.IntN(4) == 0 {
				if err := e.Close(); err == nil {
					m.syncAll()
				} else {
					ftRequireInjected(t, err, ctx+": close")
				}
			}
			// Otherwise the engine is abandoned, as in a crash.
		}
		if rng.IntN(5) == 0 {
			cur = cur.CrashClean()
		} else {
			cur = cur.Crash(rng)
		}
	}
	e, err := Open(ftDir, opts(cur))
	require.NoError(t, err, "final reopen\nstore:\n%s", cur)
	m.checkRecovered(t, e, "final reopen")
	m.mode = SyncEveryCommit
	m.checkWritable(t, e, cur, segSize, rng, "final reopen")
}

// TestTornTail damages the tail of the last segment of a crashed store in
// the ways a torn write can (cut at many lengths, zeroed sectors, zeros
// after a partial frame header, a partial frame appended, a last frame that
// fails its checksum, preallocated zeros). Reopen must succeed, keep every
// event whose frame (and, for a batch item, whose batch's COMMIT) is intact,
// report the torn tail in Stats().Recovery.TornTails, and truncate the file
// durably, so that a second reopen finds nothing torn.
func TestTornTail(t *testing.T) {
	seed := ftSeed(t)
	rng := ftRand(seed)
	const segSize = 4096

	// Session 1: a workload over several segments, closed cleanly.
	mem, e, m := ftBuildStore(t, ftFaultPlan(rng), segSize)
	require.NoError(t, e.Close())
	m.syncAll()
	// Session 2: a tail workload in the fresh segment, then a crash.
	e, err := Open(ftDir, ftOpts(mem, segSize))
	require.NoError(t, err)
	m.checkRecovered(t, e, "session 2")
	c := ftPlanCfg{entities: 3}
	single := func() ftOp { return ftOp{single: ftGenItem(rng, c, 60, 120)} }
	batch := ftOp{batch: []ftItem{ftGenItem(rng, c, 60, 120), ftGenItem(rng, c, 60, 120), ftGenItem(rng, c, 60, 120)}}
	for _, g := range []ftGroup{{single(), single()}, {single()}, {batch}, {single(), single()}, {single()}, {single()}} {
		require.NoError(t, m.runGroup(e, g))
	}
	last := e.WriterStats().ActiveSegment
	for _, ev := range m.staged {
		require.Equal(t, last, ev.r.Segment, "the tail workload must fit one segment")
	}
	base := mem.Clone() // the crash: the engine is never closed
	layout := ftLayout(t, base)
	orig := ftReadSeg(t, base, last)
	frames := ftParseSegment(t, last, orig).data()
	marks := 0
	for _, f := range frames {
		if f.typ == format.TypeSynced {
			marks++
		}
	}
	require.Len(t, frames, 12+marks)
	require.Greater(t, len(orig), 1024)
	size := int64(len(orig))

	type tornCase struct {
		name string
		data []byte
		p    int64 // first byte that differs from orig (or len(orig))
	}
	var cases []tornCase
	cut := func(name string, at int64) {
		cases = append(cases, tornCase{name, append([]byte(nil), orig[:at]...), at})
	}
	zeroFrom := func(name string, at int64) {
		d := append([]byte(nil), orig...)
		clear(d[at:])
		cases = append(cases, tornCase{name, d, at})
	}
	appendTail := func(name string, tail []byte) {
		cases = append(cases, tornCase{name, append(append([]byte(nil), orig...), tail...), size})
	}
	for n := int64(1); n <= 24; n++ {
		cut(fmt.Sprintf("cut last %d bytes", n), size-n)
	}
	for range 12 {
		n := 1 + rng.Int64N(size-format.HeaderSize)
		cut(fmt.Sprintf("cut last %d bytes (random)", n), size-n)
	}
	for _, f := range frames[len(frames)-5:] {
		for _, k := range []int64{0, 1, 4, 7, 8, 9, int64(f.size) / 2, int64(f.size) - 1} {
			cut(fmt.Sprintf("cut %d bytes into the frame at %d", k, f.off), f.off+k)
		}
	}
	sector := (size - 1) / 512 * 512
	require.Greater(t, sector, int64(format.HeaderSize))
	zeroFrom(fmt.Sprintf("zero the last sector from %d", sector), sector)
	for _, f := range frames[len(frames)-3:] {
		for k := int64(0); k < format.FrameHeaderSize; k++ {
			zeroFrom(fmt.Sprintf("zeros from byte %d of the frame header at %d", k, f.off), f.off+k)
		}
		zeroFrom(fmt.Sprintf("zeros from the middle of the frame at %d", f.off), f.off+int64(f.size)/2)
	}
	// A frame the engine could have been writing when it crashed.
	// Its last byte must not be zero, or "all but the last byte, then zeros"
	// would be a whole valid frame.
	var frame []byte
	for len(frame) == 0 || frame[len(frame)-1] == 0 {
		next := ftMkEvent(99, ftCoord(0), 99, messages.Hash{}, messages.ID{}, string(ftPayload(rng, 150)))
		frame = format.AppendEventFrame(nil, next, format.NewHasher())
	}
	for _, r := range []int{1, 3, 4, 7, 8, 9, len(frame) / 2, len(frame) - 1} {
		appendTail(fmt.Sprintf("append the first %d bytes of a frame", r), frame[:r])
		appendTail(fmt.Sprintf("append the first %d bytes of a frame and zeros", r), append(append([]byte(nil), frame[:r]...), make([]byte, 700)...))
	}
	bad := append([]byte(nil), frame...)
	bad[len(bad)-40] ^= 0x10
	appendTail("append a whole frame that fails its checksum", bad)
	appendTail("append a frame whose body is zeros", append(append([]byte(nil), frame[:format.FrameHeaderSize]...), make([]byte, len(frame)-format.FrameHeaderSize)...))
	for _, n := range []int{1, 7, 512, 4096} {
		appendTail(fmt.Sprintf("append %d zeros", n), make([]byte, n))
	}
	lf := frames[len(frames)-1]
	d := append(append([]byte(nil), orig[:lf.off+int64(lf.size)/2]...), make([]byte, 1000)...)
	cases = append(cases, tornCase{"cut the last frame and preallocate zeros", d, lf.off + int64(lf.size)/2})

	for ci, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := base.Clone()
			ftWriteSeg(t, mem, last, tc.data)
			intactEnd := int64(format.HeaderSize)
			for _, f := range frames {
				if f.end() <= tc.p {
					intactEnd = f.end()
				}
			}
			mm := m.clone()
			mm.durable = ftSurvivingPrefix(t, layout, mm.staged, ftPos{last, tc.p})
			want := mm.durable
			torn := int64(len(tc.data)) > intactEnd

			e, err := Open(ftDir, ftOpts(mem, segSize))
			require.NoError(t, err, "a torn tail must not fail Open")
			require.Equal(t, want, mm.checkRecovered(t, e, tc.name), "events recovered")
			rec := e.Stats().Recovery
			got, err := mem.ReadFile(ftSegPath(last))
			require.NoError(t, err)
			// Open seals the last segment it scanned: its data, then a footer.
			require.Equal(t, last, rec.Sealed, "the scanned last segment is sealed")
			require.Equal(t, int64(len(got)), mem.SyncedSize(ftSegPath(last)), "the cut and the seal must be synced")
			if torn {
				require.Len(t, rec.TornTails, 1, "the torn tail must be reported")
				require.Contains(t, rec.TornTails[0], fmt.Sprintf("segment %d:", last))
				require.Contains(t, rec.TornTails[0], fmt.Sprintf("offset %d", intactEnd))
				require.Equal(t, intactEnd, sealedDataEnd(got), "the torn tail must be cut off the file")
				require.Less(t, intactEnd, int64(len(tc.data)))
			} else {
				require.Empty(t, rec.TornTails)
				require.Equal(t, int64(len(tc.data)), sealedDataEnd(got))
				require.Equal(t, tc.data, got[:len(tc.data)])
			}
			require.Equal(t, orig[:intactEnd], got[:intactEnd])
			require.NoError(t, e.Close())

			e, err = Open(ftDir, ftOpts(mem, segSize))
			require.NoError(t, err)
			require.Empty(t, e.Stats().Recovery.TornTails, "second reopen")
			mm.checkRecovered(t, e, tc.name+": second reopen")
			mm.checkWritable(t, e, mem, segSize, ftRand(seed+uint64(ci)), tc.name)
		})
	}
}
