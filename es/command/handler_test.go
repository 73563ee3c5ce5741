package command_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/es/command"
	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
)

// TestHandleAppendsDecidedEvents: commands decide events from the loaded
// state; each is appended and the state reloads to the fold of the log.
func TestHandleAppendsDecidedEvents(t *testing.T) {
	s := spawnStore(t)
	d := decider(t)
	h, err := command.New(s, d, command.Options{})
	require.NoError(t, err)
	ctx := ctxT(t)
	res, err := h.Handle(ctx, acct, "open-1", Open{Owner: "ann"})
	require.NoError(t, err)
	require.Equal(t, uint64(1), res.Version)
	require.Len(t, res.Receipts, 1)
	require.Equal(t, 1, res.Attempts)
	require.False(t, res.Replayed)
	for i := range 3 {
		res, err = h.Handle(ctx, acct, fmt.Sprintf("dep-%d", i), Deposit{Amount: 10})
		require.NoError(t, err)
		require.Equal(t, uint64(2+i), res.Version)
	}
	// Open again decides nothing: no events, same version.
	res, err = h.Handle(ctx, acct, "open-2", Open{Owner: "bob"})
	require.NoError(t, err)
	require.Empty(t, res.Receipts)
	require.Equal(t, uint64(4), res.Version)

	st, err := h.Load(ctx, acct)
	require.NoError(t, err)
	require.Equal(t, Account{Open: true, Owner: "ann", Balance: 30, Events: 4}, st.Value)
	require.Equal(t, uint64(4), st.Version)
	require.Equal(t, replayAll(t, s, d.Registry, acct), st.Value)
	// The events carry the command's keys.
	ev, err := s.Get(messages.IDFromKey(messages.KeyOf("dep-1", "0")))
	require.NoError(t, err)
	require.Equal(t, uint64(3), ev.Version)
}

// TestRejectedCommandAppendsNothing: a Decide error is ErrRejected
// wrapping the application's error, and the log is unchanged.
func TestRejectedCommandAppendsNothing(t *testing.T) {
	s := spawnStore(t)
	h, err := command.New(s, decider(t), command.Options{})
	require.NoError(t, err)
	ctx := ctxT(t)
	_, err = h.Handle(ctx, acct, "dep", Deposit{Amount: 1})
	require.ErrorIs(t, err, command.ErrRejected)
	require.ErrorIs(t, err, errClosed)
	_, err = h.Handle(ctx, acct, "open", Open{Owner: "ann"})
	require.NoError(t, err)
	_, err = h.Handle(ctx, acct, "w", Withdraw{Amount: 5})
	require.ErrorIs(t, err, errInsufficient)
	evs, err := s.Stream(acct, 1)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	// A Decide that panics is a rejection too.
	d := decider(t)
	d.Decide = func(Account, any) ([]any, error) { panic("bug") }
	h2, err := command.New(s, d, command.Options{})
	require.NoError(t, err)
	_, err = h2.Handle(ctx, acct, "x", Deposit{})
	require.ErrorIs(t, err, command.ErrRejected)
}

// TestBadInput: an empty command id, a bad Decider or options, an
// unregistered event type, an event that does not decode, an Evolve that
// panics: each a typed error, never a wrong state.
func TestBadInput(t *testing.T) {
	s := spawnStore(t)
	ctx := ctxT(t)
	d := decider(t)
	_, err := command.New(s, command.Decider[Account, any]{}, command.Options{})
	require.ErrorIs(t, err, command.ErrInvalid)
	_, err = command.New(s, d, command.Options{MaxAttempts: -1})
	require.ErrorIs(t, err, messages.ErrInvalidArgument)
	noType := d
	noType.Type = ""
	_, err = command.New(s, noType, command.Options{Snapshots: newMemSnapshots()})
	require.ErrorIs(t, err, command.ErrInvalid)

	h, err := command.New(s, d, command.Options{})
	require.NoError(t, err)
	_, err = h.Handle(ctx, acct, "", Open{})
	require.ErrorIs(t, err, command.ErrInvalid)

	unreg := d
	unreg.Decide = func(Account, any) ([]any, error) { return []any{struct{ X int }{1}}, nil }
	hu, err := command.New(s, unreg, command.Options{})
	require.NoError(t, err)
	_, err = hu.Handle(ctx, acct, "u", Open{})
	require.ErrorIs(t, err, typed.ErrUnregistered)

	// A stored event of a registered kind whose payload is not typed.
	_, err = s.Append(ctx, &messages.Append{Coordinate: acct, Kind: messages.MustKind(2, 2), Payload: []byte("{}")})
	require.NoError(t, err)
	_, err = h.Load(ctx, acct)
	require.ErrorIs(t, err, typed.ErrPayload)

	other := messages.Coordinate{Entity: "account-2", Scope: "bank"}
	_, err = h.Handle(ctx, other, "o", Open{Owner: "x"})
	require.NoError(t, err)
	panicky := d
	panicky.Evolve = func(Account, any) Account { panic("bad evolve") }
	hp, err := command.New(s, panicky, command.Options{})
	require.NoError(t, err)
	_, err = hp.Load(ctx, other)
	require.ErrorIs(t, err, command.ErrEvolve)
}

// TestConflictIsRetriedOnTheNewState: another writer appends between the
// command's load and its append; the command meets a version conflict,
// catches up and decides again on the new state (attempt 2).
func TestConflictIsRetriedOnTheNewState(t *testing.T) {
	s := spawnStore(t)
	d := decider(t)
	ctx := ctxT(t)
	h, err := command.New(s, d, command.Options{})
	require.NoError(t, err)
	_, err = h.Handle(ctx, acct, "open", Open{Owner: "ann"})
	require.NoError(t, err)

	var seen []int64
	racing := d
	racing.Decide = func(st Account, cmd any) ([]any, error) {
		seen = append(seen, st.Balance)
		if len(seen) == 1 { // someone else deposits under our feet
			a, err := typed.Append(d.Registry, acct, Deposited{Amount: 100})
			require.NoError(t, err)
			_, err = s.Append(ctx, a)
			require.NoError(t, err)
		}
		return decide(st, cmd)
	}
	hr, err := command.New(s, racing, command.Options{})
	require.NoError(t, err)
	res, err := hr.Handle(ctx, acct, "d", Deposit{Amount: 60})
	require.NoError(t, err)
	require.Equal(t, 2, res.Attempts)
	require.Equal(t, []int64{0, 100}, seen, "the retry decided on the state with the other deposit")
	require.Equal(t, uint64(3), res.Version)
	st, err := h.Load(ctx, acct)
	require.NoError(t, err)
	require.Equal(t, int64(160), st.Value.Balance)
}

// TestConflictsAreBounded: a command that conflicts on every attempt ends
// with a *ConflictError after MaxAttempts, matching ErrTooManyConflicts and
// messages.ErrVersionConflict, and appends nothing.
func TestConflictsAreBounded(t *testing.T) {
	s := spawnStore(t)
	d := decider(t)
	ctx := ctxT(t)
	racing := d
	calls := 0
	racing.Decide = func(st Account, cmd any) ([]any, error) {
		calls++
		a, err := typed.Append(d.Registry, acct, Deposited{Amount: 1})
		require.NoError(t, err)
		_, err = s.Append(ctx, a)
		require.NoError(t, err)
		return []any{Opened{Owner: "late"}}, nil
	}
	h, err := command.New(s, racing, command.Options{MaxAttempts: 3})
	require.NoError(t, err)
	res, err := h.Handle(ctx, acct, "c", Open{})
	require.ErrorIs(t, err, command.ErrTooManyConflicts)
	require.ErrorIs(t, err, messages.ErrVersionConflict)
	var ce *command.ConflictError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, 3, ce.Attempts)
	var vc *messages.VersionConflictError
	require.ErrorAs(t, err, &vc)
	require.Equal(t, uint64(3), vc.Actual)
	require.Equal(t, 3, calls)
	require.Equal(t, 3, res.Attempts)
	require.Equal(t, Account{Balance: 3, Events: 3}, replayAll(t, s, d.Registry, acct), "only the other writer's events")
}

// TestRetriedCommandIsReplayed: the same command id again returns the
// first run's receipts (Replayed) and appends nothing, even though Decide
// would now decide something else; the id on another entity is refused.
func TestRetriedCommandIsReplayed(t *testing.T) {
	s := spawnStore(t)
	d := decider(t)
	ctx := ctxT(t)
	h, err := command.New(s, d, command.Options{})
	require.NoError(t, err)
	_, err = h.Handle(ctx, acct, "open", Open{Owner: "ann"})
	require.NoError(t, err)
	first, err := h.Handle(ctx, acct, "dep-42", Deposit{Amount: 5})
	require.NoError(t, err)
	_, err = h.Handle(ctx, acct, "dep-43", Deposit{Amount: 7})
	require.NoError(t, err)
	again, err := h.Handle(ctx, acct, "dep-42", Deposit{Amount: 5})
	require.NoError(t, err)
	require.True(t, again.Replayed)
	require.Len(t, again.Receipts, 1)
	require.Equal(t, first.Receipts[0].EventID, again.Receipts[0].EventID)
	require.Equal(t, first.Receipts[0].Sequence, again.Receipts[0].Sequence)
	require.Equal(t, uint64(3), again.Version)
	require.Equal(t, int64(12), replayAll(t, s, d.Registry, acct).Balance)

	other := messages.Coordinate{Entity: "account-2", Scope: "bank"}
	_, err = h.Handle(ctx, other, "dep-42", Open{Owner: "bob"})
	require.ErrorIs(t, err, command.ErrCommandIDReused)
	require.ErrorIs(t, err, messages.ErrIdempotencyConflict)
}

// TestConcurrentCommandsAllApplyOnce: 8 goroutines x 10 deposits on one
// entity through one Handler, with enough attempts: each deposit is
// applied exactly once (the version check serialises them), whatever
// conflicted.
func TestConcurrentCommandsAllApplyOnce(t *testing.T) {
	s := spawnStore(t)
	d := decider(t)
	ctx := ctxT(t)
	h, err := command.New(s, d, command.Options{MaxAttempts: 1000})
	require.NoError(t, err)
	_, err = h.Handle(ctx, acct, "open", Open{Owner: "ann"})
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 80)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				// Every command twice: the second is a replay.
				id := fmt.Sprintf("g%d-%d", g, i)
				for range 2 {
					if _, err := h.Handle(context.Background(), acct, id, Deposit{Amount: 1}); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	st, err := h.Load(ctx, acct)
	require.NoError(t, err)
	require.Equal(t, Account{Open: true, Owner: "ann", Balance: 80, Events: 81}, st.Value)
	require.Equal(t, st.Value, replayAll(t, s, d.Registry, acct))
}

// TestMultiEventCommandIsOneConditionalBatch (NEEDS conditional batches):
// a command deciding two events appends them as one batch, the first
// item conditional; a conflict refuses both and the command retries.
func TestMultiEventCommandIsOneConditionalBatch(t *testing.T) {
	s := spawnStore(t)
	d := decider(t)
	ctx := ctxT(t)
	h, err := command.New(s, d, command.Options{})
	require.NoError(t, err)
	_, err = h.Handle(ctx, acct, "open", Open{Owner: "ann"})
	require.NoError(t, err)
	_, err = h.Handle(ctx, acct, "dep", Deposit{Amount: 100})
	require.NoError(t, err)
	res, err := h.Handle(ctx, acct, "w1", Withdraw{Amount: 10, Fee: 1})
	require.NoError(t, err)
	require.Len(t, res.Receipts, 2)
	require.Equal(t, uint64(4), res.Version)
	evs, err := s.Stream(acct, 3)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	require.False(t, evs[0].BatchID.IsZero())
	require.Equal(t, evs[0].BatchID, evs[1].BatchID, "one batch")

	// A conflict on the batch path: retried on the new state.
	racing := d
	n := 0
	racing.Decide = func(st Account, cmd any) ([]any, error) {
		n++
		if n == 1 {
			a, err := typed.Append(d.Registry, acct, Withdrawn{Amount: 80})
			require.NoError(t, err)
			_, err = s.Append(ctx, a)
			require.NoError(t, err)
		}
		return decide(st, cmd)
	}
	hr, err := command.New(s, racing, command.Options{})
	require.NoError(t, err)
	_, err = hr.Handle(ctx, acct, "w2", Withdraw{Amount: 10, Fee: 1})
	require.ErrorIs(t, err, errInsufficient, "decided again on the balance after the other withdrawal (9)")
	require.Equal(t, 2, n)
	require.Equal(t, Account{Open: true, Owner: "ann", Balance: 9, Events: 5}, replayAll(t, s, d.Registry, acct))

	// The retried multi-event command is replayed whole.
	again, err := h.Handle(ctx, acct, "w1", Withdraw{Amount: 10, Fee: 1})
	require.NoError(t, err)
	require.True(t, again.Replayed)
	require.Equal(t, res.Receipts[0].EventID, again.Receipts[0].EventID)
	require.Equal(t, res.Receipts[1].EventID, again.Receipts[1].EventID)
}

// TestMultiEventConflictWritesNothing (NEEDS conditional batches): a
// batch whose condition fails writes none of its items.
func TestMultiEventConflictWritesNothing(t *testing.T) {
	s := spawnStore(t)
	d := decider(t)
	ctx := ctxT(t)
	h, err := command.New(s, d, command.Options{})
	require.NoError(t, err)
	_, err = h.Handle(ctx, acct, "open", Open{Owner: "ann"})
	require.NoError(t, err)
	_, err = h.Handle(ctx, acct, "dep", Deposit{Amount: 100})
	require.NoError(t, err)
	racing := d
	racing.Decide = func(st Account, cmd any) ([]any, error) {
		a, err := typed.Append(d.Registry, acct, Deposited{Amount: 1})
		require.NoError(t, err)
		_, err = s.Append(ctx, a)
		require.NoError(t, err)
		return decide(st, cmd)
	}
	hr, err := command.New(s, racing, command.Options{MaxAttempts: 2})
	require.NoError(t, err)
	_, err = hr.Handle(ctx, acct, "w", Withdraw{Amount: 10, Fee: 1})
	require.ErrorIs(t, err, command.ErrTooManyConflicts)
	require.Equal(t, Account{Open: true, Owner: "ann", Balance: 102, Events: 4}, replayAll(t, s, d.Registry, acct))
	_, err = s.Get(messages.IDFromKey(messages.KeyOf("w", "1")))
	require.True(t, errors.Is(err, messages.ErrNotFound))
}

// TestSameCommandRunConcurrently: one command id run by 4 goroutines at
// once is applied once; every run gets the same receipt, all but one as
// a replay.
func TestSameCommandRunConcurrently(t *testing.T) {
	s := spawnStore(t)
	d := decider(t)
	ctx := ctxT(t)
	h, err := command.New(s, d, command.Options{MaxAttempts: 10})
	require.NoError(t, err)
	_, err = h.Handle(ctx, acct, "open", Open{Owner: "ann"})
	require.NoError(t, err)
	for round := range 10 {
		id := fmt.Sprintf("dep-%d", round)
		results := make(chan command.Result, 4)
		errs := make(chan error, 4)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := h.Handle(context.Background(), acct, id, Deposit{Amount: 1})
				errs <- err
				results <- res
			}()
		}
		wg.Wait()
		close(results)
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		applied := 0
		var ids []messages.ID
		for res := range results {
			require.Len(t, res.Receipts, 1)
			ids = append(ids, res.Receipts[0].EventID)
			if !res.Replayed {
				applied++
			}
		}
		require.Equal(t, 1, applied, "round %d", round)
		for _, id := range ids {
			require.Equal(t, ids[0], id)
		}
	}
	require.Equal(t, int64(10), replayAll(t, s, d.Registry, acct).Balance)
}
