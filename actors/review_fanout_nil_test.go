package actors_test

import (
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// TestFanoutTakesNilRemoteSubscriptionMessages: a nil *SubscriptionAck or
// *Unsubscribe sent to the fanout (any actor of the system, or a peer, can
// send one) is bad input: it is ignored, never a panic of the fanout, whose
// restart would tell every subscriber of a gap that is not there.
func TestFanoutTakesNilRemoteSubscriptionMessages(t *testing.T) {
	sys := actor.NewActorSystem()
	s, err := actors.Spawn(sys, actors.Config{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close(t.Context()) })
	got := make(chan any, 16)
	_, _, err = s.Subscribe(actor.PropsFromFunc(func(ctx actor.Context) {
		switch m := ctx.Message().(type) {
		case *messages.Subscribed, *messages.Notification, *messages.Gap:
			got <- m
		}
	}), storage.Filter{}, 0)
	require.NoError(t, err)
	require.IsType(t, &messages.Subscribed{}, <-got)

	sys.Root.Send(s.Fanout(), (*messages.SubscriptionAck)(nil))
	sys.Root.Send(s.Fanout(), (*messages.Unsubscribe)(nil))
	actors.UnsubscribeRemote(sys.Root, s.Fanout(), nil) // no panic in the caller either
	actors.UnsubscribeRemote(sys.Root, nil, s.Fanout())
	actors.UnsubscribeRemote(nil, s.Fanout(), s.Fanout())
	_, err = s.Append(t.Context(), &messages.Append{Coordinate: messages.Coordinate{Entity: "e", Scope: "s"}, Kind: messages.MustKind(1, 1)})
	require.NoError(t, err)
	select {
	case m := <-got:
		require.IsType(t, &messages.Notification{}, m, "the fanout restarted: its subscriber was told of a gap")
	case <-time.After(10 * time.Second):
		t.Fatal("no notification")
	}
}
