package protopersist_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/persistence"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/protopersist"
	"github.com/batpak-go/batpak/es/snapshot"
)

// listActor is an ordinary protoactor event-sourced actor: its state is a
// list of strings; each add persists a *wrapperspb.StringValue event
// before applying it; its snapshot is a *structpb.ListValue. Nothing in it
// knows which provider it runs on.
type listActor struct {
	persistence.Mixin
	items        []string
	replayed     int  // events replayed during recovery
	fromSnapshot bool // recovery started from a snapshot
	starts       *atomic.Int32
}

// add asks the actor to add an item; it answers with the list's length.
type add struct{ item string }

// query asks the actor for its view.
type query struct{}

// view is what the actor answers to a query.
type view struct {
	Items        []string
	Replayed     int
	FromSnapshot bool
}

func (a *listActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		if a.starts != nil {
			a.starts.Add(1)
		}
	case *persistence.RequestSnapshot:
		vals := make([]*structpb.Value, len(a.items))
		for i, it := range a.items {
			vals[i] = structpb.NewStringValue(it)
		}
		a.PersistSnapshot(&structpb.ListValue{Values: vals})
	case *structpb.ListValue: // a snapshot offered at recovery
		a.items = a.items[:0]
		for _, v := range m.Values {
			a.items = append(a.items, v.GetStringValue())
		}
		a.fromSnapshot = true
	case *wrapperspb.StringValue: // an event replayed at recovery
		a.items = append(a.items, m.Value)
		a.replayed++
	case *add:
		// The Mixin delivers *persistence.RequestSnapshot through the
		// context inside PersistReceive, which clears the context's
		// current message: take the sender first.
		sender := ctx.Sender()
		a.PersistReceive(wrapperspb.String(m.item)) // persist, then apply
		a.items = append(a.items, m.item)
		ctx.Send(sender, len(a.items))
	case *query:
		ctx.Respond(view{Items: append([]string(nil), a.items...), Replayed: a.replayed, FromSnapshot: a.fromSnapshot})
	}
}

func listProps(p persistence.Provider, starts *atomic.Int32) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor { return &listActor{starts: starts} },
		actor.WithReceiverMiddleware(persistence.Using(p)))
}

// inMemory makes protoactor's in-memory provider a Provider.
type inMemory struct{ *persistence.InMemoryProvider }

func (m inMemory) GetState() persistence.ProviderState { return m.InMemoryProvider }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newSystem(t *testing.T) *actor.ActorSystem {
	sys := actor.NewActorSystem(actors.SystemLogger(quiet))
	t.Cleanup(sys.Shutdown)
	return sys
}

// env is a running batpak store with its snapshot store.
type env struct {
	dir   string
	sys   *actor.ActorSystem
	store *actors.Store
	snaps *snapshot.Store
}

// startEnv spawns a store on dir (a fresh one if dir is "") with its
// snapshot store in dir/snapshots.
func startEnv(t *testing.T, dir string) *env {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	sys := newSystem(t)
	store, err := actors.Spawn(sys, actors.Config{Dir: dir, Logger: quiet})
	require.NoError(t, err)
	snaps, err := snapshot.Open(filepath.Join(dir, "snapshots"), snapshot.Options{Logger: quiet})
	require.NoError(t, err)
	e := &env{dir: dir, sys: sys, store: store, snaps: snaps}
	t.Cleanup(e.stop)
	return e
}

func (e *env) stop() {
	e.snaps.Close()
	e.store.Close(context.Background())
}

func (e *env) provider(t *testing.T, opts protopersist.Options) *protopersist.Provider {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	p, err := protopersist.New(e.store, e.snaps, opts)
	require.NoError(t, err)
	return p
}

func addItems(t *testing.T, root *actor.RootContext, pid *actor.PID, items ...string) {
	t.Helper()
	for _, it := range items {
		_, err := root.RequestFuture(pid, &add{item: it}, 5*time.Second).Result()
		require.NoError(t, err)
	}
}

func ask(t *testing.T, root *actor.RootContext, pid *actor.PID) view {
	t.Helper()
	res, err := root.RequestFuture(pid, &query{}, 5*time.Second).Result()
	require.NoError(t, err)
	return res.(view)
}

func stopActor(t *testing.T, root *actor.RootContext, pid *actor.PID) {
	t.Helper()
	require.NoError(t, root.PoisonFuture(pid).Wait())
}
