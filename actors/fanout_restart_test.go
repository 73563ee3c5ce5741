package actors

import (
	"fmt"
	"testing"

	"github.com/batpak-go/batpak/internal/faults"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/supervision"
	"github.com/stretchr/testify/require"
)

// spanFanoutRestart is SpanFanoutRestart, spelled out so that this test
// also builds (and fails) on a fanout without one.
const spanFanoutRestart = "batpak.fanout.restart"

// fanoutRig is a store under Once with two followers: every event, and
// order/ only.
type fanoutRig struct {
	f           *fixture
	all, orders *followerRig
	wantAll     []uint64
	wantOrders  []uint64
}

func newFanoutRig(t *testing.T) *fanoutRig {
	f := spawn(t, Config{Policy: supervision.Once()})
	return &fanoutRig{f: f,
		all:    follow(t, f.store, storage.Filter{}, 0, nil),
		orders: follow(t, f.store, storage.Filter{EntityPrefix: "order/"}, 0, nil)}
}

// append appends n events one by one (one commit group each), alternately
// to order/ and user/ entities.
func (r *fanoutRig) append(t *testing.T, n int) {
	for i := 0; i < n; i++ {
		entity := fmt.Sprintf("order/%d", i)
		if i%2 == 1 {
			entity = fmt.Sprintf("user/%d", i)
		}
		rc, err := r.f.store.Append(ctx(t), &messages.Append{Coordinate: coord(entity), Kind: kind})
		require.NoError(t, err, "the writer still takes appends")
		r.wantAll = append(r.wantAll, rc.Sequence)
		if i%2 == 0 {
			r.wantOrders = append(r.wantOrders, rc.Sequence)
		}
	}
}

// check waits for every event on both followers and checks that they came
// exactly once, in order, and that nothing else did: a last order/ event
// arrives next on both (it is committed after the fanout's restarts, so
// the gaps they signalled have been handled when it arrives).
func (r *fanoutRig) check(t *testing.T) {
	r.append(t, 1)
	require.Equal(t, r.wantAll, seqs(r.all.take(t, len(r.wantAll))), "every event once, in order")
	require.Equal(t, r.wantOrders, seqs(r.orders.take(t, len(r.wantOrders))), "every order/ event once, in order")
	require.Zero(t, r.f.store.Restarts(), "a fanout failure is not a writer restart")
	require.Nil(t, r.f.store.sh.stopped.Load(), "nor does it stop the writer")
	require.Empty(t, spansNamed(r.f.recorder, supervision.SpanRestart))
	require.Empty(t, spansNamed(r.f.recorder, supervision.SpanStopped))
}

// The fanout panics halfway through delivering a commit group, twice,
// under a policy that allows the writer one restart: the writer is neither
// restarted nor stopped, the fanout keeps its subscriptions, and each
// subscriber gets a Gap per failure and, through its Cursor, every event
// exactly once, in order, including the groups being delivered when the
// fanout failed.
func TestFanoutPanicMidGroupKeepsSubscriptions(t *testing.T) {
	r := newFanoutRig(t)
	r.append(t, 4)
	r.f.sys.Root.Send(r.f.store.Fanout(), &faults.PanicEvery{N: 3, Times: 2})
	r.append(t, 12)
	r.check(t)
	require.Len(t, spansNamed(r.f.recorder, spanFanoutRestart), 2)
	require.Equal(t, 2, r.all.cursor.Gaps, "one gap per fanout failure")
	require.Equal(t, 2, r.orders.cursor.Gaps)
	require.Positive(t, r.all.cursor.CaughtUp+r.orders.cursor.CaughtUp,
		"the group a failure cut short came from the log")
}

// A fanout that panics on a message of its own (between groups) is
// restarted at once, however often, and loses nothing.
func TestFanoutPanicBetweenGroups(t *testing.T) {
	r := newFanoutRig(t)
	r.append(t, 3)
	for i := 0; i < 3; i++ {
		r.f.sys.Root.Send(r.f.store.Fanout(), &faults.Panic{Reason: fmt.Sprintf("fanout bug %d", i)})
		r.append(t, 3)
	}
	r.check(t)
	require.Len(t, spansNamed(r.f.recorder, spanFanoutRestart), 3)
}
