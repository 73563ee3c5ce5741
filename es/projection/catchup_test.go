package projection_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/es/projection"
	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/stretchr/testify/require"
)

// catchUpEvents is the size of the catch-up tests' store: long enough that
// a catch-up from 0 takes many steps.
const catchUpEvents = 200_000

// fillDeposits writes n events with the engine (deposits to acct/0..4,
// every 7th a note the deposits filter skips) and returns the store opened
// on them.
func fillDeposits(t *testing.T, n int) *actors.Store {
	t.Helper()
	dir := t.TempDir()
	e, err := storage.Open(dir, storage.Options{SyncMode: storage.SyncNone})
	require.NoError(t, err)
	for i := 0; i < n; {
		b := &messages.AppendBatch{}
		for j := 0; j < 1000 && i < n; j, i = j+1, i+1 {
			kind := deposited
			if i%7 == 3 {
				kind = noted
			}
			b.Items = append(b.Items, messages.BatchItem{Kind: kind, Payload: []byte(strconv.Itoa(i)),
				Coordinate: messages.Coordinate{Entity: fmt.Sprintf("acct/%d", i%5), Scope: "bank"}})
		}
		_, err := e.AppendBatch(b)
		require.NoError(t, err)
		require.NoError(t, e.Commit())
	}
	require.NoError(t, e.Close())
	return openStore(t, dir)
}

// foldBefore is what a fold of the deposits before next gives.
func foldBefore(t *testing.T, s *actors.Store, next uint64) tally {
	t.Helper()
	f := deposits
	f.BeforeSeq = next
	st, _, err := projection.Fold(tctx(t), s, f, newTally(), applyTally)
	require.NoError(t, err)
	return st
}

// A projection catching up on a long log answers queries while it does,
// each with the state of the events before the Next it reports: a WaitFor
// of an early event returns long before the end, a State in the middle, a
// WaitFor whose deadline falls in the catch-up gets its *TimeoutError. It
// checkpoints every Every events on the way and ends equal to a full fold.
func TestCatchUpAnswersQueriesMidWay(t *testing.T) {
	s := fillDeposits(t, catchUpEvents)
	end := uint64(catchUpEvents)
	r := spawnTally(t, s, t.TempDir(), 10_000, 0, nil)

	got, next, err := r.p.WaitFor(tctx(t), 1000)
	require.NoError(t, err)
	require.Greater(t, next, uint64(1000))
	require.Less(t, next, end, "answered in the middle of the catch-up")
	require.Equal(t, foldBefore(t, s, next), got)

	short, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, _, err = r.p.WaitFor(short, end-1)
	var te *projection.TimeoutError
	require.ErrorAs(t, err, &te, "the deadline is answered during the catch-up")
	require.Less(t, te.Next, end)

	got, next, err = r.p.State(tctx(t))
	require.NoError(t, err)
	require.Equal(t, foldBefore(t, s, next), got)

	got, next, err = r.p.WaitFor(tctx(t), end-1)
	require.NoError(t, err)
	require.Equal(t, end, next)
	want, wantNext := replay(t, s)
	require.Equal(t, want, got)
	require.Equal(t, end, wantNext, "the last event is a deposit")
	require.Equal(t, int64(want.Count), r.applied.Load(), "each event applied once")
	require.GreaterOrEqual(t, r.p.Checkpoints(), int64(want.Count/10_000), "checkpoints during the catch-up")
}

// Events appended while a projection catches up (live notifications, and
// gaps with a queue of 4) are applied exactly once, in order, with those
// of the log: the end state equals a full fold.
func TestCatchUpWithLiveAppends(t *testing.T) {
	for _, capacity := range []int{0, 4} {
		t.Run(fmt.Sprintf("capacity=%d", capacity), func(t *testing.T) {
			s := fillDeposits(t, catchUpEvents)
			r := spawnTally(t, s, t.TempDir(), 10_000, capacity, nil)
			const writers, each = 4, 25
			var wg sync.WaitGroup
			var mu sync.Mutex
			var last uint64
			var during bool // an append returned before the catch-up was done
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := 0; k < each; k++ {
						n := catchUpEvents + w*each + k
						rc, err := s.Append(context.Background(), &messages.Append{Kind: deposited, Payload: []byte(strconv.Itoa(n)),
							Coordinate: messages.Coordinate{Entity: fmt.Sprintf("acct/%d", n%5), Scope: "bank"}})
						if err != nil {
							t.Error(err)
							return
						}
						pos := r.p.Position()
						mu.Lock()
						last = max(last, rc.Sequence)
						during = during || pos < catchUpEvents
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			require.True(t, during, "the appends overlapped the catch-up")
			got, next, err := r.p.WaitFor(tctx(t), last)
			require.NoError(t, err)
			require.Equal(t, last+1, next)
			want, _ := replay(t, s)
			require.Equal(t, want, got)
			require.Equal(t, int64(want.Count), r.applied.Load(), "each event applied once")
		})
	}
}
