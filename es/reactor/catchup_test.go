package reactor_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batpak-go/batpak/es/reactor"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/stretchr/testify/require"
)

// A reactor catching up on a long log (100,000 events, 200 of them
// orders) moves on in steps, its position visible in between, while new
// orders arrive live and one reaction fails once: every order gets
// exactly one reservation, caused by it, in the orders' order.
func TestCatchUpInStepsWithLiveTriggers(t *testing.T) {
	const events, every, live = 100_000, 500, 50
	dir := t.TempDir()
	e, err := storage.Open(dir, storage.Options{SyncMode: storage.SyncNone})
	require.NoError(t, err)
	filler := messages.MustKind(1, 9)
	for i := 0; i < events; {
		b := &messages.AppendBatch{}
		for j := 0; j < 1000 && i < events; j, i = j+1, i+1 {
			it := messages.BatchItem{Kind: filler, Coordinate: messages.Coordinate{Entity: fmt.Sprintf("other/%d", i%10), Scope: "shop"}}
			if i%every == 0 {
				it.Kind, it.Coordinate.Entity = placed, fmt.Sprintf("order/%d", i/every)
			}
			b.Items = append(b.Items, it)
		}
		_, err := e.AppendBatch(b)
		require.NoError(t, err)
		require.NoError(t, e.Commit())
	}
	require.NoError(t, e.Close())
	s := openStore(t, dir)
	const logged = events / every

	var failed atomic.Bool
	r, err := reactor.Spawn(s, reactor.Config{Name: "stock", Dir: t.TempDir(), Every: 20, Logger: quietLogger(),
		Filter: orderTriggers,
		React: func(ev messages.Event) ([]reactor.Reaction, error) {
			n := strings.TrimPrefix(ev.Coordinate.Entity, "order/")
			if n == "100" && !failed.Swap(true) {
				return nil, fmt.Errorf("once")
			}
			return []reactor.Reaction{{Name: "reserve", Kind: reserved, Payload: []byte(n),
				Coordinate: messages.Coordinate{Entity: "stock/" + n, Scope: "shop"}}}, nil
		}})
	require.NoError(t, err)
	t.Cleanup(func() { r.Stop(tctx(t)) })

	appended := make(chan struct{})
	go func() {
		defer close(appended)
		placeOrders(t, s, logged, live)
	}()
	var midway bool // a position in the first half of the triggers before the failing one
	require.Eventually(t, func() bool {
		if p := r.Position(); p > 0 && p < 50*every {
			midway = true
		}
		select {
		case <-appended:
		default:
			return false
		}
		return r.Stats().Triggers == logged+live
	}, time.Minute, time.Millisecond)
	require.True(t, midway, "the position moved during the catch-up")
	st := r.Stats()
	require.Equal(t, reactor.Stats{Triggers: logged + live, Written: logged + live, Failures: 1, Checkpoints: st.Checkpoints}, st)
	require.GreaterOrEqual(t, st.Checkpoints, int64((logged+live)/20))

	orders, err := s.Query(orderTriggers)
	require.NoError(t, err)
	resv, err := s.Query(stockTriggers)
	require.NoError(t, err)
	require.Len(t, orders, logged+live)
	require.Len(t, resv, logged+live, "one reservation per order")
	for i, o := range orders {
		require.Equal(t, strings.TrimPrefix(o.Coordinate.Entity, "order/"), string(resv[i].Payload), "in the orders' order")
		require.Equal(t, o.ID, resv[i].CausationID)
	}
}
