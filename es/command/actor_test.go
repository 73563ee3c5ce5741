package command_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/es/command"
	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
)

func ask(t *testing.T, root *actor.RootContext, pid *actor.PID, msg any) any {
	t.Helper()
	res, err := root.RequestFuture(pid, msg, 10*time.Second).Result()
	require.NoError(t, err)
	return res
}

// TestEntityActorRunsCommandsInTurn: the entity actor answers each
// request with a *Reply, keeps the state in memory (GetState), and that
// state equals a fresh load of the log; a replayed id and a rejected
// command are answered as the Handler answers them.
func TestEntityActorRunsCommandsInTurn(t *testing.T) {
	s := spawnStore(t)
	d := decider(t)
	h, err := command.New(s, d, command.Options{})
	require.NoError(t, err)
	root := s.System().Root
	pid := root.Spawn(command.Props(h, acct))
	defer root.Stop(pid)

	rep := ask(t, root, pid, &command.Request[any]{ID: "open", Command: Open{Owner: "ann"}}).(*command.Reply)
	require.NoError(t, rep.Err())
	futures := make([]*actor.Future, 20)
	for i := range futures {
		futures[i] = root.RequestFuture(pid, &command.Request[any]{ID: fmt.Sprintf("d%d", i), Command: Deposit{Amount: 2}}, 10*time.Second)
	}
	for i, f := range futures {
		res, err := f.Result()
		require.NoError(t, err)
		rep := res.(*command.Reply)
		require.NoError(t, rep.Err())
		require.Equal(t, uint64(i+2), rep.Result.Version, "in turn, in the order sent")
	}
	rep = ask(t, root, pid, &command.Request[any]{ID: "d3", Command: Deposit{Amount: 2}}).(*command.Reply)
	require.NoError(t, rep.Err())
	require.True(t, rep.Result.Replayed)

	rep = ask(t, root, pid, &command.Request[any]{ID: "w", Command: Withdraw{Amount: 1000}}).(*command.Reply)
	require.ErrorIs(t, rep.Err(), command.ErrRejected)
	require.ErrorIs(t, rep.Err(), errInsufficient)

	sr := ask(t, root, pid, &command.GetState{}).(*command.StateReply[Account])
	require.Nil(t, sr.Failure)
	require.Equal(t, uint64(21), sr.State.Version)
	require.Equal(t, Account{Open: true, Owner: "ann", Balance: 40, Events: 21}, sr.State.Value)
	require.Equal(t, replayAll(t, s, d.Registry, acct), sr.State.Value)

	er := ask(t, root, pid, "hello").(*messages.ErrorReply)
	require.ErrorIs(t, er.Err(), messages.ErrUnknownMessage)
}

// TestEntityActorCatchesUpAfterAnotherWriter: events appended by someone
// else make the actor's command conflict; it catches up and retries; a
// command that keeps conflicting is answered with the typed error, which
// survives a msgpack round trip as a version conflict.
func TestEntityActorCatchesUpAfterAnotherWriter(t *testing.T) {
	s := spawnStore(t)
	d := decider(t)
	ctx := ctxT(t)
	h, err := command.New(s, d, command.Options{MaxAttempts: 2})
	require.NoError(t, err)
	root := s.System().Root
	pid := root.Spawn(command.Props(h, acct))
	defer root.Stop(pid)
	rep := ask(t, root, pid, &command.Request[any]{ID: "open", Command: Open{Owner: "ann"}}).(*command.Reply)
	require.NoError(t, rep.Err())

	a, err := typed.Append(d.Registry, acct, Deposited{Amount: 50})
	require.NoError(t, err)
	_, err = s.Append(ctx, a)
	require.NoError(t, err)
	rep = ask(t, root, pid, &command.Request[any]{ID: "w", Command: Withdraw{Amount: 30}}).(*command.Reply)
	require.NoError(t, rep.Err(), "decided on the state with the other deposit")
	require.Equal(t, uint64(3), rep.Result.Version)
	sr := ask(t, root, pid, &command.GetState{}).(*command.StateReply[Account])
	require.Equal(t, int64(20), sr.State.Value.Balance)

	// Always conflicting: a second handler whose Decide races the actor.
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
	pid2 := root.Spawn(command.Props(hr, acct))
	defer root.Stop(pid2)
	rep = ask(t, root, pid2, &command.Request[any]{ID: "d", Command: Deposit{Amount: 5}}).(*command.Reply)
	require.ErrorIs(t, rep.Err(), command.ErrTooManyConflicts)
	require.Equal(t, 2, rep.Result.Attempts)

	b, err := msgpack.Marshal(rep)
	require.NoError(t, err)
	var wire command.Reply
	require.NoError(t, msgpack.Unmarshal(b, &wire))
	require.ErrorIs(t, wire.Err(), messages.ErrVersionConflict)
	require.NotErrorIs(t, (&command.Reply{}).Err(), messages.ErrVersionConflict)
	require.NoError(t, (&command.Reply{}).Err())
}
