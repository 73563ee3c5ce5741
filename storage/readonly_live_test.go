package storage

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// A read-only engine opened while a writer (holding the lock, appending on
// another goroutine) fills and rotates 4 KiB segments keeps seeing, at
// each Refresh, a longer prefix of the writer's log that ends at a commit
// boundary (never part of a batch) and holds everything the writer had
// acknowledged before the Refresh; reads running meanwhile see the same;
// at the end it holds exactly the writer's log and it verifies.
func TestReadOnlyFollowsAWriter(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      Options
		pipelined bool
	}{
		{name: "commit", opts: roOpts()},
		{name: "preallocate", opts: Options{SegmentSize: 8 << 10, Preallocate: 4 << 10}},
		{name: "pipelined", opts: roOpts(), pipelined: true},
		{name: "periodic", opts: Options{SegmentSize: minSegmentSize, SyncMode: SyncPeriodic}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w := newROWork(11)
			w.pipelined = tc.pipelined
			e := w.writeStore(t, dir, tc.opts, 10)
			var stop, quit atomic.Bool
			writer := make(chan error, 1)
			defer func() { // also when the test fails: the writer first
				quit.Store(true)
				if !stop.Load() {
					<-writer
				}
				e.Close()
			}()
			go func() {
				var err error
				for i := 0; i < 400 && err == nil && !quit.Load(); i++ {
					err = w.group(e)
				}
				if err == nil {
					err = w.flush(e)
				}
				stop.Store(true)
				writer <- err
			}()

			ro, err := OpenReadOnly(dir, Options{})
			require.NoError(t, err)
			defer ro.Close()
			rep, err := ro.ReadOnlyReport()
			require.NoError(t, err)
			require.Equal(t, LockHeld, rep.Lock)

			// A reader that reads everything, again and again, while Refresh runs.
			var seenByReader []int
			var rmu sync.Mutex
			readerDone := make(chan struct{})
			go func() {
				defer close(readerDone)
				for !stop.Load() {
					n := 0
					for _, err := range ro.Read(Filter{}) {
						if err != nil {
							t.Errorf("read during Refresh: %v", err)
							return
						}
						n++
					}
					rmu.Lock()
					seenByReader = append(seenByReader, n)
					rmu.Unlock()
				}
			}()

			var counts []int
			last, refreshes := ro.Stats().Events, 0
			for done := false; !done; {
				done = stop.Load() // one more Refresh after the writer stopped
				acked := w.ackedCount()
				n, err := ro.Refresh()
				require.NoError(t, err)
				refreshes++
				got := ro.Stats().Events
				require.Equal(t, last+n, got, "Refresh's count")
				require.GreaterOrEqual(t, got, acked, "an acknowledged event is not visible")
				counts = append(counts, got)
				last = got
			}
			require.NoError(t, <-writer)
			<-readerDone

			evs := allEvents(t, ro)
			require.Equal(t, w.acked, ids(evs), "the read-only engine's log is not the writer's")
			rmu.Lock()
			counts = append(counts, seenByReader...)
			rmu.Unlock()
			for _, n := range counts {
				requireCommitBoundary(t, w, n)
			}
			vr, err := ro.Verify()
			require.NoError(t, err)
			require.Equal(t, len(evs), vr.Events)
			readEverything(t, ro, evs)
			t.Logf("%d refreshes, %d events, %d segments", refreshes, len(evs), ro.Stats().Segments)
			require.Greater(t, ro.Stats().Segments, 20, "the writer rotated")
		})
	}
}

// requireCommitBoundary fails if the first n events of w's log end inside
// a batch.
func requireCommitBoundary(t *testing.T, w *roWork, n int) {
	t.Helper()
	if n == 0 {
		return
	}
	if b := w.batchOf[w.acked[n-1]]; b != nil {
		require.Equal(t, b[len(b)-1], w.acked[n-1], "a read saw %d events: part of a batch", n)
	}
}

// A read-only engine follows a directory across writer sessions: a clean
// Close (the last segment sealed), an Open that writes nothing (its empty
// segment removed at Close), a crash (Abandon: no footer) and the next
// Open (which seals that segment and starts another), and an actor
// restart's Reopen.
func TestReadOnlyFollowsWriterSessions(t *testing.T) {
	dir := t.TempDir()
	w := newROWork(12)
	e := w.writeStore(t, dir, roOpts(), 10)
	ro, err := OpenReadOnly(dir, Options{})
	require.NoError(t, err)
	defer ro.Close()
	check := func(what string) {
		t.Helper()
		_, err := ro.Refresh()
		require.NoError(t, err, what)
		require.Equal(t, w.acked, ids(allEvents(t, ro)), what)
	}
	check("open")
	require.NoError(t, e.Close())
	check("closed")
	rep, err := ro.ReadOnlyReport()
	require.NoError(t, err)
	require.Equal(t, LockFree, rep.Lock)
	require.True(t, rep.Segments[len(rep.Segments)-1].Sealed)
	require.Zero(t, rep.Tail)

	e, err = Open(dir, roOpts()) // writes nothing: its segment is removed at Close
	require.NoError(t, err)
	check("empty session open")
	require.NoError(t, e.Close())
	check("empty session closed")

	e = w.writeStore(t, dir, roOpts(), 10)
	check("second session")
	require.NoError(t, w.group(e))
	require.NoError(t, e.Abandon()) // a crash: no footer
	check("crashed")
	e = w.writeStore(t, dir, roOpts(), 5) // seals the crashed segment, starts another
	check("after the crash")

	require.NoError(t, w.group(e))
	p := e.Published()
	_, err = ro.Refresh()
	require.NoError(t, err)
	require.Equal(t, p, ro.Published(), "the read-only engine sees up to the writer's published position")
	require.NoError(t, e.Abandon()) // an actor restart: Reopen takes over
	e, err = e.Reopen()
	require.NoError(t, err)
	for range 5 {
		require.NoError(t, w.group(e))
	}
	check("after Reopen")
	require.NoError(t, e.Close())
	check("end")
	vr, err := ro.Verify()
	require.NoError(t, err)
	require.Equal(t, len(w.acked), vr.Events)
}

// A read-only engine can see a group the writer wrote but has not yet
// acknowledged; if the writer then crashes and cuts it, the next Refresh
// says the log changed, whether the cut shortened the segment it was
// read from, or removed the segment its rotation created, and whether
// the writer then reopened (a footer written where the cut ended; the
// removed segment created again under its name with other events). A new
// read-only engine sees the cut log.
func TestReadOnlyRefreshAfterACut(t *testing.T) {
	for _, rotate := range []bool{false, true} {
		for _, reopen := range []bool{false, true} {
			name := map[bool]string{false: "same segment", true: "across a rotation"}[rotate] +
				map[bool]string{false: "", true: ", reopened"}[reopen]
			t.Run(name, func(t *testing.T) { testReadOnlyAfterACut(t, rotate, reopen) })
		}
	}
}

func testReadOnlyAfterACut(t *testing.T, rotate, reopen bool) {
	dir := t.TempDir()
	w := newROWork(13)
	e := w.writeStore(t, dir, roOpts(), 5)
	ro, err := OpenReadOnly(dir, Options{})
	require.NoError(t, err)
	defer ro.Close()
	big := 10 // so small that the footer Reopen writes where the cut ends goes past what was read
	if rotate {
		big = 3000 // the group rotates into a new segment
	}
	segs := ro.Stats().Segments
	for range 2 {
		_, err = e.Append(&messages.Append{Coordinate: coord("cut"), Kind: testKind, Payload: make([]byte, big)})
		require.NoError(t, err)
	}
	p, err := e.Write()
	require.NoError(t, err)
	require.NoError(t, p.Sync())
	n, err := ro.Refresh()
	require.NoError(t, err)
	require.Equal(t, 2, n, "written frames are visible before the writer publishes them")
	require.Equal(t, rotate, ro.Stats().Segments > segs)

	require.NoError(t, e.CutUnpublished())
	require.NoError(t, e.Abandon())
	if reopen {
		e, err = e.Reopen()
		require.NoError(t, err)
		for range 3 {
			require.NoError(t, w.group(e))
		}
		defer e.Close()
	}
	_, err = ro.Refresh()
	require.ErrorIs(t, err, ErrLogChanged)
	require.ErrorIs(t, err, messages.ErrIO)

	ro2, err := OpenReadOnly(dir, Options{})
	require.NoError(t, err)
	require.Equal(t, w.acked, ids(allEvents(t, ro2)))
	require.NoError(t, ro2.Close())
}

// A read-only engine opened on a store that holds no event yet (a LOCK
// file, no segment) follows the writer that starts writing it. Release
// closes it, as Close does.
func TestReadOnlyFollowsAStoreFromEmpty(t *testing.T) {
	dir := t.TempDir()
	w0, err := Open(dir, roOpts())
	require.NoError(t, err)
	require.NoError(t, w0.Close())
	ro, err := OpenReadOnly(dir, Options{})
	require.NoError(t, err)
	require.Zero(t, ro.Stats().Events)
	n, err := ro.Refresh()
	require.NoError(t, err)
	require.Zero(t, n)

	w := newROWork(14)
	e := w.writeStore(t, dir, roOpts(), 20)
	n, err = ro.Refresh()
	require.NoError(t, err)
	require.Equal(t, len(w.acked), n)
	require.Equal(t, w.acked, ids(allEvents(t, ro)))
	require.NoError(t, e.Close())
	_, err = ro.Refresh()
	require.NoError(t, err)
	rep, err := ro.ReadOnlyReport()
	require.NoError(t, err)
	require.Equal(t, LockFree, rep.Lock)

	require.NoError(t, ro.Release())
	require.NoError(t, ro.Release())
	require.ErrorIs(t, ro.Close(), ErrClosed)
	_, err = ro.Get(w.acked[0])
	require.ErrorIs(t, err, ErrClosed)
}
