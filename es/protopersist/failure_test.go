package protopersist_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/batpak-go/batpak/actors/actorstest"
	"github.com/batpak-go/batpak/es/protopersist"
	"github.com/batpak-go/batpak/messages"
)

// guarded returns a root context whose guardian restarts failed actors and
// records each failure's reason.
func guarded(sys *actor.ActorSystem) (*actor.RootContext, func() []error) {
	var mu sync.Mutex
	var reasons []error
	decider := func(reason interface{}) actor.Directive {
		mu.Lock()
		defer mu.Unlock()
		err, _ := reason.(error)
		reasons = append(reasons, err)
		return actor.RestartDirective
	}
	root := actor.NewRootContext(sys, nil).WithGuardian(actor.NewOneForOneStrategy(10, time.Minute, decider))
	return root, func() []error {
		mu.Lock()
		defer mu.Unlock()
		return append([]error(nil), reasons...)
	}
}

// TestConflictingAppendRestartsTheActorFromTheLog: another writer appends
// to the actor's stream behind its back; the actor's next persist fails
// (version conflict), panics with a *PersistError, the actor is restarted,
// and it recovers exactly the log: the intruder's event in, the refused
// one out. Its state never ran ahead of the log.
func TestConflictingAppendRestartsTheActorFromTheLog(t *testing.T) {
	e := startEnv(t, "")
	p := e.provider(t, protopersist.Options{SnapshotInterval: 100})
	root, reasons := guarded(e.sys)
	var starts atomic.Int32
	pid, err := root.SpawnNamed(listProps(p, &starts), "acct")
	require.NoError(t, err)
	addItems(t, root, pid, "a", "b")

	payload, err := proto.Marshal(mustAny(t, wrapperspb.String("intruder")))
	require.NoError(t, err)
	_, err = e.store.Append(context.Background(), &messages.Append{Coordinate: p.Coordinate("acct"),
		Kind: protopersist.DefaultKind, Payload: payload})
	require.NoError(t, err)

	root.Send(pid, &add{item: "refused"}) // its persist fails: no reply
	got := ask(t, root, pid)              // answered by the restarted actor
	require.Equal(t, []string{"a", "b", "intruder"}, got.Items)
	require.Equal(t, int32(2), starts.Load(), "the actor was restarted once")
	rs := reasons()
	require.Len(t, rs, 1)
	var pe *protopersist.PersistError
	require.ErrorAs(t, rs[0], &pe)
	require.Equal(t, "PersistEvent", pe.Op)
	require.Equal(t, 2, pe.Index, "the refused event's index: a and b were 0 and 1")
	require.ErrorIs(t, rs[0], messages.ErrVersionConflict)

	addItems(t, root, pid, "c") // and it goes on at the right index
	require.Equal(t, []string{"a", "b", "intruder", "c"}, storedItems(t, e, p, "acct"))
}

// TestWriterCrashDuringPersistRestartsTheActor: the store's writer crashes
// on the actor's append (nothing of it written); the actor is restarted
// and recovers without the event; the next command works.
func TestWriterCrashDuringPersistRestartsTheActor(t *testing.T) {
	e := startEnv(t, "")
	p := e.provider(t, protopersist.Options{})
	root, reasons := guarded(e.sys)
	pid, err := root.SpawnNamed(listProps(p, nil), "crashy")
	require.NoError(t, err)
	addItems(t, root, pid, "a")
	actorstest.CrashWriterEvery(e.store, 1, 1)
	root.Send(pid, &add{item: "lost"})
	require.Equal(t, []string{"a"}, ask(t, root, pid).Items)
	require.Len(t, reasons(), 1)
	require.ErrorIs(t, reasons()[0], messages.ErrWriterCrashed)
	addItems(t, root, pid, "b")
	require.Equal(t, []string{"a", "b"}, storedItems(t, e, p, "crashy"))
}

// TestBadSnapshotsAreIgnored: a corrupt snapshot file (skipped by the
// snapshot store) and a stale one (its event hash is not the log's) are
// both ignored; recovery replays every event and the state is right.
func TestBadSnapshotsAreIgnored(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, e *env, p *protopersist.Provider)
	}{
		{name: "corrupt file", damage: func(t *testing.T, e *env, _ *protopersist.Provider) {
			files, err := filepath.Glob(filepath.Join(e.dir, "snapshots", "*.snap"))
			require.NoError(t, err)
			require.NotEmpty(t, files)
			for _, f := range files {
				require.NoError(t, os.Truncate(f, 50))
			}
		}},
		{name: "stale snapshot", damage: func(t *testing.T, e *env, p *protopersist.Provider) {
			sn, ok, err := e.snaps.Latest(p.Coordinate("s"), protopersist.DefaultSnapshotType)
			require.NoError(t, err)
			require.True(t, ok)
			sn.Version++ // claims a later event, whose hash differs
			sn.Data, err = proto.Marshal(mustAny(t, wrapperspb.String("wrong type and state")))
			require.NoError(t, err)
			require.NoError(t, e.snaps.Save(sn))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startEnv(t, "")
			p := e.provider(t, protopersist.Options{SnapshotInterval: 2})
			root := e.sys.Root
			props := listProps(p, nil)
			pid, err := root.SpawnNamed(props, "s")
			require.NoError(t, err)
			addItems(t, root, pid, "a", "b", "c", "d", "e")
			stopActor(t, root, pid)
			tc.damage(t, e, p)

			pid, err = root.SpawnNamed(props, "s")
			require.NoError(t, err)
			got := ask(t, root, pid)
			require.Equal(t, []string{"a", "b", "c", "d", "e"}, got.Items)
			require.False(t, got.FromSnapshot)
			require.Equal(t, 5, got.Replayed, "every event replayed")
		})
	}
}

// TestRecoveryAfterAProcessRestart closes everything (actor system, event
// store, snapshot store) and starts again on the same directory: the
// actor recovers the same state from the snapshot on disk. The stored
// events are proto Anys naming their type.
func TestRecoveryAfterAProcessRestart(t *testing.T) {
	e := startEnv(t, "")
	p := e.provider(t, protopersist.Options{SnapshotInterval: 4})
	pid, err := e.sys.Root.SpawnNamed(listProps(p, nil), "proc")
	require.NoError(t, err)
	addItems(t, e.sys.Root, pid, "1", "2", "3", "4", "5", "6")
	stopActor(t, e.sys.Root, pid)
	e.stop() // the first actor system is shut down at the test's end

	e2 := startEnv(t, e.dir)
	p2 := e2.provider(t, protopersist.Options{SnapshotInterval: 4})
	pid, err = e2.sys.Root.SpawnNamed(listProps(p2, nil), "proc")
	require.NoError(t, err)
	got := ask(t, e2.sys.Root, pid)
	require.Equal(t, view{Items: []string{"1", "2", "3", "4", "5", "6"}, Replayed: 2, FromSnapshot: true}, got)

	evs, err := e2.store.Stream(p2.Coordinate("proc"), 1)
	require.NoError(t, err)
	require.Len(t, evs, 6)
	for i, ev := range evs {
		require.Equal(t, uint64(i+1), ev.Version, "index i is version i+1")
		require.Equal(t, protopersist.DefaultKind, ev.Kind)
		var a anypb.Any
		require.NoError(t, proto.Unmarshal(ev.Payload, &a))
		require.Equal(t, "type.googleapis.com/google.protobuf.StringValue", a.TypeUrl)
	}
	require.Equal(t, messages.Coordinate{Entity: "proc", Scope: "protoactor"}, p2.Coordinate("proc"))
}

// TestForeignAndUnknownEventsStopRecovery: an event of another kind in
// the actor's stream, or one whose proto type is not linked in, makes
// GetEvents panic with a typed *PersistError rather than replay a wrong
// state.
func TestForeignAndUnknownEventsStopRecovery(t *testing.T) {
	e := startEnv(t, "")
	p := e.provider(t, protopersist.Options{})
	c := p.Coordinate("mixed")
	unknown, err := proto.Marshal(&anypb.Any{TypeUrl: "type.googleapis.com/no.such.Type", Value: []byte{}})
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		kind messages.EventKind
		body []byte
		want error
	}{
		{name: "foreign kind", kind: messages.MustKind(1, 1), body: []byte("x"), want: protopersist.ErrForeignEvent},
		{name: "unknown type", kind: protopersist.DefaultKind, body: unknown, want: protopersist.ErrUnknownType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := e.store.Append(context.Background(), &messages.Append{Coordinate: c, Kind: tc.kind, Payload: tc.body})
			require.NoError(t, err)
			var got any
			func() {
				defer func() { got = recover() }()
				p.GetEvents("mixed", int(r.Version)-1, 0, func(any) {})
			}()
			err, _ = got.(error)
			require.ErrorIs(t, err, tc.want)
			var pe *protopersist.PersistError
			require.True(t, errors.As(err, &pe))
			require.Equal(t, "GetEvents", pe.Op)
		})
	}
}

func mustAny(t *testing.T, m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	require.NoError(t, err)
	return a
}

// storedItems decodes the actor's stream as the provider replays it.
func storedItems(t *testing.T, e *env, p *protopersist.Provider, name string) []string {
	var items []string
	p.GetEvents(name, 0, 0, func(ev any) { items = append(items, ev.(*wrapperspb.StringValue).Value) })
	return items
}
