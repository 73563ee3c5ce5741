package storage

// Shared helpers of the fault, crash, torn-tail and corruption tests
// (fault_test.go, crash_test.go, corrupt_test.go). Every identifier here
// starts with "ft" so that it cannot clash with the other test files of the
// package.

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/stretchr/testify/require"
)

var ftSeedFlag = flag.Uint64("fault.seed", 0,
	"seed of the fault/crash/corruption tests (0: time-based; the env var BATPAK_FAULT_SEED also works)")

// ftSeed returns the seed of a randomized test, from -fault.seed, from
// $BATPAK_FAULT_SEED, or from the clock, and logs it.
func ftSeed(t testing.TB) uint64 {
	t.Helper()
	s := *ftSeedFlag
	if s == 0 {
		if v := os.Getenv("BATPAK_FAULT_SEED"); v != "" {
			var err error
			s, err = strconv.ParseUint(v, 0, 64)
			require.NoError(t, err, "BATPAK_FAULT_SEED")
		}
	}
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -fault.seed=%d or BATPAK_FAULT_SEED=%d)", s, s, s)
	return s
}

func ftRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
}

// ftDir is the data directory of the in-memory stores.
const ftDir = "/db"

// ftClock returns a deterministic clock that advances 1 ms per call, so
// that every run of a workload encodes the same bytes and performs the same
// file-system operations.
func ftClock() func() time.Time {
	var n atomic.Int64
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	return func() time.Time { return base.Add(time.Duration(n.Add(1)) * time.Millisecond) }
}

func ftOpts(fsys fs.FS, segSize int64) Options {
	return Options{FS: fsys, SegmentSize: segSize, Clock: ftClock()}
}

// ftIsIOError reports whether err carries one of the codes of a failed
// commit.
func ftIsIOError(err error) bool {
	return errors.Is(err, messages.ErrIO) || errors.Is(err, messages.ErrSyncFailed)
}

// ftRequireInjected checks that err is an I/O failure caused by the fault
// injected by fs.Faulty.
func ftRequireInjected(t *testing.T, err error, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	require.True(t, ftIsIOError(err), "want ErrIO or ErrSyncFailed, got %v %s", err, fmt.Sprint(msgAndArgs...))
	require.ErrorIs(t, err, fs.ErrInjected, msgAndArgs...)
}

// ---------------------------------------------------------------------------
// Workload plans

// ftItem is one event to append.
type ftItem struct {
	coord   messages.Coordinate
	kind    messages.EventKind
	payload []byte
	cause   int // batch items: index of an earlier item that caused it, or -1
}

// ftOp is one Append (batch == nil) or one AppendBatch.
type ftOp struct {
	single ftItem
	batch  []ftItem
}

// ftGroup is the ops of one commit group.
type ftGroup []ftOp

type ftPlanCfg struct {
	groups     int
	maxOps     int     // ops per group, 1..maxOps
	entities   int     // distinct coordinates
	batchProb  float64 // probability that an op is a batch
	maxItems   int     // batch items, 2..maxItems
	maxPayload int     // single payloads, 0..maxPayload bytes
	itemLo     int     // batch item payloads, itemLo..itemHi bytes
	itemHi     int
}

func ftCoord(i int) messages.Coordinate {
	scopes := []string{"shop", "bank", "ops"}
	return messages.Coordinate{Entity: fmt.Sprintf("order/%d", i), Scope: scopes[i%len(scopes)]}
}

func ftPayload(rng *rand.Rand, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(rng.UintN(256))
	}
	return p
}

func ftGenItem(rng *rand.Rand, c ftPlanCfg, lo, hi int) ftItem {
	return ftItem{
		coord:   ftCoord(rng.IntN(c.entities)),
		kind:    messages.MustKind(uint8(1+rng.IntN(3)), uint16(rng.IntN(8))),
		payload: ftPayload(rng, lo+rng.IntN(hi-lo+1)),
		cause:   -1,
	}
}

// ftGenPlan draws a workload.
func ftGenPlan(rng *rand.Rand, c ftPlanCfg) []ftGroup {
	plan := make([]ftGroup, c.groups)
	for g := range plan {
		n := 1 + rng.IntN(c.maxOps)
		for range n {
			if rng.Float64() < c.batchProb {
				items := make([]ftItem, 2+rng.IntN(c.maxItems-1))
				for i := range items {
					items[i] = ftGenItem(rng, c, c.itemLo, c.itemHi)
					if i > 0 && rng.IntN(3) == 0 {
						items[i].cause = rng.IntN(i)
					}
				}
				plan[g] = append(plan[g], ftOp{batch: items})
				continue
			}
			plan[g] = append(plan[g], ftOp{single: ftGenItem(rng, c, 0, c.maxPayload)})
		}
	}
	return plan
}

// ---------------------------------------------------------------------------
// The model: what the test wrote and what must survive

// ftEvent is one event the test staged.
type ftEvent struct {
	r       messages.Receipt
	it      ftItem
	batch   int         // model batch number, -1 for a single append
	causeID messages.ID // expected causation (batch items only), zero if none
}

// ftModel tracks the events of a store across sessions. survivors are the
// events found by the last recovery check, in sequence order; staged are
// the events staged since (in staging order, which is sequence order);
// committed of them were committed (Commit returned nil) and durable of
// them must survive a crash.
type ftModel struct {
	mode      SyncMode
	survivors []*ftEvent
	staged    []*ftEvent
	committed int
	durable   int
	batches   int
}

func (m *ftModel) clone() *ftModel {
	c := *m
	c.survivors = append([]*ftEvent(nil), m.survivors...)
	c.staged = append([]*ftEvent(nil), m.staged...)
	return &c
}

// all returns every event the model knows, survivors first.
func (m *ftModel) all() []*ftEvent {
	return append(append([]*ftEvent(nil), m.survivors...), m.staged...)
}

func (m *ftModel) byID() map[messages.ID]*ftEvent {
	out := make(map[messages.ID]*ftEvent)
	for _, ev := range m.all() {
		out[ev.r.EventID] = ev
	}
	return out
}

// runGroup stages the ops of g and commits them. It returns the first error
// (of an append or of the commit); staged events stay in the model as "in
// doubt" when the commit fails.
func (m *ftModel) runGroup(e *Engine, g ftGroup) error {
	for _, op := range g {
		if op.batch == nil {
			r, err := e.Append(&messages.Append{Coordinate: op.single.coord, Kind: op.single.kind, Payload: op.single.payload})
			if err != nil {
				return fmt.Errorf("append: %w", err)
			}
			m.staged = append(m.staged, &ftEvent{r: r, it: op.single, batch: -1})
			continue
		}
		items := make([]messages.BatchItem, len(op.batch))
		for i, it := range op.batch {
			items[i] = messages.BatchItem{Coordinate: it.coord, Kind: it.kind, Payload: it.payload}
			if it.cause >= 0 {
				items[i].Causation = messages.CausedByItem(it.cause)
			}
		}
		rs, err := e.AppendBatch(&messages.AppendBatch{Items: items})
		if err != nil {
			return fmt.Errorf("append batch: %w", err)
		}
		b := m.batches
		m.batches++
		for i, r := range rs {
			ev := &ftEvent{r: r, it: op.batch[i], batch: b}
			if c := op.batch[i].cause; c >= 0 {
				ev.causeID = rs[c].EventID
			}
			m.staged = append(m.staged, ev)
		}
	}
	if err := e.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	m.committed = len(m.staged)
	if m.mode == SyncEveryCommit {
		m.durable = m.committed
	}
	return nil
}

// syncAll records that everything committed so far is durable (after a
// successful Sync or Close).
func (m *ftModel) syncAll() { m.durable = m.committed }

// ftSame reports whether got is exactly the event the test wrote.
func ftSame(want *ftEvent, got messages.Event) bool {
	r := want.r
	return r.EventID == got.ID && r.Sequence == got.Sequence && r.Version == got.Version &&
		r.Hash == got.Hash && r.Segment == got.Segment && r.Offset == got.Offset &&
		want.it.coord == got.Coordinate && want.it.kind == got.Kind &&
		(want.batch < 0) == got.BatchID.IsZero() && (want.batch < 0 || want.causeID == got.CausationID) &&
		((got.Payload == nil && want.it.payload == nil) || bytes.Equal(want.it.payload, got.Payload))
}

// ftRequireSame checks that got is exactly the event the test wrote. (The
// fast path avoids testify's reflection, which dominates the run time of
// these tests under -race.)
func ftRequireSame(t *testing.T, want *ftEvent, got messages.Event, ctx string) {
	if ftSame(want, got) {
		return
	}
	t.Helper()
	r := want.r
	require.Equal(t, r.EventID, got.ID, "%s: id", ctx)
	require.Equal(t, r.Sequence, got.Sequence, "%s: sequence of %s", ctx, r.EventID)
	require.Equal(t, r.Version, got.Version, "%s: version of %s", ctx, r.EventID)
	require.Equal(t, r.Hash, got.Hash, "%s: hash of %s", ctx, r.EventID)
	require.Equal(t, r.Segment, got.Segment, "%s: segment of %s", ctx, r.EventID)
	require.Equal(t, r.Offset, got.Offset, "%s: offset of %s", ctx, r.EventID)
	require.Equal(t, want.it.coord, got.Coordinate, "%s: coordinate of %s", ctx, r.EventID)
	require.Equal(t, want.it.kind, got.Kind, "%s: kind of %s", ctx, r.EventID)
	require.Equal(t, want.batch < 0, got.BatchID.IsZero(), "%s: batch id of %s", ctx, r.EventID)
	if want.batch >= 0 {
		require.Equal(t, want.causeID, got.CausationID, "%s: causation of %s", ctx, r.EventID)
	}
	if got.Payload != nil || want.it.payload != nil {
		require.True(t, bytes.Equal(want.it.payload, got.Payload), "%s: payload of %s differs", ctx, r.EventID)
	}
	require.Fail(t, "events differ", "%s: %+v vs %+v", ctx, want, got)
}

// checkRecovered checks an engine just opened over the state the model's
// last session left: every survivor of earlier checks, then a prefix of
// this session's staged events that holds at least the durable ones and
// cuts no batch, each event identical to what was written, global
// sequences strictly increasing, Get and Verify agreeing. The visible
// events become the survivors. It returns how many staged events survived.
func (m *ftModel) checkRecovered(t *testing.T, e *Engine, ctx string) int {
	t.Helper()
	got, err := e.Query(Filter{})
	require.NoError(t, err, "%s: query", ctx)
	ns := len(m.survivors)
	require.GreaterOrEqual(t, len(got), ns+m.durable,
		"%s: %d events visible, want at least %d survivors + %d durable", ctx, len(got), ns, m.durable)
	require.LessOrEqual(t, len(got), ns+len(m.staged), "%s: more events visible than were written", ctx)
	k := len(got) - ns
	want := append(append([]*ftEvent(nil), m.survivors...), m.staged[:k]...)
	for i := range got {
		ftRequireSame(t, want[i], got[i], ctx)
		if i > 0 && got[i].Sequence <= got[i-1].Sequence {
			require.Fail(t, "sequences must increase", "%s: %d after %d", ctx, got[i].Sequence, got[i-1].Sequence)
		}
	}
	if k > 0 && k < len(m.staged) {
		a, b := m.staged[k-1], m.staged[k]
		require.False(t, a.batch >= 0 && a.batch == b.batch,
			"%s: batch %d is partly visible (cut after item with seq %d)", ctx, a.batch, a.r.Sequence)
	}
	for _, w := range want {
		ev, err := e.Get(w.r.EventID)
		if err != nil || !ftSame(w, ev) {
			require.NoError(t, err, "%s: get %s", ctx, w.r.EventID)
			ftRequireSame(t, w, ev, ctx+": get")
		}
	}
	for _, w := range m.staged[k:] {
		if _, err := e.Get(w.r.EventID); !errors.Is(err, ErrNotFound) {
			require.ErrorIs(t, err, ErrNotFound, "%s: event seq %d was not recovered but Get finds it", ctx, w.r.Sequence)
		}
	}
	rep, err := e.Verify()
	require.NoError(t, err, "%s: verify", ctx)
	require.Equal(t, len(got), rep.Events, "%s: verify count", ctx)
	require.Equal(t, len(got), e.Stats().Events, "%s: stats count", ctx)
	if len(got) > 0 {
		require.Equal(t, got[len(got)-1].Sequence+1, e.Stats().NextSequence, "%s: next sequence", ctx)
	}
	m.survivors = want
	m.staged, m.committed, m.durable = nil, 0, 0
	return k
}

// ftPostGroup is a small group appended after a reopen to check that the
// store takes writes again: a single append and a batch, on entities that
// already exist.
func ftPostGroup(rng *rand.Rand) ftGroup {
	c := ftPlanCfg{entities: 3, maxPayload: 64}
	return ftGroup{
		{single: ftGenItem(rng, c, 0, 64)},
		{batch: []ftItem{ftGenItem(rng, c, 10, 40), {coord: ftCoord(1), kind: messages.MustKind(2, 1), payload: []byte("post"), cause: 0}}},
	}
}

// checkWritable appends a post group to an engine that passed
// checkRecovered, checks it, closes the engine and checks a reopen of fsys.
func (m *ftModel) checkWritable(t *testing.T, e *Engine, fsys fs.FS, segSize int64, rng *rand.Rand, ctx string) {
	t.Helper()
	m.checkWritableOnly(t, e, rng, ctx)
	e2, err := Open(ftDir, ftOpts(fsys, segSize))
	require.NoError(t, err, "%s: reopen after new appends", ctx)
	m.checkRecovered(t, e2, ctx+": reopen after new appends")
	require.NoError(t, e2.Close())
}

// checkWritableOnly is checkWritable without the reopen.
func (m *ftModel) checkWritableOnly(t *testing.T, e *Engine, rng *rand.Rand, ctx string) {
	t.Helper()
	before := e.Stats().NextSequence
	require.NoError(t, m.runGroup(e, ftPostGroup(rng)), "%s: append after reopen", ctx)
	require.Equal(t, before, m.staged[0].r.Sequence, "%s: first sequence after reopen", ctx)
	m.syncAll()
	for _, w := range m.staged {
		ev, err := e.Get(w.r.EventID)
		require.NoError(t, err, "%s: get new event", ctx)
		ftRequireSame(t, w, ev, ctx+": new event")
	}
	_, err := e.Verify()
	require.NoError(t, err, "%s: verify after new appends", ctx)
	require.NoError(t, e.Close(), "%s: close after new appends", ctx)
}

// ---------------------------------------------------------------------------
// On-disk inspection

// ftFrame describes one frame of a segment file, as parsed by the test.
type ftFrame struct {
	seg   uint64
	off   int64
	size  int
	typ   int         // bodyEvent, bodyBegin, bodyCommit or bodyFooter
	id    messages.ID // event id
	batch messages.ID // the event's batch, or the marker's batch
}

func (f ftFrame) end() int64 { return f.off + int64(f.size) }

// ftSegLayout is the parsed content of one segment file.
type ftSegLayout struct {
	id      uint64
	size    int64
	header  format.SegmentHeader
	frames  []ftFrame // data frames, then the footer frame if sealed
	dataEnd int64     // end of the last data frame
	sealed  bool      // a footer frame and a trailer follow the data
	rest    int64     // bytes after the last parsed frame (trailer or torn tail)
	synced  int64     // the highest offset a sync mark records (headerSize if none)
}

// footer returns the footer frame of a sealed segment.
func (l ftSegLayout) footer() ftFrame { return l.frames[len(l.frames)-1] }

// data returns the data frames.
func (l ftSegLayout) data() []ftFrame {
	if l.sealed {
		return l.frames[:len(l.frames)-1]
	}
	return l.frames
}

// ftParseSegment parses the frames of a segment file with the package's own
// decoders, stopping at the first frame that does not decode.
func ftParseSegment(t *testing.T, id uint64, b []byte) ftSegLayout {
	t.Helper()
	l := ftSegLayout{id: id, size: int64(len(b)), dataEnd: format.HeaderSize, synced: format.HeaderSize}
	h, err := format.DecodeHeader(b)
	require.NoError(t, err, "segment %d header", id)
	l.header = h
	off := int64(format.HeaderSize)
	for off < int64(len(b)) {
		body, n, err := format.DecodeFrame(b[off:])
		if err != nil {
			break
		}
		typ, err := format.BodyType(body)
		require.NoError(t, err)
		f := ftFrame{seg: id, off: off, size: n, typ: typ}
		switch typ {
		case format.TypeEvent:
			var ev messages.Event
			require.NoError(t, format.DecodeEvent(body, &ev, false))
			f.id, f.batch = ev.ID, ev.BatchID
		case format.TypeBegin, format.TypeCommit:
			mk, err := format.DecodeMarker(body, typ)
			require.NoError(t, err)
			f.batch = mk.Batch
		case format.TypeSynced:
			w, err := format.DecodeSynced(body)
			require.NoError(t, err)
			l.synced = max(l.synced, w)
		}
		l.frames = append(l.frames, f)
		off += int64(n)
		if typ == format.TypeFooter {
			l.sealed = true
			break
		}
		l.dataEnd = off
	}
	l.rest = int64(len(b)) - off
	return l
}

// ftSegIDs returns the ids of the segment files of the store in m.
func ftSegIDs(t *testing.T, m *fs.Mem) []uint64 {
	t.Helper()
	ids, _, err := listSegments(m, ftDir)
	require.NoError(t, err)
	return ids
}

func ftSegPath(id uint64) string { return filepath.Join(ftDir, format.SegmentName(id)) }

func ftReadSeg(t *testing.T, m *fs.Mem, id uint64) []byte {
	t.Helper()
	b, err := m.ReadFile(ftSegPath(id))
	require.NoError(t, err)
	return b
}

func ftWriteSeg(t *testing.T, m *fs.Mem, id uint64, b []byte) {
	t.Helper()
	require.NoError(t, m.WriteFile(ftSegPath(id), b))
}

// ftLayout parses every segment of the store in m.
func ftLayout(t *testing.T, m *fs.Mem) []ftSegLayout {
	t.Helper()
	var out []ftSegLayout
	for _, id := range ftSegIDs(t, m) {
		out = append(out, ftParseSegment(t, id, ftReadSeg(t, m, id)))
	}
	return out
}

// ftPos is a position in the log: a segment and an offset in it.
type ftPos struct {
	seg uint64
	off int64
}

func (p ftPos) before(q ftPos) bool { return p.seg < q.seg || (p.seg == q.seg && p.off < q.off) }

// ftSurvivingPrefix returns how many of evs (in log order) survive when
// every frame that does not end at or before cut is lost: an event survives
// if its own frame is intact and, for a batch item, its batch's COMMIT is.
// It checks that the survivors form a prefix.
func ftSurvivingPrefix(t *testing.T, layout []ftSegLayout, evs []*ftEvent, cut ftPos) int {
	t.Helper()
	frameOf := make(map[messages.ID]ftFrame)
	commitOf := make(map[messages.ID]ftFrame)
	for _, l := range layout {
		for _, f := range l.data() {
			switch f.typ {
			case format.TypeEvent:
				frameOf[f.id] = f
			case format.TypeCommit:
				commitOf[f.batch] = f
			}
		}
	}
	intact := func(f ftFrame) bool { return !cut.before(ftPos{f.seg, f.end()}) }
	n := 0
	for i, ev := range evs {
		f, ok := frameOf[ev.r.EventID]
		require.True(t, ok, "event %s has no frame", ev.r.EventID)
		keep := intact(f)
		if !f.batch.IsZero() {
			c, ok := commitOf[f.batch]
			keep = keep && ok && intact(c)
		}
		if keep {
			require.Equal(t, i, n, "surviving events must form a prefix")
			n++
		}
	}
	return n
}

// ftFlip flips bit bit of byte off of segment id in m.
func ftFlip(t *testing.T, m *fs.Mem, id uint64, off int64, bit uint) {
	t.Helper()
	b := ftReadSeg(t, m, id)
	b[off] ^= 1 << bit
	ftWriteSeg(t, m, id, b)
}

// ftSegBuilder writes segment files frame by frame with the package's own
// encoders, for recovery cases the engine cannot be made to produce.
type ftSegBuilder struct {
	buf []byte
	h   *format.Hasher
}

func ftNewSeg(id uint64, continuation bool) *ftSegBuilder {
	h := format.SegmentHeader{ID: id, CreatedNS: 1}
	if continuation {
		h.Flags = format.FlagContinuation
	}
	return &ftSegBuilder{buf: h.Encode(), h: format.NewHasher()}
}

// ftMkEvent returns an event ready for ftSegBuilder.event, chained to prev.
func ftMkEvent(seq uint64, c messages.Coordinate, version uint64, prev messages.Hash, batch messages.ID, payload string) *messages.Event {
	id := messages.NewID()
	return &messages.Event{
		ID: id, Sequence: seq, Coordinate: c, Kind: messages.MustKind(1, 1), Version: version,
		WallMS: 1_700_000_000_000 + int64(seq), TimestampUS: 1_700_000_000_000_000 + int64(seq),
		CorrelationID: id, BatchID: batch, PrevHash: prev, Payload: []byte(payload),
	}
}

// event appends the frame of ev (computing ev.Hash) and records where it went.
func (b *ftSegBuilder) event(ev *messages.Event) *ftSegBuilder {
	ev.Offset = int64(len(b.buf))
	b.buf = format.AppendEventFrame(b.buf, ev, b.h)
	return b
}

func (b *ftSegBuilder) begin(batch messages.ID, count int, first uint64) *ftSegBuilder {
	b.buf = format.AppendBeginFrame(b.buf, batch, count, first)
	return b
}

func (b *ftSegBuilder) commit(batch messages.ID, count int) *ftSegBuilder {
	b.buf = format.AppendCommitFrame(b.buf, batch, count)
	return b
}

// ftBuildStore runs plan on a fresh Mem (SyncEveryCommit) and returns the
// Mem, the still open engine and the model, whose staged events are all
// committed.
func ftBuildStore(t *testing.T, plan []ftGroup, segSize int64) (*fs.Mem, *Engine, *ftModel) {
	t.Helper()
	mem := fs.NewMem()
	e, err := Open(ftDir, ftOpts(mem, segSize))
	require.NoError(t, err)
	m := &ftModel{}
	for _, g := range plan {
		require.NoError(t, m.runGroup(e, g))
	}
	return mem, e, m
}
