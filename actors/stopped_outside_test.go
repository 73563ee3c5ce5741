package actors_test

import (
	"context"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// A Stop or PoisonPill sent to the writer, the fanout or the reader from outside (a
// peer over protoactor remote can send one) closes the store as a stop of
// its parent does: Done closes, Err and every later request say ErrClosed,
// subscribers get SubscriptionEnded, and the directory is released.
func TestStoreClosesWhenAChildIsStoppedFromOutside(t *testing.T) {
	for _, child := range []string{"writer", "fanout", "reader"} {
		t.Run(child, func(t *testing.T) {
			sys := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
			defer sys.Shutdown()
			dir := t.TempDir()
			s, err := actors.Spawn(sys, actors.Config{Dir: dir})
			require.NoError(t, err)
			ctx := context.Background()
			coord := messages.Coordinate{Entity: "order-1", Scope: "shop"}
			_, err = s.Append(ctx, &messages.Append{Coordinate: coord, Kind: kind})
			require.NoError(t, err)
			got := make(chan any, 4)
			_, _, err = s.Subscribe(actor.PropsFromProducer(func() actor.Actor { return &subscriberProbe{got: got} }),
				storage.Filter{}, 0)
			require.NoError(t, err)
			require.IsType(t, &messages.Subscribed{}, <-got)

			pid := s.Writer()
			switch child {
			case "fanout":
				pid = actor.NewPID(s.Writer().Address, s.Supervisor().Id+"/fanout")
			case "reader":
				pid = s.Reader()
			}
			sys.Root.Poison(pid)

			select {
			case <-s.Done():
			case <-time.After(30 * time.Second):
				t.Fatal("Done was not closed")
			}
			require.ErrorIs(t, s.Err(), messages.ErrClosed)
			require.Contains(t, s.Err().Error(), "stopped from outside")
			_, err = s.Append(ctx, &messages.Append{Coordinate: coord, Kind: kind})
			require.ErrorIs(t, err, messages.ErrClosed)
			var end *messages.SubscriptionEnded
			require.IsType(t, end, <-got)

			e, err := storage.Open(dir, storage.Options{})
			require.NoError(t, err, "the directory lock is released")
			defer e.Close()
			require.Equal(t, uint64(1), e.Stats().NextSequence)
		})
	}
}
