package storage

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/stretchr/testify/require"
)

// The fault sweep: a fixed workload (single appends and atomic batches,
// committed in groups, with a 4 KiB segment size so that groups and batches
// rotate segments) runs once on a clean fs.Faulty to count its file-system
// operations, then once per operation with that operation failing: once
// (FailAt) or from then on (FailFrom, a dead disk), with torn partial writes
// on and off. After each run the store is reopened over a clean file system
// (an exact copy of the state, only the synced state, and the very same
// Mem) and must hold every committed event, a clean prefix of the rest,
// pass Verify, and take new writes.

const ftFaultSegSize = 4096

var ftFaultPlanCfg = ftPlanCfg{
	groups: 18, maxOps: 3, entities: 4, batchProb: 0.35,
	maxItems: 5, maxPayload: 300, itemLo: 250, itemHi: 350,
}

// ftFaultPlan draws the workload of the fault tests, with, in its middle, a
// batch larger than a segment, which must span a rotation.
func ftFaultPlan(rng *rand.Rand) []ftGroup {
	plan := ftGenPlan(rng, ftFaultPlanCfg)
	big := make([]ftItem, 12)
	for i := range big {
		big[i] = ftGenItem(rng, ftFaultPlanCfg, 330, 350)
	}
	mid := len(plan) / 2
	return append(plan[:mid:mid], append([]ftGroup{{{batch: big}}}, plan[mid:]...)...)
}

// ftFaultRun is the outcome of one run of the workload under a fault.
type ftFaultRun struct {
	m         *ftModel
	mem       *fs.Mem
	lastFault string
	failedAt  string // "open", "commit" or "close"; "" if nothing failed
	ops       int64  // operations counted by the Faulty
}

// ftRunFaulty runs plan on a fresh Mem through a Faulty armed by arm, and
// checks how the engine reports and contains the failure.
func ftRunFaulty(t *testing.T, plan []ftGroup, arm func(*fs.Faulty)) ftFaultRun {
	t.Helper()
	mem := fs.NewMem()
	f := fs.NewFaulty(mem)
	arm(f)
	run := ftFaultRun{m: &ftModel{}, mem: mem}
	m := run.m
	e, err := Open(ftDir, ftOpts(f, ftFaultSegSize))
	if err != nil {
		ftRequireInjected(t, err, "open")
		run.failedAt, run.lastFault, run.ops = "open", f.LastFault(), f.Ops()
		return run
	}
	var ferr error
	for _, g := range plan {
		if ferr = m.runGroup(e, g); ferr != nil {
			break
		}
	}
	if ferr != nil {
		run.failedAt = "commit"
		ftRequireInjected(t, ferr, "failing commit")
		require.True(t, strings.HasPrefix(ferr.Error(), "commit:"), "only Commit touches the disk: %v", ferr)

		// The engine refuses every later write, with the original cause.
		_, err := e.Append(&messages.Append{Coordinate: ftCoord(0), Kind: messages.MustKind(1, 1), Payload: []byte("late")})
		ftRequireInjected(t, err, "append after a failed commit")
		_, err = e.AppendBatch(&messages.AppendBatch{Items: []messages.BatchItem{{Coordinate: ftCoord(0), Kind: messages.MustKind(1, 1)}}})
		ftRequireInjected(t, err, "batch after a failed commit")
		ftRequireInjected(t, e.Commit(), "commit after a failed commit")
		ftRequireInjected(t, e.Sync(), "sync after a failed commit")
		require.True(t, e.WriterStats().Failed)

		// Nothing of the failed group became visible.
		require.Equal(t, m.committed, e.Stats().Events, "events visible after a failed commit")
		for _, w := range m.staged[m.committed:] {
			_, err := e.Get(w.r.EventID)
			require.ErrorIs(t, err, ErrNotFound, "an event of the failed group is visible")
		}
		for _, w := range m.staged[:m.committed] {
			ev, err := e.Get(w.r.EventID)
			require.NoError(t, err)
			ftRequireSame(t, w, ev, "failed engine")
		}
		_ = e.Close() // must release the lock whatever it returns
	} else if err := e.Close(); err != nil {
		run.failedAt = "close"
		ftRequireInjected(t, err, "close")
		_, err := e.Append(&messages.Append{Coordinate: ftCoord(0), Kind: messages.MustKind(1, 1)})
		require.ErrorIs(t, err, ErrClosed)
	}
	run.lastFault, run.ops = f.LastFault(), f.Ops()
	return run
}

// ftCheckReopen reopens each post-fault view of run's Mem over a clean FS
// and checks what it holds.
func ftCheckReopen(t *testing.T, run ftFaultRun, seed uint64) {
	t.Helper()
	views := []struct {
		name string
		mem  *fs.Mem
	}{
		// Snapshots first: the "same" view modifies run.mem.
		{"clone", run.mem.Clone()},
		{"synced-only", run.mem.CrashClean()},
		{"same-mem", run.mem},
	}
	for vi, v := range views {
		t.Run(v.name, func(t *testing.T) {
			ctx := fmt.Sprintf("fault %q (failed in %s), reopen %s", run.lastFault, run.failedAt, v.name)
			m := run.m.clone()
			e, err := Open(ftDir, ftOpts(v.mem, ftFaultSegSize))
			require.NoError(t, err, "%s\nstore:\n%s", ctx, v.mem)
			m.checkRecovered(t, e, ctx)
			if vi == 0 {
				m.checkWritable(t, e, v.mem, ftFaultSegSize, ftRand(seed+uint64(vi)), ctx)
			} else {
				m.checkWritableOnly(t, e, ftRand(seed+uint64(vi)), ctx)
			}
		})
	}
}

func TestFaultEveryOperation(t *testing.T) {
	seed := ftSeed(t)
	plan := ftFaultPlan(ftRand(seed))

	// A clean run: count the operations and check the workload itself.
	clean := ftRunFaulty(t, plan, func(*fs.Faulty) {})
	require.Empty(t, clean.failedAt)
	ops := clean.ops
	layout := ftLayout(t, clean.mem)
	require.Greater(t, len(layout), 3, "the workload must rotate segments")
	segsOf := map[int]map[uint64]bool{}
	for _, ev := range clean.m.staged {
		if ev.batch >= 0 {
			if segsOf[ev.batch] == nil {
				segsOf[ev.batch] = map[uint64]bool{}
			}
			segsOf[ev.batch][ev.r.Segment] = true
		}
	}
	spanning := 0
	for _, s := range segsOf {
		if len(s) > 1 {
			spanning++
		}
	}
	require.Positive(t, spanning, "some batch must span a rotation")
	t.Logf("clean run: %d fs operations, %d events, %d batches (%d spanning a rotation), %d segments",
		ops, len(clean.m.staged), clean.m.batches, spanning, len(layout))
	ftCheckReopen(t, clean, seed)

	// Every operation fails in turn.
	for _, sticky := range []bool{false, true} {
		mode := "FailAt"
		if sticky {
			mode = "FailFrom"
		}
		for i := int64(1); i <= ops; i++ {
			t.Run(fmt.Sprintf("%s/op%03d", mode, i), func(t *testing.T) {
				arm := func(partial bool) func(*fs.Faulty) {
					return func(f *fs.Faulty) {
						f.SetPartialWrites(partial)
						if sticky {
							f.FailFrom(i, nil)
						} else {
							f.FailAt(i, nil)
						}
					}
				}
				run := ftRunFaulty(t, plan, arm(true))
				require.NotEmpty(t, run.lastFault, "operation %d of %d was never reached", i, ops)
				// A checkpoint that fails to write is harmless (the next Open
				// replays that segment) and only counted in
				// Stats.CheckpointErrors (TestCheckpointWriteFailure).
				if !strings.Contains(run.lastFault, format.CheckpointExt) {
					require.NotEmpty(t, run.failedAt, "fault %q went unnoticed", run.lastFault)
				}
				ftCheckReopen(t, run, seed+uint64(i))
				if strings.HasPrefix(run.lastFault, "write ") {
					// The same fault without the torn half-write.
					t.Run("no-partial", func(t *testing.T) {
						run := ftRunFaulty(t, plan, arm(false))
						ftCheckReopen(t, run, seed+uint64(i))
					})
				}
			})
		}
	}
}

// TestFaultDuringRecovery fails each operation of an Open that has
// recovery work to do (a torn tail to cut, a headerless segment to remove,
// a fresh segment to create): Open must fail with the injected I/O error or
// succeed, and a later clean Open must recover the same events.
func TestFaultDuringRecovery(t *testing.T) {
	seed := ftSeed(t)
	rng := ftRand(seed)
	plan := ftFaultPlan(rng)
	mem, e, m := ftBuildStore(t, plan, ftFaultSegSize)
	m.syncAll()
	_ = e // crashed: never closed
	base := mem.Clone()
	ids := ftSegIDs(t, base)
	last := ids[len(ids)-1]
	// A torn tail on the last segment, and a headerless segment after it.
	layout := ftLayout(t, base)
	b := ftReadSeg(t, base, last)
	l := ftParseSegment(t, last, b)
	require.NotEmpty(t, l.data())
	lastFrame := l.data()[len(l.data())-1]
	ftWriteSeg(t, base, last, b[:lastFrame.off+int64(lastFrame.size)/2])
	m.durable = ftSurvivingPrefix(t, layout, m.staged, ftPos{last, lastFrame.off})
	ftWriteSeg(t, base, last+1, nil)

	// Count the operations of a clean recovery.
	probe := fs.NewFaulty(base.Clone())
	e, err := Open(ftDir, ftOpts(probe, ftFaultSegSize))
	require.NoError(t, err)
	require.Len(t, e.Stats().Recovery.TornTails, 1)
	require.Equal(t, []uint64{last + 1}, e.Stats().Recovery.RemovedEmpty)
	ops := probe.Ops()
	require.NoError(t, e.Close())
	t.Logf("recovery takes %d fs operations", ops)

	for _, sticky := range []bool{false, true} {
		for i := int64(1); i <= ops; i++ {
			for _, partial := range []bool{true, false} {
				t.Run(fmt.Sprintf("sticky=%t/op%02d/partial=%t", sticky, i, partial), func(t *testing.T) {
					mem := base.Clone()
					f := fs.NewFaulty(mem)
					f.SetPartialWrites(partial)
					if sticky {
						f.FailFrom(i, nil)
					} else {
						f.FailAt(i, nil)
					}
					e, err := Open(ftDir, ftOpts(f, ftFaultSegSize))
					ctx := fmt.Sprintf("fault %q", f.LastFault())
					require.NotEmpty(t, f.LastFault(), "operation %d not reached", i)
					if !partial && !strings.HasPrefix(f.LastFault(), "write ") {
						t.Skip("partial writes matter only for writes")
					}
					if err == nil {
						require.NoError(t, e.Close(), ctx) // a one-shot fault already passed
					}
					for _, v := range []*fs.Mem{mem.Clone(), mem.CrashClean()} {
						e, err := Open(ftDir, ftOpts(v, ftFaultSegSize))
						require.NoError(t, err, "%s\nstore:\n%s", ctx, v)
						mm := m.clone()
						n := mm.checkRecovered(t, e, ctx)
						require.Equal(t, m.durable, n, "%s: recovered events", ctx)
						require.NoError(t, e.Close())
					}
					if err != nil {
						ftRequireInjected(t, err, ctx)
					}
				})
			}
		}
	}
}
