package storage

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// gtCounter is a gate that counts its calls and answers with verdict.
type gtCounter struct {
	calls   int
	verdict func(p *Proposal) *messages.Denial
}

func (c *gtCounter) gate(name string) Gate {
	return Gate{Name: name, Check: func(p *Proposal) *messages.Denial {
		c.calls++
		if c.verdict == nil {
			return nil
		}
		return c.verdict(p)
	}}
}

func gtDeny(code string) func(*Proposal) *messages.Denial {
	return func(*Proposal) *messages.Denial { return Deny(code, "no %s", code) }
}

// gtDenial returns the *messages.DenialError in err, failing if there is
// none, after checking that errors.Is sees ErrDenied.
func gtDenial(t *testing.T, err error) *messages.DenialError {
	t.Helper()
	require.ErrorIs(t, err, messages.ErrDenied)
	var de *messages.DenialError
	require.ErrorAs(t, err, &de)
	require.NotEmpty(t, de.Denials)
	return de
}

// gtStored counts the committed events of the store.
func gtStored(t *testing.T, e *Engine) int {
	t.Helper()
	evs, err := e.Query(Filter{})
	require.NoError(t, err)
	return len(evs)
}

// Gates run in order and the first denial stops them: the request is
// answered with the denial (gate, code, message), nothing is staged or
// written, and the next allowed append takes the version the denied one
// would have taken.
func TestGatesFailFast(t *testing.T) {
	var a, b, c gtCounter
	b.verdict = gtDeny("b_says_no")
	h := newHarness(t, Options{Gates: GateSet{Gates: []Gate{a.gate("a"), b.gate("b"), c.gate("c")}}})
	_, err := h.e.Append(&messages.Append{Coordinate: coord("o"), Kind: testKind, Payload: []byte("x")})
	de := gtDenial(t, err)
	require.Equal(t, messages.Denials{{Gate: "b", Code: "b_says_no", Message: "no b_says_no"}}, de.Denials)
	require.Equal(t, []int{1, 1, 0}, []int{a.calls, b.calls, c.calls}, "c never runs")
	require.Equal(t, `storage: denied by gate "b" (b_says_no): no b_says_no`, err.Error())
	require.Zero(t, h.e.Staged())

	_, err = h.e.AppendBatch(&messages.AppendBatch{Items: []messages.BatchItem{
		{Coordinate: coord("o"), Kind: testKind}, {Coordinate: coord("p"), Kind: testKind}}})
	require.Equal(t, "b", gtDenial(t, err).Denials[0].Gate)
	require.Zero(t, h.e.Staged())
	require.NoError(t, h.e.Commit())
	require.Zero(t, gtStored(t, h.e), "denials are never stored")

	b.verdict = nil
	r := h.put("o", "y")
	require.Equal(t, uint64(1), r.Version)
	require.Equal(t, uint64(0), r.Sequence)
	h.reopen()
	require.Equal(t, 1, gtStored(t, h.e))
}

// With CollectAll every gate runs and every denial is reported, in gate
// order.
func TestGatesCollectAll(t *testing.T) {
	var a, b, c gtCounter
	a.verdict, c.verdict = gtDeny("a1"), func(*Proposal) *messages.Denial { return &messages.Denial{Message: "plain"} }
	h := newHarness(t, Options{Gates: GateSet{CollectAll: true, Gates: []Gate{a.gate("a"), b.gate("b"), c.gate("c")}}})
	_, err := h.e.Append(&messages.Append{Coordinate: coord("o"), Kind: testKind})
	de := gtDenial(t, err)
	require.Equal(t, messages.Denials{
		{Gate: "a", Code: "a1", Message: "no a1"},
		{Gate: "c", Code: messages.DenialDefault, Message: "plain"},
	}, de.Denials)
	require.Equal(t, []string{"a", "c"}, de.Gates())
	require.Equal(t, []int{1, 1, 1}, []int{a.calls, b.calls, c.calls})
}

// A gate sees the proposal as it would be written, and each entity's
// version as the append path decides it: counting staged and written but
// unpublished events, not the proposal's own.
func TestGateSeesProposal(t *testing.T) {
	var got []ProposedEvent
	var batch bool
	var versions []uint64
	watch := Gate{Name: "watch", Check: func(p *Proposal) *messages.Denial {
		got, batch = append([]ProposedEvent(nil), p.Events...), p.Batch
		versions = []uint64{p.Version(coord("o")), p.Version(coord("new"))}
		return nil
	}}
	h := newHarness(t, Options{Gates: GateSet{Gates: []Gate{watch}}})
	h.put("o", "1")
	h.append(messages.Append{Coordinate: coord("o"), Payload: []byte("2")}) // staged, not committed

	key, corr, cause := messages.NewID(), messages.NewID(), messages.NewID()
	a := messages.Append{Coordinate: coord("o"), Kind: testKind, Payload: []byte("3"), CorrelationID: corr,
		CausationID: cause, Expected: messages.Exactly(2), IdempotencyKey: key, Metadata: messages.Metadata{"who": "me"}}
	r := h.append(a)
	require.False(t, batch)
	require.Equal(t, []uint64{2, 0}, versions, "the staged event counts")
	require.Equal(t, []ProposedEvent{{ID: r.EventID, Coordinate: a.Coordinate, Kind: testKind, Payload: []byte("3"),
		Expected: a.Expected, CorrelationID: corr, CausationID: cause, IdempotencyKey: key,
		Metadata: messages.Metadata{"who": "me"}, Version: 3}}, got)
	require.Equal(t, messages.IDFromKey(key), r.EventID)

	w, err := h.e.Write() // written, not yet published
	require.NoError(t, err)
	rs, err := h.e.AppendBatch(&messages.AppendBatch{Items: []messages.BatchItem{
		{Coordinate: coord("new"), Kind: testKind, Payload: []byte("n1")},
		{Coordinate: coord("o"), Kind: testKind, Causation: messages.CausedByItem(0), CorrelationID: corr},
		{Coordinate: coord("new"), Kind: testKind, Causation: messages.CausedBy(cause)},
	}})
	require.NoError(t, err)
	require.True(t, batch)
	require.Equal(t, []uint64{3, 0}, versions, "written but unpublished events count; the batch's own do not")
	require.Len(t, got, 3)
	require.Equal(t, rs[0].EventID, got[0].ID)
	require.Equal(t, rs[0].EventID, got[0].CorrelationID, "a zero correlation is the event's own id")
	require.Equal(t, rs[0].EventID, got[1].CausationID, "a prior item's cause is its id")
	require.Equal(t, corr, got[1].CorrelationID)
	require.Equal(t, cause, got[2].CausationID)
	require.Equal(t, []uint64{1, 4, 2}, []uint64{got[0].Version, got[1].Version, got[2].Version},
		"each item's version counts the earlier items on its entity")
	require.Equal(t, "n1", string(got[0].Payload))
	require.NoError(t, w.Sync())
	require.NoError(t, h.e.Publish(w))
	require.NoError(t, h.e.Commit())

	// Released after the call: the engine keeps no reference to the request.
	for _, ev := range h.e.gate.prop.Events {
		require.Zero(t, ev)
	}
}

// A gate that panics is answered with a gate_defect denial; the engine
// carries on (the next append is written).
func TestGatePanicIsADefectDenial(t *testing.T) {
	calls := 0
	h := newHarness(t, Options{Gates: GateSet{CollectAll: true, Gates: []Gate{
		{Name: "boom", Check: func(p *Proposal) *messages.Denial {
			calls++
			if calls == 1 {
				var m map[string]int
				m["x"] = 1 // a nil map write panics
			}
			if calls == 2 {
				panic(nil)
			}
			return nil
		}},
		{Name: "after", Check: func(*Proposal) *messages.Denial { return nil }},
	}}})
	_, err := h.e.Append(&messages.Append{Coordinate: coord("o"), Kind: testKind})
	de := gtDenial(t, err)
	require.Len(t, de.Denials, 1)
	require.Equal(t, "boom", de.Denials[0].Gate)
	require.Equal(t, messages.DenialGateDefect, de.Denials[0].Code)
	require.Contains(t, de.Denials[0].Message, "nil map")

	_, err = h.e.AppendBatch(&messages.AppendBatch{Items: []messages.BatchItem{{Coordinate: coord("o"), Kind: testKind}}})
	require.Equal(t, messages.DenialGateDefect, gtDenial(t, err).Denials[0].Code, "panic(nil) too")

	r := h.put("o", "fine")
	require.Equal(t, uint64(1), r.Version)
}

// With CollectAll, the gates after one that panicked still run, and the
// denials come in gate order; without it, a panic stops the set like a
// denial.
func TestGatePanicMidSetCollectsTheRest(t *testing.T) {
	var ran []string
	gate := func(name string, verdict func() *messages.Denial) Gate {
		return Gate{Name: name, Check: func(*Proposal) *messages.Denial {
			ran = append(ran, name)
			return verdict()
		}}
	}
	allow := func() *messages.Denial { return nil }
	boom := func() *messages.Denial { panic("boom") }
	deny := func() *messages.Denial { return Deny("no", "refused") }
	gates := []Gate{gate("a", allow), gate("b", boom), gate("c", allow), gate("d", deny), gate("e", boom)}
	for _, collect := range []bool{true, false} {
		ran = nil
		h := newHarness(t, Options{Gates: GateSet{CollectAll: collect, Gates: gates}})
		_, err := h.e.Append(&messages.Append{Coordinate: coord("o"), Kind: testKind})
		de := gtDenial(t, err)
		if !collect {
			require.Equal(t, []string{"a", "b"}, ran)
			require.Equal(t, []string{"b"}, de.Gates())
			continue
		}
		require.Equal(t, []string{"a", "b", "c", "d", "e"}, ran)
		require.Equal(t, []string{"b", "d", "e"}, de.Gates())
		require.Equal(t, []string{messages.DenialGateDefect, "no", messages.DenialGateDefect},
			[]string{de.Denials[0].Code, de.Denials[1].Code, de.Denials[2].Code})
	}
}

// A gate that returns after the set's Budget is answered with a
// gate_timeout denial that keeps its verdict in the message; without a
// budget the same gate is only slow.
func TestGateOverBudgetIsATimeoutDenial(t *testing.T) {
	slow := func(verdict *messages.Denial) Gate {
		return Gate{Name: "slow", Check: func(*Proposal) *messages.Denial {
			time.Sleep(3 * time.Millisecond) // the behaviour under test: a gate that takes long
			return verdict
		}}
	}
	for _, tc := range []struct {
		name    string
		verdict *messages.Denial
		want    string
	}{
		{"allowing", nil, "its verdict: allow"},
		{"denying", Deny("mine", "nope"), "its verdict: deny: mine: nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{Gates: GateSet{Budget: time.Millisecond, Gates: []Gate{slow(tc.verdict)}}})
			_, err := h.e.Append(&messages.Append{Coordinate: coord("o"), Kind: testKind})
			d := gtDenial(t, err).Denials[0]
			require.Equal(t, messages.DenialGateTimeout, d.Code)
			require.Equal(t, "slow", d.Gate)
			require.Contains(t, d.Message, tc.want)
			require.Contains(t, d.Message, "budget of 1ms")
		})
	}
	h := newHarness(t, Options{Gates: GateSet{Gates: []Gate{slow(nil)}}})
	h.put("o", "no budget")
}

// A retry of a request already written replays its receipt without the
// gates running again, even if they would deny it now; a new request is
// judged.
func TestGatesRunAfterIdempotencyReplay(t *testing.T) {
	h := newHarness(t, Options{})
	key, bkey := messages.NewID(), messages.NewID()
	single := messages.Append{Coordinate: coord("o"), Kind: testKind, Payload: []byte("p"), IdempotencyKey: key}
	first := h.append(single)
	batch := messages.AppendBatch{Items: []messages.BatchItem{
		{Coordinate: coord("o"), Kind: testKind, IdempotencyKey: bkey}, {Coordinate: coord("q"), Kind: testKind}}}
	firstBatch, err := h.e.AppendBatch(&batch)
	require.NoError(t, err)
	require.NoError(t, h.e.Commit())

	var no gtCounter
	no.verdict = gtDeny("closed")
	h.opts.Gates = GateSet{Gates: []Gate{no.gate("closed")}}
	h.reopen()
	again, err := h.e.Append(&single)
	require.NoError(t, err)
	require.True(t, again.Replayed)
	require.Equal(t, first.EventID, again.EventID)
	rs, err := h.e.AppendBatch(&batch)
	require.NoError(t, err)
	require.True(t, rs[0].Replayed)
	require.Equal(t, firstBatch[1].EventID, rs[1].EventID)
	require.Zero(t, no.calls)

	single.Payload = []byte("other request, other key")
	single.IdempotencyKey = messages.NewID()
	_, err = h.e.Append(&single)
	gtDenial(t, err)
	require.Equal(t, 1, no.calls)
}

// The expected-version check comes before the gates: a proposal that does
// not hold is a version conflict, and the gates never see it.
func TestGatesRunAfterTheExpectedVersionCheck(t *testing.T) {
	var no gtCounter
	no.verdict = gtDeny("closed")
	h := newHarness(t, Options{Gates: GateSet{Gates: []Gate{no.gate("closed")}}})
	_, err := h.e.Append(&messages.Append{Coordinate: coord("o"), Kind: testKind, Expected: messages.Exactly(3)})
	require.ErrorIs(t, err, messages.ErrVersionConflict)
	require.NotErrorIs(t, err, messages.ErrDenied)
	require.Zero(t, no.calls)
	_, err = h.e.Append(&messages.Append{Coordinate: coord("o"), Kind: testKind, Expected: messages.NoStream()})
	gtDenial(t, err)
	require.Equal(t, 1, no.calls)
	// Validation comes first too.
	_, err = h.e.Append(&messages.Append{Coordinate: coord("o"), Kind: 0})
	require.ErrorIs(t, err, messages.ErrReservedKind)
	require.Equal(t, 1, no.calls)
}

// A bypass skips the gates and is recorded in each event's metadata (with
// the user's own), durably: it reads back after a clean reopen and after a
// crash (frames scanned), and Verify accepts the events.
func TestBypassIsAuditedInMetadata(t *testing.T) {
	var no gtCounter
	no.verdict = gtDeny("closed")
	h := newHarness(t, Options{Gates: GateSet{Gates: []Gate{no.gate("closed")}}})
	bp := &messages.Bypass{Reason: "incident-4711", Justification: "refund approved by ops"}
	r, err := h.e.Append(&messages.Append{Coordinate: coord("o"), Kind: testKind, Payload: []byte("p"),
		Metadata: messages.Metadata{"source": "console"}, Bypass: bp})
	require.NoError(t, err)
	rs, err := h.e.AppendBatch(&messages.AppendBatch{Bypass: &messages.Bypass{Reason: "migration"}, Items: []messages.BatchItem{
		{Coordinate: coord("o"), Kind: testKind}, {Coordinate: coord("q"), Kind: testKind, Metadata: messages.Metadata{"n": "2"}}}})
	require.NoError(t, err)
	require.NoError(t, h.e.Commit())
	require.Zero(t, no.calls)

	want := map[messages.ID]messages.Metadata{
		r.EventID: {"source": "console", messages.MetaBypassReason: "incident-4711",
			messages.MetaBypassJustification: "refund approved by ops"},
		rs[0].EventID: {messages.MetaBypassReason: "migration"},
		rs[1].EventID: {"n": "2", messages.MetaBypassReason: "migration"},
	}
	check := func(stage string) {
		for id, md := range want {
			ev, err := h.e.Get(id)
			require.NoError(t, err, stage)
			require.Equal(t, md, ev.Metadata, stage)
		}
		for ev, err := range h.e.Read(Filter{}) {
			require.NoError(t, err)
			require.Equal(t, want[ev.ID], ev.Metadata, stage)
		}
		rep, err := h.e.Verify()
		require.NoError(t, err, stage)
		require.Equal(t, 3, rep.Events, stage)
	}
	check("open")
	h.reopen()
	check("reopened")
	h.crashReopen()
	check("after a crash")
	h.stripFooters()
	h.crashReopen()
	check("scanned")

	_, err = h.e.Append(&messages.Append{Coordinate: coord("o"), Kind: testKind, Bypass: &messages.Bypass{}})
	require.ErrorIs(t, err, messages.ErrInvalidArgument, "a bypass needs a reason")
	_, err = h.e.AppendBatch(&messages.AppendBatch{Bypass: &messages.Bypass{Justification: "x"},
		Items: []messages.BatchItem{{Coordinate: coord("o"), Kind: testKind}}})
	require.ErrorIs(t, err, messages.ErrInvalidArgument)
	require.Zero(t, no.calls)
}

// User metadata is stored with its event (the engine keeps its own copy);
// reserved and empty keys and metadata over the limit are refused, the
// limit itself is allowed.
func TestAppendMetadataRules(t *testing.T) {
	h := newHarness(t, Options{MaxMetadataBytes: 16})
	md := messages.Metadata{"k": "v"}
	r := h.append(messages.Append{Coordinate: coord("o"), Metadata: md})
	md["k"] = "changed after the append"
	require.NoError(t, h.e.Commit())
	ev, err := h.e.Get(r.EventID)
	require.NoError(t, err)
	require.Equal(t, messages.Metadata{"k": "v"}, ev.Metadata)

	h.put("o", "none")
	evs, err := h.e.Stream(coord("o"), 2)
	require.NoError(t, err)
	require.Nil(t, evs[0].Metadata, "no metadata reads back as nil")

	h.append(messages.Append{Coordinate: coord("o"), Metadata: messages.Metadata{"0123456": "01234567"}})  // 15 bytes
	h.append(messages.Append{Coordinate: coord("o"), Metadata: messages.Metadata{"01234567": "01234567"}}) // 16: the limit
	for name, bad := range map[string]messages.Metadata{
		"reserved key":   {"batpak.bypass.reason": "forged"},
		"other reserved": {"batpak.x": ""},
		"empty key":      {"": "v"},
		"over the limit": {"012345678": "01234567"},
	} {
		_, err := h.e.Append(&messages.Append{Coordinate: coord("o"), Kind: testKind, Metadata: bad})
		require.ErrorIs(t, err, messages.ErrInvalidArgument, name)
		_, err = h.e.AppendBatch(&messages.AppendBatch{Items: []messages.BatchItem{
			{Coordinate: coord("o"), Kind: testKind}, {Coordinate: coord("o"), Kind: testKind, Metadata: bad}}})
		require.ErrorIs(t, err, messages.ErrInvalidArgument, name)
		var be *messages.BatchError
		require.ErrorAs(t, err, &be)
		require.Equal(t, 1, be.Item, name)
	}
	_, err = h.e.Append(&messages.Append{Coordinate: coord("o"), Kind: testKind, Metadata: messages.Metadata{"k": "v"},
		Bypass: &messages.Bypass{Reason: "long enough to pass the limit"}})
	require.ErrorIs(t, err, messages.ErrInvalidArgument, "the bypass record counts")
	require.Equal(t, 2, h.e.Staged())
}

// Metadata is part of an idempotent request: the same metadata replays,
// other metadata is an idempotency conflict on "metadata".
func TestMetadataIdempotency(t *testing.T) {
	h := newHarness(t, Options{})
	a := messages.Append{Coordinate: coord("o"), Kind: testKind, IdempotencyKey: messages.NewID(), Metadata: messages.Metadata{"a": "1"}}
	h.append(a)
	b := messages.AppendBatch{Items: []messages.BatchItem{
		{Coordinate: coord("o"), Kind: testKind, IdempotencyKey: messages.NewID()},
		{Coordinate: coord("o"), Kind: testKind, Metadata: messages.Metadata{"b": "2"}}}}
	_, err := h.e.AppendBatch(&b)
	require.NoError(t, err)
	require.NoError(t, h.e.Commit())

	r, err := h.e.Append(&a)
	require.NoError(t, err)
	require.True(t, r.Replayed)
	rs, err := h.e.AppendBatch(&b)
	require.NoError(t, err)
	require.True(t, rs[1].Replayed)

	var ic *messages.IdempotencyConflictError
	for _, md := range []messages.Metadata{nil, {"a": "2"}} {
		a.Metadata = md
		_, err = h.e.Append(&a)
		require.ErrorAs(t, err, &ic)
		require.Equal(t, "metadata", ic.Field)
	}
	a.Metadata, a.Bypass = messages.Metadata{"a": "1"}, &messages.Bypass{Reason: "r"}
	_, err = h.e.Append(&a)
	require.ErrorAs(t, err, &ic, "a bypass record is metadata too")
	for _, md := range []messages.Metadata{nil, {"b": "3"}} {
		b.Items[1].Metadata = md
		_, err = h.e.AppendBatch(&b)
		require.ErrorAs(t, err, &ic)
		require.Equal(t, "metadata", ic.Field)
	}
	b.Items[1].Metadata = messages.Metadata{"b": "2"}
	b.Items[0].Metadata = messages.Metadata{"new": "x"}
	_, err = h.e.AppendBatch(&b)
	require.ErrorAs(t, err, &ic)
}

// Events handed on after a commit (CommitEvents: the writer's path to
// subscribers) carry the payload and metadata that were written, also when
// the metadata sits between payload and hash.
func TestCommitEventsCarryMetadata(t *testing.T) {
	h := newHarness(t, Options{})
	h.append(messages.Append{Coordinate: coord("o"), Payload: []byte("first"), Metadata: messages.Metadata{"x": strings.Repeat("y", 300)}})
	h.append(messages.Append{Coordinate: coord("o"), Payload: []byte("second")})
	_, err := h.e.AppendBatch(&messages.AppendBatch{Items: []messages.BatchItem{
		{Coordinate: coord("p"), Kind: testKind, Payload: []byte("third"), Metadata: messages.Metadata{"a": "b", "c": "d"}}}})
	require.NoError(t, err)
	evs, err := h.e.CommitEvents()
	require.NoError(t, err)
	require.Equal(t, []string{"first", "second", "third"}, payloads(evs))
	require.Len(t, evs[0].Metadata["x"], 300)
	require.Nil(t, evs[1].Metadata)
	require.Equal(t, messages.Metadata{"a": "b", "c": "d"}, evs[2].Metadata)
}

func TestOptionsValidateGatesAndMetadata(t *testing.T) {
	ok := func(*Proposal) *messages.Denial { return nil }
	for name, o := range map[string]Options{
		"no name":         {Gates: GateSet{Gates: []Gate{{Check: ok}}}},
		"no check":        {Gates: GateSet{Gates: []Gate{{Name: "a"}}}},
		"repeated name":   {Gates: GateSet{Gates: []Gate{{Name: "a", Check: ok}, {Name: "a", Check: ok}}}},
		"negative budget": {Gates: GateSet{Budget: -1}},
		"metadata limit":  {MaxMetadataBytes: MaxMetadataLimit + 1},
		"negative limit":  {MaxMetadataBytes: -1},
	} {
		err := o.Validate()
		require.ErrorIs(t, err, messages.ErrInvalidArgument, name)
		_, err = Open(t.TempDir(), o)
		require.Error(t, err, name)
	}
	require.NoError(t, Options{Gates: GateSet{Gates: []Gate{{Name: "a", Check: ok}}}, MaxMetadataBytes: MaxMetadataLimit}.Validate())
}

// The engine keeps its own copy of the gate list: changing the caller's
// slice after Open changes nothing.
func TestGateListIsCopied(t *testing.T) {
	gates := []Gate{{Name: "open", Check: func(*Proposal) *messages.Denial { return nil }}}
	h := newHarness(t, Options{Gates: GateSet{Gates: gates}})
	gates[0] = Gate{Name: "closed", Check: gtDeny("closed")}
	h.put("o", "still open")
}

// A Proposal the engine did not make has no versions to show.
func TestProposalVersionWithoutEngine(t *testing.T) {
	require.Zero(t, (&Proposal{}).Version(coord("o")))
	require.Zero(t, (*Proposal)(nil).Version(coord("o")))
}

// Denial errors keep their detail when wrapped, as the writer's callers
// see them.
func TestDenialWrapped(t *testing.T) {
	h := newHarness(t, Options{Gates: GateSet{Gates: []Gate{{Name: "g", Check: gtDeny("c")}}}})
	_, err := h.e.Append(&messages.Append{Coordinate: coord("o"), Kind: testKind})
	wrapped := fmt.Errorf("caller: %w", err)
	require.Equal(t, "g", gtDenial(t, wrapped).Denials[0].Gate)
	wire := messages.ToError(wrapped)
	require.Equal(t, messages.CodeDenied, wire.Code)
	require.Equal(t, "g", gtDenial(t, wire).Denials[0].Gate)
	require.True(t, errors.Is(wire, messages.ErrDenied))
}

// An empty gate set, whatever its other fields, costs the append path one
// nil check: the engine keeps no gate list at all.
func TestEmptyGateSetIsANilCheck(t *testing.T) {
	h := newHarness(t, Options{Gates: GateSet{CollectAll: true, Budget: time.Second, Gates: []Gate{}}})
	require.Nil(t, h.e.opts.Gates.Gates)
	require.False(t, h.e.gated(nil))
	h.put("o", "x")
}

// A gate set without gates (nil, or an empty list, with or without a
// Budget) builds no proposal: the append path tests the list's length only.
func TestEmptyGateSetBuildsNoProposal(t *testing.T) {
	for _, gs := range []GateSet{{}, {Gates: []Gate{}, Budget: time.Second, CollectAll: true}} {
		h := newHarness(t, Options{Gates: gs})
		h.put("o", "1")
		_, err := h.e.AppendBatch(&messages.AppendBatch{Items: []messages.BatchItem{{Coordinate: coord("o"), Kind: testKind}}})
		require.NoError(t, err)
		require.Nil(t, h.e.gate.prop.Events, "no proposal was built")
		require.Nil(t, h.e.gate.prop.e)
	}
}
