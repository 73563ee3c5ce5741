package actors

import (
	"fmt"
	"sync"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/stretchr/testify/require"
)

// pingFanout waits until the fanout has handled what was sent to it before.
func pingFanout(t *testing.T, f *fixture) {
	t.Helper()
	_, err := f.sys.Root.RequestFuture(f.store.Fanout(), "ping", 5e9).Result()
	require.NoError(t, err)
}

// fanoutAt returns the fanout's position: the sequence after the last group
// it was handed (nothing may be sent to it meanwhile).
func fanoutAt(t *testing.T, f *fixture) uint64 {
	t.Helper()
	pingFanout(t, f)
	return f.store.sh.fan.at
}

// appendConcurrently appends n events from each of k goroutines (so that
// groups hold several requests) and waits for them.
func appendConcurrently(t *testing.T, s *Store, k, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, k)
	for g := 0; g < k; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				if _, err := s.Append(ctx(t), &messages.Append{Coordinate: coord(fmt.Sprintf("c/%d", g)), Kind: kind}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// Without subscribers, no committed group is handed to the fanout; with
// one, every group is.
func TestNothingHandedOnWithoutSubscribers(t *testing.T) {
	f := spawn(t, Config{})
	appendConcurrently(t, f.store, 8, 20)
	require.Zero(t, fanoutAt(t, f), "the fanout was handed nothing")

	all := follow(t, f.store, storage.Filter{}, 0, nil)
	appendConcurrently(t, f.store, 8, 5)
	evs := all.take(t, 40)
	require.Equal(t, evs[len(evs)-1].Sequence+1, fanoutAt(t, f))
}

// A subscriber that registers while groups land (the writer decides per
// group whether to hand it on, by the number of subscribers) gets every
// event from its first sequence on, in order, without a hole. Each round
// registers one subscriber while nobody else subscribes, takes a few
// events, and unsubscribes it, while appends go on.
func TestSubscriberJoiningWhileGroupsLandMissesNothing(t *testing.T) {
	f := spawn(t, Config{})
	quit := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-quit:
					return
				default:
				}
				if _, err := f.store.Append(ctx(t), &messages.Append{Coordinate: coord(fmt.Sprintf("c/%d", g)), Kind: kind}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	defer func() { close(quit); wg.Wait() }()
	for round := 0; round < 50; round++ {
		r := &followerRig{out: make(chan messages.Event, 100_000), ended: make(chan *messages.SubscriptionEnded, 1),
			cursor: f.store.NewCursor(storage.Filter{})}
		pid, from, err := f.store.Subscribe(actor.PropsFromProducer(func() actor.Actor {
			return &follower{cursor: r.cursor, out: r.out, ended: r.ended}
		}), storage.Filter{}, 0)
		require.NoError(t, err)
		for j, ev := range r.take(t, 3) {
			require.Equal(t, from+uint64(j), ev.Sequence, "round %d: in order from its first sequence, no hole", round)
		}
		f.store.Unsubscribe(pid)
		pingFanout(t, f) // the unsubscribe is done: nobody subscribes
		require.Zero(t, f.store.sh.subscribers.Load())
	}
}
