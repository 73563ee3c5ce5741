package actorstest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/actors/actorstest"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
)

var kind = messages.MustKind(1, 1)

func spawn(t *testing.T, cfg actors.Config) *actors.Store {
	t.Helper()
	sys := actor.NewActorSystem()
	cfg.Dir = t.TempDir()
	s, err := actors.Spawn(sys, cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		s.Close(context.Background())
		sys.Shutdown()
	})
	return s
}

// A held writer queues requests; crashing it then answers them
// ErrWriterCrashed (nothing written), and the restarted writer takes the
// next append.
func TestHoldAndCrashTheWriter(t *testing.T) {
	s := spawn(t, actors.Config{Policy: supervision.Bounded(3, time.Minute)})
	release := actorstest.HoldWriter(s)
	order := messages.Coordinate{Entity: "order/1", Scope: "shop"}
	fut := s.System().Root.RequestFuture(s.Writer(), &messages.Append{Coordinate: order, Kind: kind}, 10*time.Second)
	actorstest.CrashWriter(s, "test: injected")
	release()
	res, err := fut.Result()
	require.NoError(t, err)
	require.ErrorIs(t, res.(*messages.AppendReply).Err(), messages.ErrWriterCrashed)
	require.Eventually(t, func() bool { return s.Restarts() == 1 }, 10*time.Second, time.Millisecond)
	r, err := s.Append(context.Background(), &messages.Append{Coordinate: order, Kind: kind})
	require.NoError(t, err)
	require.Equal(t, uint64(1), r.Version, "the crashed append was not written")
}

// Crashing the writer every n-th append spends a Bounded budget: the
// writer stops and answers ErrWriterStopped.
func TestCrashWriterEverySpendsTheBudget(t *testing.T) {
	s := spawn(t, actors.Config{Policy: supervision.Bounded(2, time.Minute)})
	actorstest.CrashWriterEvery(s, 1, 3)
	order := messages.Coordinate{Entity: "order/2", Scope: "shop"}
	require.Eventually(t, func() bool {
		_, err := s.Append(context.Background(), &messages.Append{Coordinate: order, Kind: kind})
		return errors.Is(err, messages.ErrWriterStopped)
	}, 20*time.Second, time.Millisecond)
}

// A crashed fanout is restarted at once and tells its subscribers of a gap.
func TestCrashFanoutSendsAGap(t *testing.T) {
	s := spawn(t, actors.Config{})
	got := make(chan any, 16)
	_, _, err := s.Subscribe(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *messages.Gap, *messages.Notification:
			got <- m
		}
	}), storage.Filter{}, 0)
	require.NoError(t, err)
	actorstest.CrashFanout(s, "test: injected")
	_, err = s.Append(context.Background(), &messages.Append{Coordinate: messages.Coordinate{Entity: "order/3", Scope: "shop"}, Kind: kind})
	require.NoError(t, err)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m := <-got:
			if _, ok := m.(*messages.Gap); ok {
				return
			}
		case <-deadline:
			t.Fatal("no gap after the fanout's crash")
		}
	}
}

// A request sent after CrashWriter is handled by the restarted writer, and
// by the time it is answered the restart is counted: no polling needed.
func TestCrashWriterThenARequestSeesTheRestart(t *testing.T) {
	s := spawn(t, actors.Config{})
	actorstest.CrashWriter(s, "test: injected")
	require.NoError(t, s.Sync(context.Background()))
	require.Equal(t, 1, s.Restarts())
}
