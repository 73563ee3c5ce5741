package typed_test

import (
	"context"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/typed"
	"github.com/batpak-go/batpak/messages"
)

func spawnStore(t testing.TB) *actors.Store {
	t.Helper()
	sys := actor.NewActorSystem(actors.SystemLogger(actors.DefaultLogger()))
	t.Cleanup(sys.Shutdown)
	s, err := actors.Spawn(sys, actors.Config{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// TestAppendThroughTheStore: typed.Append's request, sent with
// Store.Append, stores the value under its kind with the options' fields;
// typed.Item's, in a batch, likewise; both read back with DecodeAs.
func TestAppendThroughTheStore(t *testing.T) {
	s := spawnStore(t)
	r := v3Registry(t)
	ctx := context.Background()
	key, corr := messages.NewID(), messages.NewID()
	a, err := typed.Append(r, fixtureCoord, OpenedV1{Owner: "ann"}, typed.Expect(messages.NoStream()),
		typed.Key(key), typed.Correlation(corr))
	require.NoError(t, err)
	rc, err := s.Append(ctx, a)
	require.NoError(t, err)
	require.Equal(t, messages.IDFromKey(key), rc.EventID)

	d := DepositedV3{Cents: 300, By: Person{Name: "ann"}, Currency: "EUR"}
	i0, err := typed.Item(r, fixtureCoord, d)
	require.NoError(t, err)
	i1, err := typed.Item(r, fixtureCoord, &d, typed.CausedByItem(0))
	require.NoError(t, err)
	rs, err := s.AppendBatch(ctx, &messages.AppendBatch{Items: messages.BatchItems{i0, i1}})
	require.NoError(t, err)
	require.Len(t, rs, 2)

	evs, err := s.Stream(fixtureCoord, 1)
	require.NoError(t, err)
	require.Len(t, evs, 3)
	require.Equal(t, corr, evs[0].CorrelationID)
	o, err := typed.DecodeAs[OpenedV1](r, evs[0])
	require.NoError(t, err)
	require.Equal(t, "ann", o.Owner)
	for _, ev := range evs[1:] {
		got, err := typed.DecodeAs[DepositedV3](r, ev)
		require.NoError(t, err)
		require.Equal(t, d, got)
	}
	require.Equal(t, evs[1].ID, evs[2].CausationID)

	// A conflicting expected version is the store's typed error.
	a, err = typed.Append(r, fixtureCoord, OpenedV1{Owner: "bob"}, typed.Expect(messages.NoStream()))
	require.NoError(t, err)
	_, err = s.Append(ctx, a)
	require.ErrorIs(t, err, messages.ErrVersionConflict)
}

// TestAppendRefusesBadInput: an unregistered value and a batch-item
// causation on an Append are refused before anything is sent.
func TestAppendRefusesBadInput(t *testing.T) {
	r := v3Registry(t)
	_, err := typed.Append(r, fixtureCoord, DepositedV1{})
	require.ErrorIs(t, err, typed.ErrUnregistered)
	_, err = typed.Item(r, fixtureCoord, "a string")
	require.ErrorIs(t, err, typed.ErrUnregistered)
	_, err = typed.Append(r, fixtureCoord, OpenedV1{}, typed.CausedByItem(0))
	require.ErrorIs(t, err, typed.ErrInvalid)
	id := messages.NewID()
	a, err := typed.Append(r, fixtureCoord, OpenedV1{}, typed.CausedBy(id))
	require.NoError(t, err)
	require.Equal(t, id, a.CausationID)
}

// opener is an application actor that appends a typed value with
// ctx.Request to the store's writer.
type opener struct {
	r     *typed.Registry
	store *actors.Store
	out   chan<- *messages.AppendReply
}

func (o *opener) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a, err := typed.Append(o.r, fixtureCoord, OpenedV1{Owner: "actor"})
		if err != nil {
			o.out <- &messages.AppendReply{Failure: messages.ToError(err)}
			return
		}
		ctx.Request(o.store.Writer(), a)
	case *messages.AppendReply:
		o.out <- m
	}
}

// TestAppendFromAnActor: the request typed.Append builds goes to the
// writer from an actor and is stored as the typed value.
func TestAppendFromAnActor(t *testing.T) {
	s := spawnStore(t)
	r := v3Registry(t)
	out := make(chan *messages.AppendReply, 1)
	s.System().Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return &opener{r: r, store: s, out: out} }))
	var rep *messages.AppendReply
	select {
	case rep = <-out:
	case <-time.After(10 * time.Second):
		t.Fatal("no reply")
	}
	require.NoError(t, rep.Err())
	ev, err := s.Get(rep.Receipt.EventID)
	require.NoError(t, err)
	got, err := typed.Decode(r, ev)
	require.NoError(t, err)
	require.Equal(t, OpenedV1{Owner: "actor"}, got)
}
