package remoting_test

import (
	"context"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/remoting"
)

// requirePID checks that got names the same actor as want.
func requirePID(t *testing.T, want, got *actor.PID) {
	t.Helper()
	require.Equal(t, want.Address, got.Address)
	require.Equal(t, want.Id, got.Id)
}

// WriterPID and ReaderPID name the PIDs of a real store: one with the
// default name, one with its own, and one spawned under an actor (named
// by its supervisor's id).
func TestPIDsNameTheStoresActors(t *testing.T) {
	sys := sharedNode(t)
	addr := sys.Address()
	for _, name := range []string{"", "orders"} {
		s, err := actors.Spawn(sys, actors.Config{Dir: t.TempDir(), Name: name, Logger: quietLogger()})
		require.NoError(t, err)
		requirePID(t, s.Writer(), remoting.WriterPID(addr, name))
		requirePID(t, s.Reader(), remoting.ReaderPID(addr, name))
		requirePID(t, s.Fanout(), remoting.FanoutPID(addr, name))
		require.NoError(t, s.Close(context.Background()))
	}

	stores := make(chan *actors.Store, 1)
	dir := t.TempDir()
	parent := sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(*actor.Started); ok {
			s, err := actors.SpawnIn(c, actors.Config{Dir: dir, Name: "child", Logger: quietLogger()})
			if err != nil {
				panic(err)
			}
			stores <- s
		}
	}))
	s := <-stores
	require.NotEqual(t, "child", s.Supervisor().Id, "under its parent")
	requirePID(t, s.Writer(), remoting.WriterPID(addr, s.Supervisor().Id))
	requirePID(t, s.Reader(), remoting.ReaderPID(addr, s.Supervisor().Id))
	requirePID(t, s.Fanout(), remoting.FanoutPID(addr, s.Supervisor().Id))
	require.NoError(t, sys.Root.StopFuture(parent).Wait())
	<-s.Done()
}
