package protopersist_test

import (
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/persistence"
	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/es/protopersist"
)

// TestRecoveryScenarioMatchesInMemoryProvider runs protoactor's recovery
// scenario (an actor persists events and snapshots, is stopped, respawned
// under the same name, and recovers) against protoactor's own in-memory
// provider and against ours: both recover exactly the same state, from
// the same snapshot (the same number of events replayed).
func TestRecoveryScenarioMatchesInMemoryProvider(t *testing.T) {
	const interval = 3 // the Mixin requests snapshots at indexes 0, 3, 6, 9...
	providers := []struct {
		name string
		make func(t *testing.T) persistence.Provider
	}{
		{name: "protoactor in-memory", make: func(t *testing.T) persistence.Provider {
			return inMemory{persistence.NewInMemoryProvider(interval)}
		}},
		{name: "batpak", make: func(t *testing.T) persistence.Provider {
			return startEnv(t, "").provider(t, protopersist.Options{SnapshotInterval: interval})
		}},
	}
	type step struct {
		add  []string // items added before the actor is stopped
		want view     // what the respawned actor reports
	}
	steps := []step{
		// 7 events (indexes 0..6): the newest snapshot is at index 6
		// (state a..f), so only g is replayed.
		{add: []string{"a", "b", "c", "d", "e", "f", "g"}, want: view{Items: []string{"a", "b", "c", "d", "e", "f", "g"}, Replayed: 1, FromSnapshot: true}},
		// 2 more (indexes 7, 8): still the snapshot at 6; g, h, i replayed.
		{add: []string{"h", "i"}, want: view{Items: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"}, Replayed: 3, FromSnapshot: true}},
		// nothing added: the same again.
		{want: view{Items: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"}, Replayed: 3, FromSnapshot: true}},
		// index 9 takes a snapshot (a..i): only j is replayed.
		{add: []string{"j"}, want: view{Items: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}, Replayed: 1, FromSnapshot: true}},
	}
	for _, pc := range providers {
		t.Run(pc.name, func(t *testing.T) {
			sys := newSystem(t)
			root := sys.Root
			props := listProps(pc.make(t), nil)
			pid, err := root.SpawnNamed(props, "demo.actor")
			require.NoError(t, err)
			require.Empty(t, ask(t, root, pid).Items, "a new actor starts empty")
			for i, st := range steps {
				addItems(t, root, pid, st.add...)
				before := ask(t, root, pid)
				require.Equal(t, st.want.Items, before.Items, "step %d before the stop", i)
				stopActor(t, root, pid)

				pid, err = root.SpawnNamed(props, "demo.actor")
				require.NoError(t, err)
				require.Equal(t, st.want, ask(t, root, pid), "step %d after the respawn", i)
			}
			stopActor(t, root, pid)
		})
	}
}

// TestFewEventsRecoverWithoutAStoredSnapshot: the Mixin's snapshot at
// index 0 (the state before any event) is not stored; recovery replays
// every event and gets the same state protoactor's provider gives.
func TestFewEventsRecoverWithoutAStoredSnapshot(t *testing.T) {
	e := startEnv(t, "")
	p := e.provider(t, protopersist.Options{SnapshotInterval: 5})
	mem := inMemory{persistence.NewInMemoryProvider(5)}
	for _, prov := range []persistence.Provider{p, mem} {
		root := e.sys.Root
		props := listProps(prov, nil)
		pid, err := root.SpawnNamed(props, "few")
		require.NoError(t, err)
		addItems(t, root, pid, "x", "y")
		stopActor(t, root, pid)
		pid, err = root.SpawnNamed(props, "few")
		require.NoError(t, err)
		got := ask(t, root, pid)
		require.Equal(t, []string{"x", "y"}, got.Items)
		require.Equal(t, 2, got.Replayed)
		stopActor(t, root, pid)
	}
	require.Zero(t, e.snaps.Stats().Files)
}

var _ actor.Actor = (*listActor)(nil)
