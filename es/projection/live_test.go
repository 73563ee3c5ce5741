package projection_test

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batpak-go/batpak/actors"
	"github.com/batpak-go/batpak/actors/actorstest"
	"github.com/batpak-go/batpak/es/internal/checkpoint"
	"github.com/batpak-go/batpak/es/projection"
	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// rig is a live tally projection whose Apply counts its calls and, while
// gate is open (non-nil and not closed), waits on it: a held subscriber.
type rig struct {
	p       *projection.Projection[tally]
	applied atomic.Int64
}

func spawnTally(t *testing.T, s *actors.Store, dir string, every, capacity int, gate <-chan struct{}) *rig {
	t.Helper()
	r := &rig{}
	p, err := projection.Spawn(s, projection.Config[tally]{
		Name: "tally", Filter: deposits, Initial: newTally, Dir: dir, Every: every, Capacity: capacity,
		Logger: quietLogger(),
		Apply: func(st tally, ev messages.Event) (tally, error) {
			if gate != nil {
				<-gate
			}
			r.applied.Add(1)
			return applyTally(st, ev)
		},
	})
	require.NoError(t, err)
	r.p = p
	t.Cleanup(func() { p.Stop(context.Background()) })
	return r
}

// The live projection ends with the state a replay of the log gives, and
// says it reflects the same position: plainly, across a writer restart,
// and across a gap (a queue of 4 events while the projection is held).
func TestLiveEqualsReplay(t *testing.T) {
	for _, tc := range []string{"plain", "writer restart", "subscriber gap"} {
		t.Run(tc, func(t *testing.T) {
			s := openStore(t, t.TempDir())
			deposit(t, s, 0, 40) // before the projection: read from the log
			var gate chan struct{}
			capacity := 0
			if tc == "subscriber gap" {
				gate, capacity = make(chan struct{}), 4
			}
			r := spawnTally(t, s, t.TempDir(), 25, capacity, gate)
			deposit(t, s, 40, 60)
			switch tc {
			case "writer restart":
				actorstest.CrashWriter(s, "test crash")
				require.NoError(t, s.Sync(tctx(t)))
				require.Equal(t, 1, s.Restarts())
			case "subscriber gap":
				require.Positive(t, s.Gaps())
				close(gate)
			}
			last := deposit(t, s, 100, 60)
			got, next, err := r.p.WaitFor(tctx(t), last.Sequence)
			require.NoError(t, err)
			want, wantNext := replay(t, s)
			require.Equal(t, want, got)
			require.GreaterOrEqual(t, next, wantNext)
			require.Equal(t, int64(want.Count), r.applied.Load(), "each event applied once")
			require.Positive(t, r.p.Checkpoints(), "every 25 events")
		})
	}
}

// A clean stop writes a checkpoint; a projection spawned again on the
// reopened store resumes from it (applying only the events after it) and
// ends equal to a replay.
func TestResumeFromCheckpoint(t *testing.T) {
	dir, ck := t.TempDir(), t.TempDir()
	s := openStore(t, dir)
	r := spawnTally(t, s, ck, 1000, 0, nil)
	last := deposit(t, s, 0, 50)
	_, _, err := r.p.WaitFor(tctx(t), last.Sequence)
	require.NoError(t, err)
	require.NoError(t, r.p.Stop(tctx(t)))
	require.NoError(t, s.Close(tctx(t)))
	rec, found, err := checkpoint.New(nil, ck).Load("tally")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, last.Sequence+1, rec.Next, "the stop checkpoint covers everything applied")

	s = openStore(t, dir)
	r = spawnTally(t, s, ck, 1000, 0, nil)
	require.Equal(t, projection.Recovery{Resumed: true, From: last.Sequence + 1}, r.p.Recovery())
	last = deposit(t, s, 50, 20)
	got, _, err := r.p.WaitFor(tctx(t), last.Sequence)
	require.NoError(t, err)
	want, _ := replay(t, s)
	require.Equal(t, want, got)
	require.Less(t, r.applied.Load(), int64(20), "only the new events were applied")
}

// A checkpoint that is damaged, of another Type, or of another store is
// ignored and reported; the state is rebuilt from the log, equal to a
// replay.
func TestBadCheckpointsAreIgnored(t *testing.T) {
	dir, ck := t.TempDir(), t.TempDir()
	s := openStore(t, dir)
	r := spawnTally(t, s, ck, 1000, 0, nil)
	last := deposit(t, s, 0, 30)
	_, _, err := r.p.WaitFor(tctx(t), last.Sequence)
	require.NoError(t, err)
	require.NoError(t, r.p.Stop(tctx(t)))
	path := checkpoint.Path(ck, "tally")
	good, err := os.ReadFile(path)
	require.NoError(t, err)
	want, _ := replay(t, s)

	check := func(t *testing.T, store *actors.Store, cfgType string, match error) {
		t.Helper()
		r := &rig{}
		p, err := projection.Spawn(store, projection.Config[tally]{Name: "tally", Type: cfgType, Filter: deposits,
			Initial: newTally, Dir: ck, Logger: quietLogger(),
			Apply: func(st tally, ev messages.Event) (tally, error) { r.applied.Add(1); return applyTally(st, ev) }})
		require.NoError(t, err)
		require.False(t, p.Recovery().Resumed)
		require.ErrorIs(t, p.Recovery().Ignored, match)
		st, err := store.Stats()
		require.NoError(t, err)
		got, _, err := p.WaitFor(tctx(t), st.NextSequence-1)
		require.NoError(t, err)
		w, _ := replay(t, store)
		require.Equal(t, w, got)
		require.Equal(t, int64(w.Count), r.applied.Load(), "rebuilt from 0")
		require.NoError(t, p.Stop(tctx(t)))
	}
	t.Run("flipped byte", func(t *testing.T) {
		bad := append([]byte(nil), good...)
		bad[len(bad)/2] ^= 0x10
		require.NoError(t, os.WriteFile(path, bad, 0o600))
		check(t, s, "", messages.ErrCorrupt)
	})
	t.Run("truncated", func(t *testing.T) {
		require.NoError(t, os.WriteFile(path, good[:len(good)-3], 0o600))
		check(t, s, "", messages.ErrCorrupt)
	})
	t.Run("another type", func(t *testing.T) {
		require.NoError(t, os.WriteFile(path, good, 0o600))
		check(t, s, "tally/v2", projection.ErrCheckpointMismatch)
	})
	t.Run("another store", func(t *testing.T) {
		require.NoError(t, os.WriteFile(path, good, 0o600))
		other := openStore(t, filepath.Join(t.TempDir(), "other"))
		deposit(t, other, 1000, 40) // as long, other events
		check(t, other, "", projection.ErrCheckpointMismatch)
	})
	t.Run("past the log's end", func(t *testing.T) {
		require.NoError(t, os.WriteFile(path, good, 0o600))
		check(t, openStore(t, t.TempDir()), "", projection.ErrCheckpointMismatch)
	})
	_ = want
}

// WaitFor answers once the event of a receipt is applied (read your own
// write), also for an event the filter does not match; a sequence not
// reached in time gives a *TimeoutError; a wait for a sequence not yet
// written is answered when it is.
func TestWaitFor(t *testing.T) {
	s := openStore(t, t.TempDir())
	r := spawnTally(t, s, "", 0, 0, nil)
	for i := 0; i < 20; i++ {
		rc := deposit(t, s, i, 1)
		got, next, err := r.p.WaitFor(tctx(t), rc.Sequence)
		require.NoError(t, err)
		require.Greater(t, next, rc.Sequence)
		want, _ := replay(t, s)
		require.Equal(t, want, got, "after append %d", i)
	}
	note, err := s.Append(tctx(t), &messages.Append{Coordinate: messages.Coordinate{Entity: "other/1", Scope: "bank"}, Kind: noted})
	require.NoError(t, err)
	_, next, err := r.p.WaitFor(tctx(t), note.Sequence)
	require.NoError(t, err, "an event the filter skips is passed too")
	require.Greater(t, next, note.Sequence)

	short, cancel := contextWithTimeout(50 * time.Millisecond)
	defer cancel()
	_, _, err = r.p.WaitFor(short, note.Sequence+5)
	var te *projection.TimeoutError
	require.ErrorAs(t, err, &te)
	require.ErrorIs(t, err, projection.ErrTimeout)
	require.Equal(t, note.Sequence+6, te.AtLeast)

	done := make(chan error, 1)
	go func() {
		_, _, err := r.p.WaitFor(tctx(t), note.Sequence+3)
		done <- err
	}()
	deposit(t, s, 100, 3)
	require.NoError(t, <-done)
}

// A checkpoint is written every Every events, and Interval after a change
// when fewer came.
func TestCheckpointEveryAndInterval(t *testing.T) {
	s := openStore(t, t.TempDir())
	ck := t.TempDir()
	p, err := projection.Spawn(s, projection.Config[tally]{Name: "tally", Filter: deposits, Initial: newTally,
		Apply: applyTally, Dir: ck, Every: 5, Interval: time.Hour})
	require.NoError(t, err)
	var seqs []uint64
	for len(seqs) < 12 {
		rc := deposit(t, s, len(seqs)*7, 1) // k%7 == 0: a deposit
		seqs = append(seqs, rc.Sequence)
	}
	_, _, err = p.WaitFor(tctx(t), seqs[11])
	require.NoError(t, err)
	rec, found, err := checkpoint.New(nil, ck).Load("tally")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, seqs[9]+1, rec.Next, "written after the 10th deposit, not yet after the 12th")
	require.Equal(t, int64(2), p.Checkpoints())
	require.NoError(t, p.Stop(tctx(t)))

	p, err = projection.Spawn(s, projection.Config[tally]{Name: "tally", Filter: deposits, Initial: newTally,
		Apply: applyTally, Dir: ck, Every: 1000, Interval: 20 * time.Millisecond})
	require.NoError(t, err)
	rc := deposit(t, s, 700, 1)
	require.Eventually(t, func() bool {
		rec, _, err := checkpoint.New(nil, ck).Load("tally")
		return err == nil && rec.Next == rc.Sequence+1
	}, 10*time.Second, 5*time.Millisecond, "the interval wrote it")
	require.NoError(t, p.Stop(tctx(t)))
}
