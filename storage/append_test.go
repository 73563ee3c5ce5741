package storage

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

func TestFirstAppendRoundTrips(t *testing.T) {
	h := newHarness(t, Options{})
	r := h.put("order/1", "hello")
	require.Equal(t, uint64(0), r.Sequence)
	require.Equal(t, uint64(1), r.Version)
	ev, err := h.e.Get(r.EventID)
	require.NoError(t, err)
	require.Equal(t, "hello", string(ev.Payload))
	require.Equal(t, coord("order/1"), ev.Coordinate)
	require.Equal(t, testKind, ev.Kind)
	require.True(t, ev.PrevHash.IsZero())
	require.Equal(t, r.Hash, ev.Hash)
	require.Equal(t, r.EventID, ev.CorrelationID, "a root event correlates with itself")
	require.Equal(t, r, ev.Receipt())
}

func TestHashChainLinksEveryEvent(t *testing.T) {
	h := newHarness(t, Options{})
	var rs []messages.Receipt
	for i := 0; i < 10; i++ {
		rs = append(rs, h.put("order/1", "same payload"))
	}
	evs, err := h.e.Stream(coord("order/1"), 1)
	require.NoError(t, err)
	require.Len(t, evs, 10)
	for i, ev := range evs {
		require.Equal(t, uint64(i+1), ev.Version)
		require.Equal(t, rs[i].Hash, ev.Hash)
		if i > 0 {
			require.Equal(t, evs[i-1].Hash, ev.PrevHash)
			require.NotEqual(t, evs[i-1].Hash, ev.Hash, "equal payloads must not give equal hashes")
		}
	}
	_, err = h.e.Verify()
	require.NoError(t, err)
}

func TestExpectedVersion(t *testing.T) {
	tests := []struct {
		name     string
		seed     int // events already in the entity
		expected messages.ExpectedVersion
		ok       bool
	}{
		{"no stream on empty", 0, messages.NoStream(), true},
		{"exactly 0 on empty", 0, messages.Exactly(0), true},
		{"exactly 5 on empty", 0, messages.Exactly(5), false},
		{"no stream on one event", 1, messages.NoStream(), false},
		{"exactly 0 on one event", 1, messages.Exactly(0), false},
		{"exactly 1 on one event", 1, messages.Exactly(1), true},
		{"exactly 2 on one event", 1, messages.Exactly(2), false},
		{"exactly 3 on three events", 3, messages.Exactly(3), true},
		{"any on three events", 3, messages.Any(), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			for i := 0; i < tc.seed; i++ {
				h.put("e", "seed")
			}
			_, err := h.e.Append(&messages.Append{Coordinate: coord("e"), Kind: testKind, Expected: tc.expected})
			require.NoError(t, h.e.Commit())
			evs, _ := h.e.Stream(coord("e"), 1)
			if tc.ok {
				require.NoError(t, err)
				require.Len(t, evs, tc.seed+1)
				return
			}
			require.ErrorIs(t, err, messages.ErrVersionConflict)
			var vc *VersionConflictError
			require.ErrorAs(t, err, &vc)
			require.Equal(t, uint64(tc.seed), vc.Actual)
			require.Len(t, evs, tc.seed, "a refused append writes nothing")
		})
	}
}

// A conflict that only staged events cause is not decided before they are
// durable (linearizability: the staged event may never exist); an append
// that chains onto them is staged; a conflict with the committed log is
// answered at once with the committed version.
func TestExpectedVersionSeesStagedEvents(t *testing.T) {
	h := newHarness(t, Options{})
	h.append(messages.Append{Coordinate: coord("e"), Expected: messages.NoStream()})
	_, err := h.e.Append(&messages.Append{Coordinate: coord("e"), Kind: testKind, Expected: messages.NoStream()})
	require.ErrorIs(t, err, ErrUndecided, "the stream exists only in the unpublished group")
	require.NotErrorIs(t, err, messages.ErrVersionConflict)
	r := h.append(messages.Append{Coordinate: coord("e"), Expected: messages.Exactly(1)})
	require.Equal(t, uint64(2), r.Version)
	require.NoError(t, h.e.Commit())
	_, err = h.e.Append(&messages.Append{Coordinate: coord("e"), Kind: testKind, Expected: messages.NoStream()})
	var vc *VersionConflictError
	require.ErrorAs(t, err, &vc, "now the conflict is a fact of the committed log")
	require.Equal(t, uint64(2), vc.Actual)
	h.append(messages.Append{Coordinate: coord("e"), Expected: messages.Exactly(2)})
	_, err = h.e.Append(&messages.Append{Coordinate: coord("e"), Kind: testKind, Expected: messages.Exactly(1)})
	require.ErrorAs(t, err, &vc, "committed version 2 already conflicts with 1, whatever is staged")
	require.Equal(t, uint64(2), vc.Actual)
}

func TestIdempotentRetry(t *testing.T) {
	h := newHarness(t, Options{})
	key := messages.NewID()
	a := messages.Append{Coordinate: coord("e"), Payload: []byte("x"), IdempotencyKey: key, Expected: messages.NoStream()}
	first := h.append(a)
	_, err := h.e.Append(&messages.Append{Coordinate: a.Coordinate, Kind: testKind, Payload: a.Payload,
		IdempotencyKey: key, Expected: messages.NoStream()}) // staged in the same group
	require.ErrorIs(t, err, ErrUndecided, "the original is not durable yet")
	require.NoError(t, h.e.Commit())

	// After commit, the expected version (NoStream) is stale: the retry still
	// returns the original receipt instead of a conflict.
	again := h.append(a)
	require.True(t, again.Replayed)
	again.Replayed = false
	require.Equal(t, first, again)
	require.Equal(t, messages.IDFromKey(key), first.EventID)

	h.reopen()
	afterReopen := h.append(a)
	afterReopen.Replayed = false
	require.Equal(t, first, afterReopen)
	require.NoError(t, h.e.Commit())
	require.Equal(t, 1, h.e.Stats().Events)
}

func TestIdempotencyAcrossReopen(t *testing.T) {
	h := newHarness(t, Options{})
	keys := make([]messages.ID, 16)
	for i := range keys {
		keys[i] = messages.NewID()
	}
	for _, k := range keys[1:11] {
		h.append(messages.Append{Coordinate: coord("e"), IdempotencyKey: k})
	}
	require.NoError(t, h.e.Commit())
	h.reopen()
	for _, k := range keys[6:16] {
		h.append(messages.Append{Coordinate: coord("e"), IdempotencyKey: k})
	}
	require.NoError(t, h.e.Commit())
	require.Equal(t, 15, h.e.Stats().Events)
}

func TestInvalidAppendsAreRefusedAndHarmless(t *testing.T) {
	h := newHarness(t, Options{MaxPayloadBytes: 1000})
	reserved := messages.EventKind(0x0006)
	tests := []struct {
		name string
		a    messages.Append
		want error
	}{
		{"empty entity", messages.Append{Coordinate: messages.Coordinate{Scope: "s"}, Kind: testKind}, messages.ErrInvalidCoordinate},
		{"empty scope", messages.Append{Coordinate: messages.Coordinate{Entity: "e"}, Kind: testKind}, messages.ErrInvalidCoordinate},
		{"1025-byte entity", messages.Append{Coordinate: coord(strings.Repeat("x", 1025)), Kind: testKind}, messages.ErrInvalidCoordinate},
		{"invalid utf-8", messages.Append{Coordinate: coord("a\xffb"), Kind: testKind}, messages.ErrInvalidCoordinate},
		{"nul byte", messages.Append{Coordinate: coord("a\x00b"), Kind: testKind}, messages.ErrInvalidCoordinate},
		{"batch begin kind", messages.Append{Coordinate: coord("e"), Kind: reserved}, messages.ErrReservedKind},
		{"batch commit kind", messages.Append{Coordinate: coord("e"), Kind: messages.KindBatchCommit}, messages.ErrReservedKind},
		{"category 0xD", messages.Append{Coordinate: coord("e"), Kind: messages.EventKind(0xD001)}, messages.ErrReservedKind},
		{"payload over the limit", messages.Append{Coordinate: coord("e"), Kind: testKind, Payload: make([]byte, 1001)}, messages.ErrPayloadTooLarge},
		{"unknown expected mode", messages.Append{Coordinate: coord("e"), Kind: testKind, Expected: messages.ExpectedVersion{Mode: 7}}, messages.ErrInvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.e.Append(&tc.a)
			require.ErrorIs(t, err, tc.want)
			require.Zero(t, h.e.Staged())
		})
	}
	h.append(messages.Append{Coordinate: coord("e"), Payload: make([]byte, 1000)}) // at the limit
	require.NoError(t, h.e.Commit())
	h.reopen()
	require.Equal(t, 1, h.e.Stats().Events)
}

func TestWallClockNeverRegressesPerEntity(t *testing.T) {
	h := newHarness(t, Options{})
	at := func(sec int64) { h.now = time.Unix(sec, 0) }
	at(1000)
	h.put("a", "1")
	at(2000)
	h.put("a", "2")
	at(500)
	h.put("a", "3")
	h.put("b", "first at 500 s")
	at(600)
	h.put("a", "4")
	evs, err := h.e.Stream(coord("a"), 1)
	require.NoError(t, err)
	var walls []int64
	for _, ev := range evs {
		walls = append(walls, ev.WallMS)
	}
	require.Equal(t, []int64{1_000_000, 2_000_000, 2_000_000, 2_000_000}, walls)
	require.Equal(t, time.Unix(500, 0).UnixMicro(), evs[2].TimestampUS, "the raw timestamp is kept")
	b, err := h.e.Stream(coord("b"), 1)
	require.NoError(t, err)
	require.Equal(t, int64(500_000), b[0].WallMS, "another entity keeps its own clock")
	h.reopen()
	h.put("a", "5")
	evs, _ = h.e.Stream(coord("a"), 5)
	require.Equal(t, int64(2_000_000), evs[0].WallMS, "the clamp survives a reopen")
}

func TestRollbackDiscardsStagedEvents(t *testing.T) {
	h := newHarness(t, Options{})
	h.put("e", "kept")
	h.append(messages.Append{Coordinate: coord("e"), Payload: []byte("dropped")})
	h.e.Rollback()
	require.Zero(t, h.e.Staged())
	r := h.put("e", "next")
	require.Equal(t, uint64(1), r.Sequence)
	require.Equal(t, uint64(2), r.Version)
	evs, _ := h.e.Stream(coord("e"), 1)
	require.Equal(t, []string{"kept", "next"}, payloads(evs))
	_, err := h.e.Verify()
	require.NoError(t, err)
}

func TestStagedEventsAreInvisibleUntilCommit(t *testing.T) {
	h := newHarness(t, Options{})
	r := h.append(messages.Append{Coordinate: coord("e"), Payload: []byte("x")})
	_, err := h.e.Get(r.EventID)
	require.ErrorIs(t, err, messages.ErrNotFound)
	require.Zero(t, h.e.Stats().Events)
	require.NoError(t, h.e.Commit())
	_, err = h.e.Get(r.EventID)
	require.NoError(t, err)
}

func TestClosedEngineRefusesEverything(t *testing.T) {
	h := newHarness(t, Options{})
	r := h.put("e", "x")
	require.NoError(t, h.e.Close())
	_, err := h.e.Append(&messages.Append{Coordinate: coord("e"), Kind: testKind})
	require.ErrorIs(t, err, messages.ErrClosed)
	_, err = h.e.Get(r.EventID)
	require.ErrorIs(t, err, messages.ErrClosed)
	_, err = h.e.Query(Filter{})
	require.ErrorIs(t, err, messages.ErrClosed)
	require.ErrorIs(t, h.e.Commit(), messages.ErrClosed)
	require.True(t, errors.Is(h.e.Close(), ErrClosed))
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{
		{SegmentSize: 100},
		{SegmentSize: 2 << 30},
		{MaxPayloadBytes: -1},
		{MaxPayloadBytes: 65 << 20},
		{SyncMode: 9},
		{MaxBatchItems: -1},
	} {
		require.ErrorIs(t, o.Validate(), messages.ErrInvalidArgument, "%+v", o)
		_, err := Open(t.TempDir(), o)
		require.ErrorIs(t, err, messages.ErrInvalidArgument)
	}
	require.NoError(t, Options{}.Validate())
}
