package command_test

import (
	"context"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/command"
)

// TestCommandReplayedAfterAStoreRestart: a command whose reply was lost
// is retried with its id after the store was closed and opened again (a
// process restart): it is replayed from the log, not applied twice, and
// the reloaded state is the log's fold.
func TestCommandReplayedAfterAStoreRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := ctxT(t)
	d := decider(t)
	open := func() *actors.Store {
		sys := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
		t.Cleanup(sys.Shutdown)
		s, err := actors.Spawn(sys, actors.Config{Dir: dir})
		require.NoError(t, err)
		return s
	}
	s := open()
	h, err := command.New(s, d, command.Options{})
	require.NoError(t, err)
	_, err = h.Handle(ctx, acct, "open", Open{Owner: "ann"})
	require.NoError(t, err)
	first, err := h.Handle(ctx, acct, "dep-1", Deposit{Amount: 5})
	require.NoError(t, err)
	require.NoError(t, s.Close(context.Background()))

	s = open()
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	h, err = command.New(s, d, command.Options{})
	require.NoError(t, err)
	again, err := h.Handle(ctx, acct, "dep-1", Deposit{Amount: 5})
	require.NoError(t, err)
	require.True(t, again.Replayed)
	require.Equal(t, first.Receipts[0].EventID, again.Receipts[0].EventID)
	st, err := h.Load(ctx, acct)
	require.NoError(t, err)
	require.Equal(t, Account{Open: true, Owner: "ann", Balance: 5, Events: 2}, st.Value)
}
