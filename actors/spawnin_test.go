package actors_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/actors/actorstest"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/stretchr/testify/require"
)

var kind = messages.MustKind(1, 1)

// owner is a user's actor that owns a store as its child: it spawns it on
// Started and hands it over.
type owner struct {
	cfg    actors.Config
	stores chan<- *actors.Store
	errs   chan<- error
}

func (o *owner) Receive(c actor.Context) {
	if p, ok := c.Message().(ownerPanic); ok {
		panic(string(p))
	}
	if _, ok := c.Message().(*actor.Started); ok {
		s, err := actors.SpawnIn(c, o.cfg)
		if err != nil {
			o.errs <- err
			return
		}
		o.stores <- s
	}
}

// ownerPanic makes the owner panic.
type ownerPanic string

// countingStrategy is the user's own supervisor strategy: it counts the
// failures it is asked to judge, and restarts.
type countingStrategy struct{ failures atomic.Int64 }

func (s *countingStrategy) HandleFailure(sys *actor.ActorSystem, sup actor.Supervisor, child *actor.PID,
	rs *actor.RestartStatistics, reason, message any) {
	s.failures.Add(1)
	sup.RestartChildren(child)
}

// spawnOwned starts a user's supervisor actor whose child owns a store.
func spawnOwned(t *testing.T, sys *actor.ActorSystem, cfg actors.Config) (*actor.PID, *actors.Store, *countingStrategy) {
	t.Helper()
	pid, stores, errs, strategy := spawnOwner(t, sys, cfg)
	return pid, nextStore(t, stores, errs), strategy
}

// nextStore waits for the store an owner spawned.
func nextStore(t *testing.T, stores <-chan *actors.Store, errs <-chan error) *actors.Store {
	t.Helper()
	select {
	case s := <-stores:
		return s
	case err := <-errs:
		t.Fatalf("SpawnIn: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("SpawnIn did not return")
	}
	return nil
}

// spawnOwner starts an owner under a counting strategy.
func spawnOwner(t *testing.T, sys *actor.ActorSystem, cfg actors.Config) (*actor.PID, chan *actors.Store, chan error, *countingStrategy) {
	t.Helper()
	stores, errs := make(chan *actors.Store, 1), make(chan error, 1)
	strategy := &countingStrategy{}
	props := actor.PropsFromProducer(func() actor.Actor { return &owner{cfg: cfg, stores: stores, errs: errs} },
		actor.WithSupervisor(strategy))
	pid, err := sys.Root.SpawnNamed(props, "app")
	require.NoError(t, err)
	return pid, stores, errs, strategy
}

// When the actor that owns the store is restarted (it panicked), protoactor stops its children first: the store closes, and
// the new instance spawns it again on the same directory, with every event.
func TestOwnerRestartReopensTheStore(t *testing.T) {
	sys := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
	defer sys.Shutdown()
	dir := t.TempDir()
	appPID, stores, errs, strategy := spawnOwner(t, sys, actors.Config{Dir: dir})
	first := nextStore(t, stores, errs)
	ctx := context.Background()
	coord := messages.Coordinate{Entity: "order-1", Scope: "shop"}
	_, err := first.Append(ctx, &messages.Append{Coordinate: coord, Kind: kind})
	require.NoError(t, err)

	sys.Root.Send(appPID, ownerPanic("the application's bug"))
	second := nextStore(t, stores, errs)
	defer second.Close(ctx)
	require.Zero(t, strategy.failures.Load(), "the store's actors never escalated to the owner's strategy")
	<-first.Done()
	require.ErrorIs(t, first.Err(), messages.ErrClosed)
	r, err := second.Append(ctx, &messages.Append{Coordinate: coord, Kind: kind, Expected: messages.Exactly(1)})
	require.NoError(t, err)
	require.Equal(t, uint64(1), r.Sequence)
}

// A user's actor owns the store as a child: the store's actors sit under
// it, the store's own policy (not the user's strategy) restarts a crashed
// writer, and the store works as one spawned at the root.
func TestSpawnInUnderAUsersSupervisor(t *testing.T) {
	sys := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
	defer sys.Shutdown()
	dir := t.TempDir()
	app, s, strategy := spawnOwned(t, sys, actors.Config{Dir: dir})
	defer s.Close(context.Background())

	require.Equal(t, app.Id+"/batpak", s.Supervisor().Id, "the supervisor is the user's actor's child")
	require.Equal(t, app.Id+"/batpak/writer", s.Writer().Id)
	require.Equal(t, app.Id+"/batpak/reader", s.Reader().Id)

	ctx := context.Background()
	coord := messages.Coordinate{Entity: "order-1", Scope: "shop"}
	r, err := s.Append(ctx, &messages.Append{Coordinate: coord, Kind: kind, Payload: []byte("a")})
	require.NoError(t, err)
	require.Equal(t, uint64(0), r.Sequence, "sequences start at 0")

	actorstest.CrashWriter(s, "boom")
	_, err = s.Append(ctx, &messages.Append{Coordinate: coord, Kind: kind, Payload: []byte("b")})
	require.NoError(t, err, "the store's Once policy restarted the writer")
	require.Equal(t, 1, s.Restarts())
	require.Zero(t, strategy.failures.Load(), "the user's strategy never judges a writer crash")

	res, err := sys.Root.RequestFuture(s.Reader(), &messages.ReadStream{Coordinate: coord}, 10*time.Second).Result()
	require.NoError(t, err)
	require.Len(t, res.(*messages.ReadReply).Events, 2)
}

// subscriberProbe forwards what a subscriber receives.
type subscriberProbe struct{ got chan<- any }

func (p *subscriberProbe) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *messages.Subscribed, *messages.SubscriptionEnded:
		p.got <- m
	}
}

// When the user's actor stops, the store it owns closes as Close would:
// what the writer held is committed and the segment sealed (the next Open
// scans nothing), requests queued in the writer's mailbox are answered
// ErrClosed (none is left unanswered), later calls get ErrClosed,
// subscribers get SubscriptionEnded, Done is closed, and the directory can
// be opened again.
func TestStoreClosesWithItsParent(t *testing.T) {
	sys := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
	defer sys.Shutdown()
	dir := t.TempDir()
	app, s, _ := spawnOwned(t, sys, actors.Config{Dir: dir})
	ctx := context.Background()
	coord := messages.Coordinate{Entity: "order-1", Scope: "shop"}
	_, err := s.Append(ctx, &messages.Append{Coordinate: coord, Kind: kind})
	require.NoError(t, err)

	got := make(chan any, 4)
	_, _, err = s.Subscribe(actor.PropsFromProducer(func() actor.Actor { return &subscriberProbe{got: got} }),
		storage.Filter{}, 0)
	require.NoError(t, err)
	require.IsType(t, &messages.Subscribed{}, <-got)

	release := actorstest.HoldWriter(s)
	var futures []*actor.Future
	for range 5 {
		futures = append(futures, sys.Root.RequestFuture(s.Writer(),
			&messages.Append{Coordinate: coord, Kind: kind}, 30*time.Second))
	}
	stopped := sys.Root.StopFuture(app)
	release()
	require.NoError(t, stopped.Wait())

	select {
	case <-s.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("Done was not closed")
	}
	require.ErrorIs(t, s.Err(), messages.ErrClosed)
	committed := 1
	for _, f := range futures {
		res, err := f.Result()
		require.NoError(t, err, "every queued request is answered")
		r := res.(*messages.AppendReply)
		if r.Err() == nil {
			committed++
			continue
		}
		require.ErrorIs(t, r.Err(), messages.ErrClosed)
	}
	_, err = s.Append(ctx, &messages.Append{Coordinate: coord, Kind: kind})
	require.ErrorIs(t, err, messages.ErrClosed)
	var end *messages.SubscriptionEnded
	require.IsType(t, end, <-got)

	e, err := storage.Open(dir, storage.Options{})
	require.NoError(t, err, "the directory lock is released")
	defer e.Close()
	require.Zero(t, e.Stats().Recovery.ScannedSegments, "closed cleanly: sealed, nothing to scan")
	require.Equal(t, uint64(committed), e.Stats().NextSequence, "every answered receipt is there")
	require.True(t, errors.Is(s.Close(ctx), messages.ErrClosed), "Close after the parent stopped says it is closed")
	_, err = s.Stats()
	require.ErrorIs(t, err, messages.ErrClosed, "no stale statistics from a closed store")
}

// SpawnIn without a parent is a typed error, not a panic.
func TestSpawnInNeedsAParent(t *testing.T) {
	_, err := actors.SpawnIn(nil, actors.Config{Dir: t.TempDir()})
	require.ErrorIs(t, err, messages.ErrInvalidArgument)
}
