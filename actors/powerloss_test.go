package actors

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
)

var plSeedFlag = flag.Uint64("powerloss.seed", 0,
	"seed of TestPowerLossActors (0: time-based; the env var BATPAK_FAULT_SEED also works)")

// plSeed returns the seed of the test and logs it.
func plSeed(t *testing.T) uint64 {
	t.Helper()
	s := *plSeedFlag
	if v := os.Getenv("BATPAK_FAULT_SEED"); s == 0 && v != "" {
		var err error
		s, err = strconv.ParseUint(v, 0, 64)
		require.NoError(t, err, "BATPAK_FAULT_SEED")
	}
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -powerloss.seed=%d; the goroutines' interleaving is not replayed)", s, s)
	return s
}

func plRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15)) }

// TestPowerLossActors cuts the power under a store driven through the
// actors. Each round spawns a store on an fs.Mem (16 or 64 KiB segments,
// preallocated or not; its directory, two levels deep, made by the first
// Spawn or made and synced beforehand) twice in a row, with Close in
// between. In each session plActorProducers goroutines call Store.Append
// (expected versions, some with idempotency keys) and Store.AppendBatch
// (some keyed, some large enough to span a rotation, some with per-item
// expected versions, a few of them stale), recording each
// receipt only after the call returned. In some rounds they also make the
// writer panic (faults.Panic) now and then; a keyed request answered
// ErrWriterCrashed is retried once. At random moments a producer copies
// the set of receipts and then takes 1-3 power-loss images
// (fs.Mem.PowerLoss); more are taken after each Close. Each image must
// open with storage.Open (no Repair) and hold every event acknowledged
// before the copy, byte for byte (sequence, version, hash, position,
// coordinate, kind, payload), every batch whole or not at all, increasing
// sequences and chains that Verify, and no item of a batch refused for a
// stale expected version; then it must take an append and
// reopen clean.
func TestPowerLossActors(t *testing.T) {
	seed := plSeed(t)
	master := plRand(seed)
	var images, acked, restarts, refused int
	for round := range powerLossRounds(plActorRounds) {
		rs := master.Uint64()
		name := fmt.Sprintf("round%02d", round)
		ok := t.Run(name, func(t *testing.T) {
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("round seed %d; rerun with -powerloss.seed=%d -run 'TestPowerLossActors/%s$'", rs, seed, name)
				}
			})
			r := &plActorRun{t: t, rng: plRand(rs), mem: fs.NewMem(), acked: map[messages.ID]plAck{}}
			r.run()
			images += r.images
			acked += r.checked
			restarts += r.restarts
			refused += len(r.refused)
		})
		if !ok {
			break
		}
	}
	t.Logf("%d power-loss images checked, %d acknowledged events checked in all, %d writer restarts, %d items of refused conditional batches checked absent",
		images, acked, restarts, refused)
}

// plActorProducers is the number of goroutines appending in a session.
const plActorProducers = 8

// plAck is one acknowledged event: its receipt and what was appended.
type plAck struct {
	r       messages.Receipt
	coord   messages.Coordinate
	kind    messages.EventKind
	payload []byte
}

// plActorRun is one round of TestPowerLossActors.
type plActorRun struct {
	t        *testing.T
	rng      *rand.Rand // the test goroutine's
	mem      *fs.Mem
	segSize  int64
	mu       sync.Mutex
	acked    map[messages.ID]plAck // guarded by mu
	refused  []messages.ID         // items of batches refused for a stale expected version, guarded by mu
	shots    []plShot              // of the session, guarded by mu
	nshots   int                   // guarded by mu
	images   int
	checked  int
	restarts int
}

const plActorDir = "/data/store"

func (r *plActorRun) run() {
	t := r.t
	r.segSize = []int64{16 << 10, 64 << 10}[r.rng.IntN(2)]
	prealloc := []int64{-1, 0}[r.rng.IntN(2)] // off, or the store's default (capped at a segment)
	crashes := r.rng.IntN(2) == 0
	if r.rng.IntN(2) == 0 { // the data directory exists, durably, before the first Spawn
		require.NoError(t, r.mem.MkdirAll(plActorDir, 0o700))
		require.NoError(t, r.mem.SyncDir("/data"))
		require.NoError(t, r.mem.SyncDir("/"))
	}
	sys := quietSystem()
	defer sys.Shutdown()
	for s := range 2 {
		ctx := fmt.Sprintf("session %d (segment %d, preallocate %d, writer crashes %t)", s, r.segSize, prealloc, crashes)
		store, err := Spawn(sys, Config{
			Dir: plActorDir, Name: fmt.Sprintf("batpak%d", s),
			Storage: storage.Options{FS: r.mem, SegmentSize: r.segSize, Preallocate: prealloc},
			Policy:  supervision.Bounded(1000, time.Minute),
		})
		require.NoError(t, err, "%s: spawn", ctx)
		r.load(sys, store, s, crashes, ctx)
		r.restarts += store.Restarts()
		require.NoError(t, store.Close(context.Background()), "%s: close", ctx)
		r.checkShot(r.take(r.rng, ctx+": after Close"))
	}
}

// load runs the producers of a session; they take power-loss images (and
// crash the writer) at random moments. The images are checked once the
// producers are done.
func (r *plActorRun) load(sys *actor.ActorSystem, store *Store, session int, crashes bool, ctx string) {
	r.shots, r.nshots = nil, 0
	var wg sync.WaitGroup
	for g := range plActorProducers {
		p := &plProducer{run: r, sys: sys, store: store, rng: plRand(r.rng.Uint64()), ctx: ctx,
			name: fmt.Sprintf("s%d/g%d", session, g), crashes: crashes,
			versions: map[messages.Coordinate]uint64{}, unknown: map[messages.Coordinate]bool{}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.produce(30 + p.rng.IntN(30))
		}()
	}
	wg.Wait()
	for _, s := range r.shots {
		r.checkShot(s)
	}
}

// plShot is a set of power-loss images taken at one moment, and the events
// acknowledged before it.
type plShot struct {
	ctx    string
	acked  map[messages.ID]plAck
	images []*fs.Mem
}

// take copies the acknowledged events, then takes 1-3 power-loss images
// with rng: only what was acknowledged before the copy must survive.
func (r *plActorRun) take(rng *rand.Rand, ctx string) plShot {
	r.mu.Lock()
	s := plShot{ctx: ctx, acked: maps.Clone(r.acked)}
	r.mu.Unlock()
	for range 1 + rng.IntN(3) {
		s.images = append(s.images, r.mem.PowerLoss(rng))
	}
	return s
}

// shoot is take from a producer, up to plActorShots per session.
func (r *plActorRun) shoot(rng *rand.Rand, ctx string) {
	r.mu.Lock()
	full := r.nshots >= plActorShots
	r.nshots++
	r.mu.Unlock()
	if full {
		return
	}
	s := r.take(rng, ctx)
	r.mu.Lock()
	r.shots = append(r.shots, s)
	r.mu.Unlock()
}

func (r *plActorRun) checkShot(s plShot) {
	for i, img := range s.images {
		r.check(img, s.acked, fmt.Sprintf("%s, power-loss image %d (%d acknowledged)", s.ctx, i, len(s.acked)))
	}
}

// plPayload starts every payload: the producer, the request number, and
// for a batch item the number of items, so that a check can tell a whole
// batch from a part of one.
func plPayload(rng *rand.Rand, producer string, req, items, n int) []byte {
	p := fmt.Appendf(nil, "%s/%d/%d|", producer, req, items)
	for range n {
		p = append(p, byte('a'+rng.IntN(26)))
	}
	return p
}

// plBatchSize reads the number of items from a payload made by plPayload.
func plBatchSize(p []byte) (int, bool) {
	end := bytes.IndexByte(p, '|')
	if end < 0 {
		return 0, false
	}
	slash := bytes.LastIndexByte(p[:end], '/')
	n, err := strconv.Atoi(string(p[slash+1 : end]))
	return n, err == nil
}

// check opens one image with the engine and checks it (see
// TestPowerLossActors).
func (r *plActorRun) check(img *fs.Mem, acked map[messages.ID]plAck, ctx string) {
	t := r.t
	r.images++
	r.checked += len(acked)
	listing := img.String()
	passed := false
	defer func() {
		if !passed {
			t.Logf("the power-loss image (%s):\n%s", ctx, listing)
		}
	}()
	opts := storage.Options{FS: img, SegmentSize: r.segSize}
	e, err := storage.Open(plActorDir, opts)
	require.NoError(t, err, "%s: Open (without Repair) of the power-loss image", ctx)
	all, err := e.Query(storage.Filter{})
	require.NoError(t, err, "%s: query", ctx)
	batches := map[messages.ID]int{}
	for i, ev := range all {
		if i > 0 && ev.Sequence <= all[i-1].Sequence {
			require.Fail(t, "sequences must increase", "%s: %d after %d", ctx, ev.Sequence, all[i-1].Sequence)
		}
		if !ev.BatchID.IsZero() {
			batches[ev.BatchID]++
		}
	}
	for _, ev := range all {
		if ev.BatchID.IsZero() {
			continue
		}
		n, ok := plBatchSize(ev.Payload)
		require.True(t, ok, "%s: payload of %s", ctx, ev.ID)
		require.Equal(t, n, batches[ev.BatchID], "%s: batch %s is partly there", ctx, ev.BatchID)
	}
	for id, a := range acked {
		ev, err := e.Get(id)
		require.NoError(t, err, "%s: acknowledged event %s (seq %d) is lost", ctx, id, a.r.Sequence)
		got := messages.Receipt{EventID: ev.ID, Sequence: ev.Sequence, Version: ev.Version, Hash: ev.Hash, Segment: ev.Segment, Offset: ev.Offset}
		require.Equal(t, a.r, got, "%s: receipt of acknowledged event %s", ctx, id)
		require.Equal(t, a.coord, ev.Coordinate, "%s: coordinate of %s", ctx, id)
		require.Equal(t, a.kind, ev.Kind, "%s: kind of %s", ctx, id)
		require.True(t, bytes.Equal(a.payload, ev.Payload), "%s: payload of %s differs", ctx, id)
	}
	r.mu.Lock()
	refused := slices.Clone(r.refused)
	r.mu.Unlock()
	for _, id := range refused {
		_, err := e.Get(id)
		require.ErrorIs(t, err, storage.ErrNotFound, "%s: an item of a batch refused for its expected version is stored", ctx)
	}
	rep, err := e.Verify()
	require.NoError(t, err, "%s: verify", ctx)
	require.Equal(t, len(all), rep.Events, "%s: verify count", ctx)

	_, err = e.Append(&messages.Append{Coordinate: coord("after-power-loss"), Kind: kind, Payload: []byte("next")})
	require.NoError(t, err, "%s: append after the power cut", ctx)
	require.NoError(t, e.Commit(), "%s: commit after the power cut", ctx)
	require.NoError(t, e.Close(), "%s: close", ctx)
	e, err = storage.Open(plActorDir, opts)
	require.NoError(t, err, "%s: second reopen", ctx)
	require.Empty(t, e.Stats().Recovery.TornTails, "%s: second reopen", ctx)
	require.Equal(t, len(all)+1, e.Stats().Events, "%s: events after the second reopen", ctx)
	_, err = e.Verify()
	require.NoError(t, err, "%s: verify after the second reopen", ctx)
	require.NoError(t, e.Close())
	passed = true
}

// plProducer appends through the Go API and records what was
// acknowledged.
type plProducer struct {
	run      *plActorRun
	sys      *actor.ActorSystem
	store    *Store
	rng      *rand.Rand
	ctx      string // the session
	name     string
	crashes  bool
	versions map[messages.Coordinate]uint64 // versions of its own entities
	unknown  map[messages.Coordinate]bool   // entities whose last append may or may not have happened
}

func (p *plProducer) produce(n int) {
	for req := range n {
		if p.rng.IntN(10) < 3 {
			p.batch(req)
		} else {
			p.single(req)
		}
		switch x := p.rng.IntN(100); {
		case x < 4:
			p.run.shoot(p.rng, fmt.Sprintf("%s: under load (%s after request %d)", p.ctx, p.name, req))
		case x < 6 && p.crashes:
			p.sys.Root.Send(p.store.Writer(), &faults.Panic{Reason: "power-loss test"})
		}
	}
}

func (p *plProducer) single(req int) {
	c := messages.Coordinate{Entity: fmt.Sprintf("%s/e%d", p.name, p.rng.IntN(3)), Scope: "powerloss"}
	a := &messages.Append{Coordinate: c, Kind: kind, Payload: plPayload(p.rng, p.name, req, 0, p.rng.IntN(300))}
	if p.rng.IntN(2) == 0 {
		a.IdempotencyKey = messages.NewID()
	}
	if v := p.versions[c]; !p.unknown[c] && p.rng.IntN(10) < 7 {
		a.Expected = messages.Exactly(v)
		if v == 0 {
			a.Expected = messages.NoStream()
		}
	}
	r, err := p.store.Append(context.Background(), a)
	if err != nil && p.retryable(err) && !a.IdempotencyKey.IsZero() {
		r, err = p.store.Append(context.Background(), a) // the crashed request left nothing behind
	}
	if err != nil {
		if p.retryable(err) {
			p.unknown[c] = true // until the next receipt (expected: any)
			return
		}
		p.run.t.Errorf("%s: append %d: %v", p.name, req, err)
		return
	}
	p.versions[c], p.unknown[c] = r.Version, false
	p.run.record([]messages.Receipt{r}, []*messages.Append{a}, nil)
}

func (p *plProducer) batch(req int) {
	items := make([]messages.BatchItem, 2+p.rng.IntN(5))
	keyed := p.rng.IntN(2) == 0
	for i := range items {
		size := 20 + p.rng.IntN(400)
		if p.rng.IntN(6) == 0 {
			size = 2000 + p.rng.IntN(6000) // spans a rotation of a 16 KiB segment now and then
		}
		items[i] = messages.BatchItem{
			Coordinate: messages.Coordinate{Entity: fmt.Sprintf("%s/b%d", p.name, p.rng.IntN(4)), Scope: "powerloss"},
			Kind:       kind, Payload: plPayload(p.rng, p.name, req, len(items), size),
		}
		if i > 0 && p.rng.IntN(3) == 0 {
			items[i].Causation = messages.CausedByItem(p.rng.IntN(i))
		}
		if keyed {
			items[i].IdempotencyKey = messages.NewID()
		}
	}
	stale := p.condition(items)
	b := &messages.AppendBatch{Items: items}
	rs, err := p.store.AppendBatch(context.Background(), b)
	if err != nil && p.retryable(err) && (keyed || stale >= 0) {
		rs, err = p.store.AppendBatch(context.Background(), b)
	}
	if stale >= 0 && !p.retryable(err) {
		var be *storage.BatchError
		if !errors.Is(err, messages.ErrVersionConflict) || !errors.As(err, &be) || be.Item != stale {
			p.run.t.Errorf("%s: batch %d with a stale expected version at item %d: %v", p.name, req, stale, err)
			return
		}
		p.run.mu.Lock()
		for i := range items {
			p.run.refused = append(p.run.refused, messages.IDFromKey(items[i].IdempotencyKey))
		}
		p.run.mu.Unlock()
		return
	}
	if err != nil {
		for i := range items {
			p.unknown[items[i].Coordinate] = true
		}
		if !p.retryable(err) {
			p.run.t.Errorf("%s: batch %d: %v", p.name, req, err)
		}
		return
	}
	for i, r := range rs {
		if x := items[i].Expected; !x.IsAny() && !x.Check(r.Version-1) {
			p.run.t.Errorf("%s: batch %d: item %d (%s) landed at version %d", p.name, req, i, x, r.Version)
		}
		p.versions[items[i].Coordinate], p.unknown[items[i].Coordinate] = r.Version, false
	}
	p.run.record(rs, nil, items)
}

// condition makes half the batches whose entities' versions the producer
// knows conditional: the first item on each entity expects its version,
// a later one sometimes that plus the earlier items. One in four of them
// gets a stale condition on a random item (and keys, so that its event ids
// are known); condition returns that item, or -1.
func (p *plProducer) condition(items []messages.BatchItem) int {
	for i := range items {
		if p.unknown[items[i].Coordinate] {
			return -1
		}
	}
	if p.rng.IntN(2) == 0 {
		return -1
	}
	before := map[messages.Coordinate]uint64{}
	for i := range items {
		c := items[i].Coordinate
		k, again := before[c]
		before[c] = k + 1
		if !again || p.rng.IntN(2) == 0 {
			items[i].Expected = messages.Exactly(p.versions[c] + k)
		}
	}
	if p.rng.IntN(4) > 0 {
		return -1
	}
	stale := p.rng.IntN(len(items))
	items[stale].Expected = messages.Exactly(p.versions[items[stale].Coordinate] + uint64(len(items)) + uint64(p.rng.IntN(3)))
	for i := range items {
		if items[i].IdempotencyKey.IsZero() {
			items[i].IdempotencyKey = messages.NewID()
		}
	}
	return stale
}

// retryable reports whether err is one a writer crash explains.
func (p *plProducer) retryable(err error) bool {
	return p.crashes && errors.Is(err, messages.ErrWriterCrashed)
}

// record adds acknowledged events: singles (with their requests) or the
// items of one batch.
func (r *plActorRun) record(rs []messages.Receipt, singles []*messages.Append, items []messages.BatchItem) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, rc := range rs {
		rc.Replayed = false
		a := plAck{r: rc}
		if singles != nil {
			a.coord, a.kind, a.payload = singles[i].Coordinate, singles[i].Kind, singles[i].Payload
		} else {
			a.coord, a.kind, a.payload = items[i].Coordinate, items[i].Kind, items[i].Payload
		}
		r.acked[rc.EventID] = a
	}
}

// powerLossRounds is n, or BATPAK_POWERLOSS_ROUNDS when set (long runs:
// .ci/long).
func powerLossRounds(n int) int {
	if v, err := strconv.Atoi(os.Getenv("BATPAK_POWERLOSS_ROUNDS")); err == nil && v > 0 {
		return v
	}
	return n
}
