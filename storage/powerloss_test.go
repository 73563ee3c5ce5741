package storage

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/stretchr/testify/require"
)

// TestPowerLossEngine cuts the power under random workloads, thousands of
// times per run. Each round is one store on an fs.Mem (4-16 KiB segments,
// Preallocate off or on, per session; its directory made by the first
// Open, or made and synced beforehand) over 2-4 sessions, each ended by
// Close or by Abandon (a process crash: the page cache survives; the next
// Open may CutAfter what was published). The workload mixes single
// appends (some keyed, some with expected versions, some with a stale one
// that must be refused, some idempotent retries) and atomic batches (some
// keyed, many spanning a rotation, some with per-item expected versions,
// some of those with a stale one that refuses the whole batch: its events
// must never appear), committed by Commit or by the
// pipelined Write / Pending.Sync / Publish with up to two groups written
// ahead.
//
// Power-loss images (fs.Mem.PowerLoss: synced data survives, any subset of
// the unsynced 4 KiB pages, sizes and directory operations does) are taken
// right before random file-system operations of the workload and of Open
// and Close (so also mid-rotation, mid-footer, mid-recovery), and after
// Commit, Write, Sync, Publish, Close and Abandon returned. For each image:
// Open without Repair succeeds; every acknowledged event (its Commit or
// Publish returned, or a previous Open made it visible) is there with the
// same sequence, version, hash, position and payload; what else is there
// is a prefix of what was written that cuts no batch; Verify passes; an
// idempotent retry of a keyed event gets its original receipt if the event
// survived and a new one if it did not; appends continue and a second
// reopen finds them. Some images lose power again at a random operation
// of their own recovery, and that image is checked the same way.
//
// Rerun a failure with the seed it logs: -fault.seed=N (or
// BATPAK_FAULT_SEED=N), and -run 'TestPowerLossEngine/roundNNN$' for one
// round.
func TestPowerLossEngine(t *testing.T) {
	seed := ftSeed(t)
	master := ftRand(seed)
	var total plTally
	for round := range powerLossRounds(plEngineRounds) {
		rs := master.Uint64()
		name := fmt.Sprintf("round%03d", round)
		ok := t.Run(name, func(t *testing.T) {
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("round seed %d; rerun with -fault.seed=%d -run 'TestPowerLossEngine/%s$'", rs, seed, name)
				}
			})
			r := newPLRun(t, ftRand(rs))
			r.run()
			total.add(r.tally)
		})
		if !ok {
			break // one failing round says enough; its seed reproduces it
		}
	}
	t.Logf("%d power-loss images checked (%d of them cut again during recovery), %d acknowledged events checked in all, %d checks that an item of a refused conditional batch is absent",
		total.images, total.nested, total.acked, total.refused)
}

// plTally counts what a power-loss test checked.
type plTally struct{ images, nested, acked, refused int }

func (a *plTally) add(b plTally) {
	a.refused += b.refused
	a.images += b.images
	a.nested += b.nested
	a.acked += b.acked
}

// plRetry is how to retry a keyed request: the request itself.
type plRetry struct {
	single *messages.Append
	batch  *messages.AppendBatch
}

// plGroup is a written group waiting for its Sync and Publish; end is the
// number of model events staged up to its end.
type plGroup struct {
	p   *Pending
	end int
}

// plRun is one round of TestPowerLossEngine.
type plRun struct {
	t        *testing.T
	rng      *rand.Rand
	mem      *fs.Mem
	fs       *plFS
	segSize  int64
	cfg      ftPlanCfg
	shootP   float64 // probability of taking images at a point
	m        *ftModel
	e        *Engine
	inflight []plGroup
	versions map[messages.Coordinate]uint64 // as staged
	keyed    map[messages.ID]plRetry        // by the event id (a batch's first)
	keyIDs   []messages.ID                  // keys of keyed, in order (a seed replays)
	refused  []messages.ID                  // event ids of refused conditional batches' items
	session  string                         // which session, with its options
	where    string                         // what the workload is doing
	ops      int                            // file-system operations so far
	tally    plTally
}

func newPLRun(t *testing.T, rng *rand.Rand) *plRun {
	mem := fs.NewMem()
	r := &plRun{
		t: t, rng: rng, mem: mem, segSize: int64(4096 * (1 + rng.IntN(4))),
		cfg:    ftPlanCfg{entities: 1 + rng.IntN(5)},
		shootP: plShootP,
		m:      &ftModel{},
		keyed:  map[messages.ID]plRetry{},
	}
	r.fs = &plFS{mem: mem, before: r.beforeOp}
	return r
}

func (r *plRun) beforeOp(op, name string) {
	r.ops++
	r.shoot(func() string { return fmt.Sprintf("%s: before fs op %d (%s %s)", r.where, r.ops, op, name) })
}

func (r *plRun) run() {
	t := r.t
	if r.rng.IntN(2) == 0 { // the data directory exists, durably, before the first Open
		require.NoError(t, r.mem.MkdirAll(ftDir, 0o700))
		require.NoError(t, r.mem.SyncDir("/"))
	}
	var cut *Position
	sessions := 2 + r.rng.IntN(3)
	for s := range sessions {
		prealloc := []int64{0, 4096, 64 << 10}[r.rng.IntN(3)]
		r.session = fmt.Sprintf("session %d (segment %d, preallocate %d)", s, r.segSize, prealloc)
		r.setWhere(fmt.Sprintf("open (cut after %v)", cut))
		e, err := Open(ftDir, Options{FS: r.fs, SegmentSize: r.segSize, Clock: ftClock(), Preallocate: prealloc, CutAfter: cut})
		require.NoError(t, err, "%s: the live store never lost power", r.where)
		r.e = e
		r.m.checkRecovered(t, e, r.where+" (live)")
		r.versions = map[messages.Coordinate]uint64{}
		for _, ev := range r.m.survivors {
			r.versions[ev.it.coord] = ev.r.Version
		}
		r.setWhere("open")
		r.shoot(func() string { return r.where + " returned" })
		for range 3 + r.rng.IntN(10) {
			r.step()
		}
		cut = r.end()
	}
	r.session = "end"
	r.setWhere("after the last session")
	r.shootAlways(func() string { return r.where })
}

// step stages a group of 1-3 requests and commits it, by Commit or by
// Write, then (now or in a later step) Pending.Sync and Publish.
func (r *plRun) step() {
	t := r.t
	n := 1 + r.rng.IntN(3)
	if r.rng.IntN(2) == 0 {
		r.drain()
		for range n {
			r.stageOp()
		}
		r.setWhere("commit")
		require.NoError(t, r.e.Commit(), r.where)
		r.m.committed = len(r.m.staged)
		r.m.durable = r.m.committed
		r.shoot(func() string { return r.where + ": after Commit returned" })
		return
	}
	for range n {
		r.stageOp()
	}
	r.setWhere("write")
	p, err := r.e.Write()
	require.NoError(t, err, r.where)
	if p != nil {
		r.inflight = append(r.inflight, plGroup{p: p, end: len(r.m.staged)})
		r.shoot(func() string { return r.where + ": after Write, before Sync" })
	}
	for len(r.inflight) > 2 || (len(r.inflight) > 0 && r.rng.IntN(2) == 0) {
		r.finishOldest()
	}
}

func (r *plRun) setWhere(what string) { r.where = r.session + ": " + what }

// finishOldest syncs the oldest written group (sometimes a newer one
// first: Syncs may run in any order) and publishes it.
func (r *plRun) finishOldest() {
	t := r.t
	g := r.inflight[0]
	if n := len(r.inflight); n > 1 && r.rng.IntN(3) == 0 {
		r.setWhere("sync of a newer group")
		require.NoError(t, r.inflight[n-1].p.Sync(), r.where)
	}
	r.setWhere("sync")
	require.NoError(t, g.p.Sync(), r.where)
	r.shoot(func() string { return r.where + ": after Sync, before Publish" })
	r.setWhere("publish")
	require.NoError(t, r.e.Publish(g.p), r.where)
	r.inflight = r.inflight[1:]
	r.m.committed, r.m.durable = g.end, g.end
	r.shoot(func() string { return r.where + ": after Publish returned" })
}

// drain syncs and publishes every written group.
func (r *plRun) drain() {
	for len(r.inflight) > 0 {
		r.finishOldest()
	}
}

// end ends a session: Close, or Abandon (a crash of the process; the page
// cache keeps what was written). It returns the position the next Open
// should cut after, or nil.
func (r *plRun) end() *Position {
	t := r.t
	if r.rng.IntN(3) > 0 {
		r.drain()
		r.setWhere("close")
		require.NoError(t, r.e.Close(), r.where)
		r.m.syncAll()
		r.shoot(func() string { return r.where + ": after Close returned" })
		return nil
	}
	r.setWhere("abandon")
	pub := r.e.Published()
	require.NoError(t, r.e.Abandon(), r.where)
	r.inflight = nil
	r.shoot(func() string { return r.where + ": after Abandon returned" })
	if r.rng.IntN(2) == 0 {
		return &pub
	}
	return nil
}

// stageOp stages one random request on the live engine and records it.
func (r *plRun) stageOp() {
	switch x := r.rng.IntN(20); {
	case x < 2 && r.retryLive():
	case x < 7:
		r.stageBatch()
	default:
		r.stageSingle()
	}
}

func (r *plRun) stageSingle() {
	t := r.t
	it := ftGenItem(r.rng, r.cfg, 0, 300)
	a := &messages.Append{Coordinate: it.coord, Kind: it.kind, Payload: it.payload}
	if r.rng.IntN(5) < 2 {
		a.IdempotencyKey = messages.NewID()
	}
	v := r.versions[it.coord]
	switch x := r.rng.IntN(10); {
	case x < 4 && v == 0:
		a.Expected = messages.NoStream()
	case x < 4:
		a.Expected = messages.Exactly(v)
	case x == 4:
		a.Expected = messages.Exactly(v + 1 + uint64(r.rng.IntN(3)))
		_, err := r.e.Append(a)
		require.ErrorIs(t, err, messages.ErrVersionConflict, "%s: stale expected version", r.where)
		return
	}
	rc, err := r.e.Append(a)
	require.NoError(t, err, r.where)
	require.False(t, rc.Replayed)
	require.Equal(t, v+1, rc.Version, "%s: version", r.where)
	r.m.staged = append(r.m.staged, &ftEvent{r: rc, it: it, batch: -1})
	r.versions[it.coord] = rc.Version
	if !a.IdempotencyKey.IsZero() {
		r.keep(rc.EventID, plRetry{single: a})
	}
}

func (r *plRun) stageBatch() {
	t := r.t
	items := make([]ftItem, 2+r.rng.IntN(5))
	req := &messages.AppendBatch{Items: make([]messages.BatchItem, len(items))}
	keyed := r.rng.IntN(3) == 0
	for i := range items {
		items[i] = ftGenItem(r.rng, r.cfg, 10, 400)
		if i > 0 && r.rng.IntN(3) == 0 {
			items[i].cause = r.rng.IntN(i)
		}
		bi := messages.BatchItem{Coordinate: items[i].coord, Kind: items[i].kind, Payload: items[i].payload}
		if items[i].cause >= 0 {
			bi.Causation = messages.CausedByItem(items[i].cause)
		}
		if keyed {
			bi.IdempotencyKey = messages.NewID()
		}
		req.Items[i] = bi
	}
	stale := r.condition(req)
	if stale >= 0 {
		staged := r.e.Staged()
		_, err := r.e.AppendBatch(req)
		require.ErrorIs(t, err, messages.ErrVersionConflict, "%s: batch with a stale expected version", r.where)
		var be *BatchError
		require.ErrorAs(t, err, &be)
		require.Equal(t, stale, be.Item, r.where)
		require.Equal(t, staged, r.e.Staged(), "%s: a refused batch staged something", r.where)
		for i := range req.Items {
			r.refused = append(r.refused, messages.IDFromKey(req.Items[i].IdempotencyKey))
		}
		return
	}
	rs, err := r.e.AppendBatch(req)
	require.NoError(t, err, r.where)
	b := r.m.batches
	r.m.batches++
	for i, rc := range rs {
		require.False(t, rc.Replayed)
		ev := &ftEvent{r: rc, it: items[i], batch: b}
		if c := items[i].cause; c >= 0 {
			ev.causeID = rs[c].EventID
		}
		r.m.staged = append(r.m.staged, ev)
		r.versions[items[i].coord] = rc.Version
		if x := req.Items[i].Expected; !x.IsAny() {
			require.True(t, x.Check(rc.Version-1), "%s: item %d (%s) landed at version %d", r.where, i, x, rc.Version)
		}
	}
	if keyed {
		r.keep(rs[0].EventID, plRetry{batch: req})
	}
}

// condition makes half the batches conditional: each item's expected
// version is, with some probability (always for an entity's first item),
// the version its entity has as staged plus the earlier items of the batch
// on it. One conditional batch in five gets a stale condition on a random
// item (and keys, so that its event ids are known): condition returns that
// item, or -1.
func (r *plRun) condition(req *messages.AppendBatch) int {
	if r.rng.IntN(2) == 0 {
		return -1
	}
	before := map[messages.Coordinate]uint64{}
	for i := range req.Items {
		it := &req.Items[i]
		k, again := before[it.Coordinate]
		before[it.Coordinate] = k + 1
		if again && r.rng.IntN(2) == 0 {
			continue
		}
		if v := r.versions[it.Coordinate] + k; v == 0 && r.rng.IntN(2) == 0 {
			it.Expected = messages.NoStream()
		} else {
			it.Expected = messages.Exactly(v)
		}
	}
	if r.rng.IntN(5) > 0 {
		return -1
	}
	stale := r.rng.IntN(len(req.Items))
	it := &req.Items[stale]
	it.Expected = messages.Exactly(r.versions[it.Coordinate] + uint64(len(req.Items)) + uint64(r.rng.IntN(3)))
	for i := range req.Items {
		if req.Items[i].IdempotencyKey.IsZero() {
			req.Items[i].IdempotencyKey = messages.NewID()
		}
	}
	return stale
}

func (r *plRun) keep(id messages.ID, how plRetry) {
	r.keyed[id] = how
	r.keyIDs = append(r.keyIDs, id)
}

// retryLive retries a keyed request whose event the live store holds: it
// must get the original receipts back and write nothing. It returns false
// (and does nothing) when there is no such request.
func (r *plRun) retryLive() bool {
	if len(r.keyIDs) == 0 {
		return false
	}
	id := r.keyIDs[r.rng.IntN(len(r.keyIDs))]
	have := r.m.byID()
	if have[id] == nil {
		return false // lost with a cut
	}
	staged := r.e.Staged()
	if r.undecided(id) {
		// Its event is written but not yet published: the engine does not
		// answer a replay before the event is durable.
		var err error
		if how := r.keyed[id]; how.single != nil {
			_, err = r.e.Append(how.single)
		} else {
			_, err = r.e.AppendBatch(how.batch)
		}
		require.ErrorIs(r.t, err, ErrUndecided, "%s: a retry of an unpublished event", r.where)
		require.Equal(r.t, staged, r.e.Staged(), "%s: an undecided retry staged something", r.where)
		return true
	}
	r.retry(r.e, r.keyed[id], have, r.where+": idempotent retry in the live store")
	require.Equal(r.t, staged, r.e.Staged(), "%s: an idempotent retry staged something", r.where)
	return true
}

// undecided reports whether the keyed event id is staged or written but
// not yet published.
func (r *plRun) undecided(id messages.ID) bool {
	_, ok := r.e.over.keyed[id]
	return ok
}

// retry sends the keyed request how again and checks the answer: the
// original receipts if its events are in have, new ones (not Replayed,
// same ids) if not.
func (r *plRun) retry(e *Engine, how plRetry, have map[messages.ID]*ftEvent, ctx string) {
	t := r.t
	var got []messages.Receipt
	if how.single != nil {
		a := *how.single
		a.Expected = messages.Any() // a lost event's version may be taken now
		rc, err := e.Append(&a)
		require.NoError(t, err, "%s: retry", ctx)
		got = []messages.Receipt{rc}
	} else {
		b := how.batch
		if have[messages.IDFromKey(b.Items[0].IdempotencyKey)] == nil {
			// Lost: its conditions may not hold now. (A batch that is there
			// is replayed whatever its conditions say: sent as it was.)
			b = &messages.AppendBatch{Items: slices.Clone(b.Items)}
			for i := range b.Items {
				b.Items[i].Expected = messages.Any()
			}
		}
		rs, err := e.AppendBatch(b)
		require.NoError(t, err, "%s: retry of a batch", ctx)
		got = rs
	}
	for i, rc := range got {
		key := messages.ID{}
		if how.single != nil {
			key = how.single.IdempotencyKey
		} else {
			key = how.batch.Items[i].IdempotencyKey
		}
		require.Equal(t, messages.IDFromKey(key), rc.EventID, "%s: the event id comes from the key", ctx)
		want, ok := have[rc.EventID]
		if !ok {
			require.False(t, rc.Replayed, "%s: a retry of an event that is not in the store is replayed: %+v", ctx, rc)
			continue
		}
		require.True(t, rc.Replayed, "%s: a retry of an event in the store is written again", ctx)
		rc.Replayed = false
		require.Equal(t, want.r, rc, "%s: a retry returns the original receipt", ctx)
	}
}

// shoot takes 1-3 power-loss images of the live file system and checks
// each, with probability shootP.
func (r *plRun) shoot(where func() string) {
	if r.rng.Float64() < r.shootP {
		r.shootAlways(where)
	}
}

func (r *plRun) shootAlways(where func() string) {
	ctx := where()
	for i := range 1 + r.rng.IntN(3) {
		r.check(r.mem.PowerLoss(r.rng), fmt.Sprintf("%s, power-loss image %d", ctx, i), true)
	}
}

// check opens a power-loss image and checks it against the model (see
// TestPowerLossEngine). With again, it may also take an image of the
// image's own recovery at a random operation, and check that too.
func (r *plRun) check(img *fs.Mem, ctx string, again bool) {
	t := r.t
	r.tally.images++
	mm := r.m.clone()
	r.tally.acked += len(mm.survivors) + mm.durable
	listing := img.String()
	var fsys fs.FS = img
	var second *fs.Mem
	var w *plFS
	secondAt := 0
	if again && r.rng.IntN(8) == 0 {
		secondAt = 1 + r.rng.IntN(10)
		n := 0
		w = &plFS{mem: img, before: func(string, string) {
			if n++; n == secondAt {
				second = img.PowerLoss(r.rng)
			}
		}}
		fsys = w
	}
	var e *Engine
	passed := false
	defer func() {
		if !passed {
			t.Logf("the power-loss image (%s):\n%s", ctx, listing)
			if e != nil {
				t.Logf("its recovery: %+v", e.Stats().Recovery)
			}
		}
	}()
	e, err := Open(ftDir, Options{FS: fsys, SegmentSize: r.segSize, Clock: ftClock()})
	require.NoError(t, err, "%s: Open (without Repair) of the power-loss image", ctx)
	if w != nil {
		w.before = nil // the second power cut happens during Open or not at all
	}
	have := mm.byID()
	mm.checkRecovered(t, e, ctx)
	r.tally.refused += len(r.refused)
	for _, id := range r.refused {
		_, err := e.Get(id)
		require.ErrorIs(t, err, ErrNotFound, "%s: an item of a batch refused for its expected version is stored", ctx)
	}
	if len(r.keyIDs) > 0 {
		kept := map[messages.ID]*ftEvent{}
		for _, ev := range mm.survivors {
			kept[ev.r.EventID] = ev
		}
		tried := map[messages.ID]bool{}
		for range 2 {
			id := r.keyIDs[r.rng.IntN(len(r.keyIDs))]
			if have[id] != nil && !tried[id] { // a request of the model, once
				tried[id] = true
				r.retry(e, r.keyed[id], kept, ctx+": idempotent retry after the power cut")
			}
		}
		e.Rollback()
	}
	mm.checkWritable(t, e, img, r.segSize, r.rng, ctx)
	if second != nil {
		r.tally.nested++
		r.check(second, fmt.Sprintf("%s, then power lost again before op %d of its recovery", ctx, secondAt), false)
	}
	passed = true
}

// powerLossRounds is n, or BATPAK_POWERLOSS_ROUNDS when set (long runs:
// .ci/long).
func powerLossRounds(n int) int {
	if v, err := strconv.Atoi(os.Getenv("BATPAK_POWERLOSS_ROUNDS")); err == nil && v > 0 {
		return v
	}
	return n
}
