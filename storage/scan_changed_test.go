package storage

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
)

// scanFollower follows a store with a DirScanner, as tail -f does, and
// keeps a copy of each event read.
type scanFollower struct {
	s   *DirScanner
	evs []messages.Event
}

func newScanFollower(t *testing.T, dir string, opts ScanOptions) *scanFollower {
	t.Helper()
	s, err := NewDirScanner(dir, opts)
	require.NoError(t, err)
	return &scanFollower{s: s}
}

func (f *scanFollower) scan() error {
	return f.s.Scan(func(ev *messages.Event) error {
		c := *ev
		c.Payload, c.Metadata = bytes.Clone(ev.Payload), maps.Clone(ev.Metadata)
		f.evs = append(f.evs, c)
		return nil
	})
}

// requireChanged requires the next Scan to say that the log changed (why
// containing reason) and that exactly the events read from its FromSeq on
// are gone, which it then forgets.
func (f *scanFollower) requireChanged(t *testing.T, reason string) *LogChangedError {
	t.Helper()
	n := len(f.evs)
	err := f.scan()
	require.ErrorIs(t, err, ErrLogChanged)
	require.ErrorIs(t, err, messages.ErrIO)
	var lc *LogChangedError
	require.ErrorAs(t, err, &lc)
	require.Len(t, f.evs, n, "the Scan that reports the change reads no event")
	require.Contains(t, lc.Reason, reason)
	k := n - lc.Cut
	require.True(t, lc.Cut > 0 && k >= 0, "%+v", lc)
	if k > 0 {
		require.Less(t, f.evs[k-1].Sequence, lc.FromSeq, "an event before FromSeq is said to be cut")
	}
	require.Equal(t, lc.FromSeq, f.evs[k].Sequence, "the first event cut")
	f.evs = f.evs[:k]
	require.Equal(t, k, f.s.Report().Events)
	return lc
}

// requireAll requires what the follower read, less what was cut, to be
// the log's events now (a fresh scan's), each once, in order, every field
// alike: nothing skipped, nothing twice, no garbage.
func (f *scanFollower) requireAll(t *testing.T, dir string) {
	t.Helper()
	require.NoError(t, f.scan())
	want, _ := scanEvents(t, dir, ScanOptions{})
	require.Equal(t, len(want), len(f.evs))
	require.Equal(t, want, f.evs)
	rep := f.s.Report()
	require.Equal(t, len(want), rep.Events)
	require.Empty(t, rep.Faults)
	if len(want) > 0 {
		require.Equal(t, want[len(want)-1].ID, rep.Last.ID)
	}
	require.NoError(t, f.scan(), "a Scan with nothing new")
	require.Len(t, f.evs, len(want))
}

// unacked appends one event of size payload bytes per size given and
// writes them to the files without publishing them (not acknowledged).
func unacked(t *testing.T, e *Engine, sizes ...int) *Pending {
	t.Helper()
	for _, n := range sizes {
		_, err := e.Append(&messages.Append{Coordinate: coord("cut"), Kind: testKind, Payload: make([]byte, n)})
		require.NoError(t, err)
	}
	p, err := e.Write()
	require.NoError(t, err)
	require.NoError(t, p.Sync())
	return p
}

// changeCase sets up one way the log can change under a scanner.
type changeCase struct {
	name string
	run  func(t *testing.T, dir string, w *roWork, e *Engine, f *scanFollower)
}

// more appends n acknowledged groups to e.
func more(t *testing.T, w *roWork, e *Engine, n int) {
	t.Helper()
	for range n {
		require.NoError(t, w.group(e))
	}
}

// Each way a writer's recovery or a repair can change the files under a
// scanner that read events the writer then cut: the next Scan says so
// once, with the sequence from which the events read are gone, and the
// Scans after it read what the log holds from there, each event once.
// With Check, the checks go on without a fault.
func TestScanNoticesThatTheLogChanged(t *testing.T) {
	cases := []changeCase{
		{"the segment read is shorter", func(t *testing.T, dir string, w *roWork, e *Engine, f *scanFollower) {
			acked := w.ackedCount()
			unacked(t, e, 10, 10)
			require.NoError(t, f.scan())
			require.Len(t, f.evs, acked+2, "written frames are read before the writer publishes them")
			require.NoError(t, e.CutUnpublished())
			require.NoError(t, e.Abandon())
			lc := f.requireChanged(t, "bytes long")
			require.Equal(t, uint64(acked), lc.FromSeq)
			require.Equal(t, 2, lc.Cut)
			require.NoError(t, f.scan(), "reported once")
			e2, err := e.Reopen() // seals the segment where the cut ended: not a change
			require.NoError(t, err)
			defer e2.Close()
			more(t, w, e2, 5)
			f.requireAll(t, dir)
			require.Equal(t, w.acked, ids(f.evs))
		}},
		{"a footer where the segment read was cut", func(t *testing.T, dir string, w *roWork, e *Engine, f *scanFollower) {
			acked := w.ackedCount()
			unacked(t, e, 10, 10)
			require.NoError(t, f.scan())
			require.NoError(t, e.CutUnpublished())
			require.NoError(t, e.Abandon())
			e2, err := e.Reopen()
			require.NoError(t, err)
			defer e2.Close()
			more(t, w, e2, 5)
			lc := f.requireChanged(t, "(its footer)")
			require.Equal(t, uint64(acked), lc.FromSeq)
			f.requireAll(t, dir)
			require.Equal(t, w.acked, ids(f.evs))
		}},
		{"the segment read is gone", func(t *testing.T, dir string, w *roWork, e *Engine, f *scanFollower) {
			acked := w.ackedCount()
			before := len(f.s.Report().Segments)
			unacked(t, e, 3000) // rotates into a new segment
			require.NoError(t, f.scan())
			require.Greater(t, len(f.s.Report().Segments), before)
			require.NoError(t, e.CutUnpublished())
			require.NoError(t, e.Abandon())
			lc := f.requireChanged(t, "is gone")
			require.Equal(t, uint64(acked), lc.FromSeq)
			e2, err := e.Reopen()
			require.NoError(t, err)
			defer e2.Close()
			more(t, w, e2, 5)
			f.requireAll(t, dir)
			require.Equal(t, w.acked, ids(f.evs))
		}},
		{"the segment read was made again", func(t *testing.T, dir string, w *roWork, e *Engine, f *scanFollower) {
			acked := w.ackedCount()
			unacked(t, e, 3000)
			require.NoError(t, f.scan())
			seg := f.evs[len(f.evs)-1].Segment
			pub := e.Published()
			require.NoError(t, e.Abandon()) // a crash: the new Open cuts
			require.NoError(t, e.Release())
			e2, err := Open(dir, Options{SegmentSize: minSegmentSize, CutAfter: &pub})
			require.NoError(t, err)
			defer e2.Close()
			more(t, w, e2, 3)
			_, err = os.Stat(filepath.Join(dir, format.SegmentName(seg)))
			require.NoError(t, err, "the new writer made segment %d again", seg)
			lc := f.requireChanged(t, "was replaced")
			require.Equal(t, uint64(acked), lc.FromSeq)
			f.requireAll(t, dir)
			require.Equal(t, w.acked, ids(f.evs))
		}},
		{"a repair cut a sealed segment", func(t *testing.T, dir string, w *roWork, e *Engine, f *scanFollower) {
			require.NoError(t, e.Close())
			require.NoError(t, f.scan())
			at := f.evs[len(f.evs)/3]
			require.Less(t, at.Segment, f.evs[len(f.evs)-1].Segment)
			// What batpak repair does at a damaged frame: Open with
			// CutAfter there (later segments removed, this one cut).
			e2, err := Open(dir, Options{SegmentSize: minSegmentSize, CutAfter: &Position{Segment: at.Segment, Offset: at.Offset}})
			require.NoError(t, err)
			defer e2.Close()
			more(t, w, e2, 8)
			lc := f.requireChanged(t, "")
			if f.evs[len(f.evs)-1].Segment == at.Segment { // a batch item: its batch is cut whole
				require.LessOrEqual(t, lc.FromSeq, at.Sequence)
			} else {
				require.Equal(t, at.Sequence, lc.FromSeq)
			}
			f.requireAll(t, dir)
		}},
		{"a cut seen half done", func(t *testing.T, dir string, w *roWork, e *Engine, f *scanFollower) {
			// A cut removes the later segments first, then shortens the
			// segment it cuts in: a Scan between the steps sees the first.
			require.NoError(t, e.Close())
			require.NoError(t, f.scan())
			last := f.evs[len(f.evs)-1].Segment
			var at *messages.Event // a single event, not the first of its segment, before the last segment
			for i := 1; i < len(f.evs); i++ {
				if ev := &f.evs[i]; ev.Segment < last && ev.BatchID.IsZero() && f.evs[i-1].Segment == ev.Segment {
					at = ev
				}
			}
			require.NotNil(t, at)
			var firstAfter *messages.Event
			for i := range f.evs {
				if f.evs[i].Segment > at.Segment {
					firstAfter = &f.evs[i]
					break
				}
			}
			for id := last; id > at.Segment; id-- {
				require.NoError(t, os.Remove(filepath.Join(dir, format.SegmentName(id))))
			}
			lc := f.requireChanged(t, "is gone")
			require.LessOrEqual(t, lc.FromSeq, firstAfter.Sequence)
			require.Greater(t, lc.FromSeq, at.Sequence)
			require.NoError(t, os.Truncate(filepath.Join(dir, format.SegmentName(at.Segment)), at.Offset))
			lc = f.requireChanged(t, "bytes long")
			require.Equal(t, at.Sequence, lc.FromSeq)
			e2, err := Open(dir, roOpts())
			require.NoError(t, err)
			defer e2.Close()
			more(t, w, e2, 5)
			f.requireAll(t, dir)
		}},
		{"only a batch never committed was cut", func(t *testing.T, dir string, w *roWork, e *Engine, f *scanFollower) {
			n := len(f.evs)
			_, err := e.AppendBatch(&messages.AppendBatch{Items: []messages.BatchItem{
				{Coordinate: coord("b"), Kind: testKind, Payload: make([]byte, 300)},
				{Coordinate: coord("b"), Kind: testKind, Payload: make([]byte, 300)},
			}})
			require.NoError(t, err)
			p, err := e.Write()
			require.NoError(t, err)
			require.NoError(t, p.Sync())
			// The scanner catches the group half written: without its COMMIT.
			require.NoError(t, os.Truncate(filepath.Join(dir, format.SegmentName(p.end.Segment)), p.end.Offset-1))
			require.NoError(t, f.scan())
			require.Len(t, f.evs, n)
			require.Equal(t, 2, f.s.Report().OpenBatch)
			require.NoError(t, e.CutUnpublished())
			require.NoError(t, e.Abandon())
			require.NoError(t, f.scan(), "nothing read was committed: no change to report")
			require.Equal(t, 0, f.s.Report().OpenBatch)
			e2, err := e.Reopen()
			require.NoError(t, err)
			defer e2.Close()
			more(t, w, e2, 5)
			f.requireAll(t, dir)
			require.Equal(t, w.acked, ids(f.evs))
		}},
		{"a batch held across a rotation, then a cut after it", func(t *testing.T, dir string, w *roWork, e *Engine, f *scanFollower) {
			items := make([]messages.BatchItem, 5)
			for i := range items {
				items[i] = messages.BatchItem{Coordinate: coord("big"), Kind: testKind, Payload: make([]byte, 1500)}
			}
			rs, err := e.AppendBatch(&messages.AppendBatch{Items: items})
			require.NoError(t, err)
			require.NoError(t, e.Commit())
			w.ack([]messages.ID{rs[0].EventID, rs[1].EventID, rs[2].EventID, rs[3].EventID, rs[4].EventID}, nil)
			unacked(t, e, 10)
			require.NoError(t, f.scan())
			cut := f.evs[len(f.evs)-1]
			require.Less(t, f.evs[len(f.evs)-6].Segment, cut.Segment, "the batch began in an earlier segment")
			require.NoError(t, e.CutUnpublished())
			require.NoError(t, e.Abandon())
			lc := f.requireChanged(t, "bytes long")
			require.Equal(t, cut.Sequence, lc.FromSeq)
			require.Equal(t, 1, lc.Cut)
			e2, err := e.Reopen()
			require.NoError(t, err)
			defer e2.Close()
			more(t, w, e2, 5)
			f.requireAll(t, dir)
			require.Equal(t, w.acked, ids(f.evs))
		}},
	}
	for _, opts := range []ScanOptions{{}, {Check: true}} {
		for _, c := range cases {
			name := c.name
			if opts.Check {
				name += ", with Check"
			}
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				w := newROWork(21)
				e := w.writeStore(t, dir, roOpts(), 30)
				defer e.Release()
				f := newScanFollower(t, dir, opts)
				require.NoError(t, f.scan())
				require.Equal(t, w.acked, ids(f.evs))
				c.run(t, dir, w, e, f)
			})
		}
	}
}

// staleListing is the OS file system whose directory listings also name
// extra, if set: a listing taken just before a writer removed it (the
// race cannot be made to happen on demand).
type staleListing struct {
	fs.FS
	extra string
}

func (l *staleListing) ReadDir(dir string) ([]string, error) {
	names, err := l.FS.ReadDir(dir)
	if err == nil && l.extra != "" {
		names = append(names, l.extra)
		slices.Sort(names)
	}
	return names, err
}

// A segment the scanner entered but read nothing from (the empty segment
// a writer starts with) may be removed (a Close removes it empty) and made
// again under its name by the next writer: not a change of what was read;
// the scanner reads the new one, whether it listed the directory while
// the segment was gone, while it was being removed, or not at all.
func TestScanFollowsAnEmptySegmentMadeAgain(t *testing.T) {
	dir := t.TempDir()
	w := newROWork(5)
	e := w.writeStore(t, dir, roOpts(), 10)
	require.NoError(t, e.Close())
	fsys := &staleListing{FS: fs.OS()}
	f := newScanFollower(t, dir, ScanOptions{FS: fsys})
	for _, look := range []string{"gone", "being removed", "not"} {
		e, err := Open(dir, roOpts())
		require.NoError(t, err)
		require.NoError(t, f.scan()) // enters the new, empty segment
		segs := f.s.Report().Segments
		empty := segs[len(segs)-1]
		require.Equal(t, int64(format.HeaderSize), empty.DataEnd)
		require.NoError(t, e.Close()) // removes it
		_, err = os.Stat(filepath.Join(dir, format.SegmentName(empty.ID)))
		require.ErrorIs(t, err, os.ErrNotExist)
		switch look {
		case "gone":
			require.NoError(t, f.scan())
		case "being removed":
			fsys.extra = format.SegmentName(empty.ID)
			require.NoError(t, f.scan())
			fsys.extra = ""
		}
		e, err = Open(dir, roOpts())
		require.NoError(t, err)
		r, err := e.Append(&messages.Append{Coordinate: coord("again"), Kind: testKind, Payload: []byte(look)})
		require.NoError(t, err)
		require.NoError(t, e.Commit())
		w.ack([]messages.ID{r.EventID}, nil)
		f.requireAll(t, dir)
		require.Equal(t, w.acked, ids(f.evs))
		require.Equal(t, empty.ID, f.evs[len(f.evs)-1].Segment, "the new writer made the segment again")
		require.NoError(t, e.Close())
	}
}
