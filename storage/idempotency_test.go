package storage

import (
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// A key reused for a different request is refused with a typed error that
// names both coordinates; nothing is written. The very same request is a
// replay.
func TestIdempotencyKeyReusedForAnotherRequest(t *testing.T) {
	h := newHarness(t, Options{})
	key := messages.NewID()
	orig := messages.Append{Coordinate: coord("acct/1"), Kind: testKind, Payload: []byte("deposit 10"), IdempotencyKey: key}
	first := h.append(orig)
	require.NoError(t, h.e.Commit())
	other := messages.MustKind(1, 2)
	cases := map[string]func(a *messages.Append){
		"coordinate":  func(a *messages.Append) { a.Coordinate = coord("acct/2") },
		"kind":        func(a *messages.Append) { a.Kind = other },
		"payload":     func(a *messages.Append) { a.Payload = []byte("deposit 99") },
		"correlation": func(a *messages.Append) { a.CorrelationID = messages.NewID() },
		"causation":   func(a *messages.Append) { a.CausationID = first.EventID },
	}
	for field, change := range cases {
		a := orig
		change(&a)
		_, err := h.e.Append(&a)
		require.ErrorIs(t, err, messages.ErrIdempotencyConflict, field)
		var ic *messages.IdempotencyConflictError
		require.ErrorAs(t, err, &ic, field)
		require.Equal(t, field, ic.Field)
		require.Equal(t, orig.Coordinate, ic.Existing)
		require.Equal(t, a.Coordinate, ic.Requested)
		require.Equal(t, first.EventID, ic.EventID)
		require.Zero(t, h.e.Staged(), field)
	}
	again := h.append(orig)
	require.True(t, again.Replayed)
	require.NoError(t, h.e.Commit())
	require.Equal(t, 1, h.e.Stats().Events)
}

// A batch mixing keyed and unkeyed items can be retried verbatim (the
// original receipts come back, for unkeyed items too), also after a reopen;
// a batch that differs in any item, or in length, is refused.
func TestMixedBatchRetry(t *testing.T) {
	h := newHarness(t, Options{})
	h.put("other", "x") // the batch does not start at sequence 0
	b := []messages.BatchItem{
		{Coordinate: coord("order/1"), Kind: testKind, Payload: []byte("placed"), IdempotencyKey: messages.NewID()},
		{Coordinate: coord("stock/9"), Kind: testKind, Payload: []byte("reserved"), Causation: messages.CausedByItem(0)},
		{Coordinate: coord("mail/1"), Kind: testKind, Payload: []byte("queued")},
	}
	first := h.batch(b)
	for round := range 2 {
		again, err := h.e.AppendBatch(&messages.AppendBatch{Items: b})
		require.NoError(t, err, "round %d", round)
		require.Len(t, again, 3)
		for i := range again {
			require.True(t, again[i].Replayed)
			again[i].Replayed = false
		}
		require.Equal(t, first, again)
		require.Zero(t, h.e.Staged())
		h.reopen()
	}
	changed := append([]messages.BatchItem(nil), b...)
	changed[2].Payload = []byte("sent")
	_, err := h.e.AppendBatch(&messages.AppendBatch{Items: changed})
	require.ErrorIs(t, err, messages.ErrIdempotencyConflict)
	var be *BatchError
	require.ErrorAs(t, err, &be)
	require.Equal(t, 2, be.Item)
	_, err = h.e.AppendBatch(&messages.AppendBatch{Items: b[:2]})
	require.ErrorIs(t, err, messages.ErrIdempotencyConflict, "a shorter batch is another request")
	longer := append(append([]messages.BatchItem(nil), b...), messages.BatchItem{Coordinate: coord("x"), Kind: testKind})
	_, err = h.e.AppendBatch(&messages.AppendBatch{Items: longer})
	require.ErrorIs(t, err, messages.ErrIdempotencyConflict, "a longer batch is another request")
	require.Equal(t, 4, h.e.Stats().Events)
}
