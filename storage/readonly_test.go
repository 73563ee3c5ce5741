package storage

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/stretchr/testify/require"
)

// roStore is a closed store in some recovery state, for the read-only
// tests: what it looks like and what Open does to it.
type roStore struct {
	name  string
	build func(t *testing.T, dir string) // writes the store into dir
	// tail and uncommitted: ReadOnlyReport's Tail and Uncommitted are
	// positive (a torn tail; a batch without its COMMIT).
	tail, uncommitted, zeros bool
}

func roStores() []roStore {
	crashed := func(t *testing.T, dir string, opts Options) *Engine {
		e := newROWork(1).writeStore(t, dir, opts, 80)
		require.NoError(t, e.Abandon()) // no footer on the last segment
		return e
	}
	return []roStore{
		{name: "closed", build: func(t *testing.T, dir string) {
			require.NoError(t, newROWork(1).writeStore(t, dir, roOpts(), 80).Close())
		}},
		{name: "torn tail", tail: true, build: func(t *testing.T, dir string) {
			crashed(t, dir, roOpts())
			appendToFile(t, lastSegment(t, dir), []byte{0x51, 0x02, 0x00, 0x30, 9, 9, 9, 9, 1, 2, 3})
		}},
		{name: "preallocated zeros", tail: true, zeros: true, build: func(t *testing.T, dir string) {
			o := roOpts()
			o.Preallocate = 2 << 10
			crashed(t, dir, o)
		}},
		{name: "batch without commit", uncommitted: true, build: func(t *testing.T, dir string) {
			crashed(t, dir, roOpts())
			e2, err := Open(dir, roOpts())
			require.NoError(t, err)
			b := messages.AppendBatch{Items: items("b", "x1", "x2", "x3")}
			_, err = e2.AppendBatch(&b)
			require.NoError(t, err)
			p, err := e2.Write()
			require.NoError(t, err)
			require.NoError(t, p.Sync())
			require.NoError(t, e2.Abandon())
			commit := format.AppendCommitFrame(nil, messages.ID{}, 3)
			path := lastSegment(t, dir)
			st, err := os.Stat(path)
			require.NoError(t, err)
			require.NoError(t, os.Truncate(path, st.Size()-int64(len(commit))))
		}},
		{name: "headerless last segment", build: func(t *testing.T, dir string) {
			crashed(t, dir, roOpts())
			ids, _, err := listSegments(roOpts().withDefaults().FS, dir)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, format.SegmentName(ids[len(ids)-1]+1)), nil, 0o600))
		}},
		{name: "damaged checkpoints", build: func(t *testing.T, dir string) {
			require.NoError(t, newROWork(1).writeStore(t, dir, roOpts(), 80).Close())
			names, err := filepath.Glob(filepath.Join(dir, "*"+format.CheckpointExt))
			require.NoError(t, err)
			require.NotEmpty(t, names)
			for _, n := range names[len(names)/2:] {
				b, err := os.ReadFile(n)
				require.NoError(t, err)
				b[len(b)/2] ^= 0xFF
				require.NoError(t, os.WriteFile(n, b, 0o600))
			}
		}},
	}
}

// A read-only open of a closed store, in every recovery state, reads what
// Open then recovers (every event, byte for byte), changes no byte and no
// file name, and reports what Open would do.
func TestOpenReadOnlyEqualsOpen(t *testing.T) {
	for _, st := range roStores() {
		t.Run(st.name, func(t *testing.T) {
			dir := t.TempDir()
			st.build(t, dir)
			before := hashDir(t, dir)

			ro, err := OpenReadOnly(dir, Options{})
			require.NoError(t, err)
			got := allEvents(t, ro)
			require.NotEmpty(t, got)
			rep, err := ro.Verify()
			require.NoError(t, err)
			require.Equal(t, len(got), rep.Events)
			n, err := ro.Refresh()
			require.NoError(t, err)
			require.Zero(t, n, "nothing changed")
			report, err := ro.ReadOnlyReport()
			require.NoError(t, err)
			require.Equal(t, LockFree, report.Lock)
			require.Equal(t, st.tail, report.Tail > 0, "tail %d", report.Tail)
			require.Equal(t, st.zeros, report.TailZeros)
			require.Equal(t, st.uncommitted, report.Uncommitted > 0, "uncommitted %d", report.Uncommitted)
			readEverything(t, ro, got)
			require.NoError(t, ro.Close())
			require.Equal(t, before, hashDir(t, dir), "the read-only engine changed the directory")

			e, err := Open(dir, Options{})
			require.NoError(t, err)
			require.Equal(t, allEvents(t, e), got)
			require.Equal(t, st.tail, len(e.Stats().Recovery.TornTails) > 0, "%+v", e.Stats().Recovery)
			require.Equal(t, st.uncommitted, e.Stats().Recovery.DiscardedBatches > 0)
			require.NoError(t, e.Close())
		})
	}
}

// readEverything runs every read API on e, whose events are all.
func readEverything(t *testing.T, e *Engine, all []messages.Event) {
	t.Helper()
	for _, ev := range []messages.Event{all[0], all[len(all)/2], all[len(all)-1]} {
		got, err := e.Get(ev.ID)
		require.NoError(t, err)
		require.Equal(t, ev, got)
		stream, err := e.Stream(ev.Coordinate, 1)
		require.NoError(t, err)
		require.Equal(t, ev.ID, stream[ev.Version-1].ID)
		n := 0
		for sev, err := range e.ReadStream(ev.Coordinate, StreamRange{}) {
			require.NoError(t, err)
			require.Equal(t, stream[n].ID, sev.ID)
			n++
		}
		require.Equal(t, len(stream), n)
		_, err = e.Ancestors(ev.ID, 0)
		require.NoError(t, err)
		_, err = e.Descendants(ev.ID)
		require.NoError(t, err)
		v, err := e.VerifyStream(ev.Coordinate)
		require.NoError(t, err)
		require.Equal(t, len(stream), v)
	}
	n := 0
	for ev, err := range e.Read(Filter{}) {
		require.NoError(t, err)
		require.Equal(t, all[n].ID, ev.ID)
		n++
	}
	require.Equal(t, len(all), n)
	st := e.Stats()
	require.Equal(t, len(all), st.Events)
	require.Equal(t, all[len(all)-1].Sequence+1, st.NextSequence)
}

// Every write on a read-only engine fails with ErrReadOnly, and changes
// nothing.
func TestReadOnlyRefusesWrites(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, newROWork(2).writeStore(t, dir, roOpts(), 5).Close())
	before := hashDir(t, dir)
	e, err := OpenReadOnly(dir, Options{})
	require.NoError(t, err)
	_, err = e.Append(&messages.Append{Coordinate: coord("a"), Kind: testKind})
	require.ErrorIs(t, err, ErrReadOnly)
	require.ErrorIs(t, err, messages.ErrInvalidArgument)
	_, err = e.AppendBatch(&messages.AppendBatch{Items: items("a", "1")})
	require.ErrorIs(t, err, ErrReadOnly)
	require.ErrorIs(t, e.Commit(), ErrReadOnly)
	_, err = e.CommitEvents()
	require.ErrorIs(t, err, ErrReadOnly)
	_, err = e.Write()
	require.ErrorIs(t, err, ErrReadOnly)
	_, err = e.WriteRetaining()
	require.ErrorIs(t, err, ErrReadOnly)
	require.ErrorIs(t, e.Publish(&Pending{}), ErrReadOnly)
	_, err = e.PublishEvents(&Pending{})
	require.ErrorIs(t, err, ErrReadOnly)
	require.ErrorIs(t, e.Sync(), ErrReadOnly)
	require.ErrorIs(t, e.CutUnpublished(), ErrReadOnly)
	require.ErrorIs(t, e.Abandon(), ErrReadOnly)
	_, err = e.Reopen()
	require.ErrorIs(t, err, ErrReadOnly)
	e.Rollback()
	require.Zero(t, e.Staged())
	require.Equal(t, e.Stats().Events, e.WriterStats().Events)
	require.NoError(t, e.Close())
	require.ErrorIs(t, e.Close(), ErrClosed)
	_, err = e.Refresh()
	require.ErrorIs(t, err, ErrClosed)
	_, err = e.Get(messages.ID{1})
	require.ErrorIs(t, err, ErrClosed)
	require.Equal(t, before, hashDir(t, dir))

	// The read-only calls refuse an engine from Open.
	w, err := Open(dir, Options{})
	require.NoError(t, err)
	defer w.Close()
	_, err = w.Refresh()
	require.ErrorIs(t, err, messages.ErrInvalidArgument)
	_, err = w.ReadOnlyReport()
	require.ErrorIs(t, err, messages.ErrInvalidArgument)
}

// A missing path, a file, an empty directory and one of other files are
// not stores: ErrNotStore, and nothing is created. Options that change
// files are refused.
func TestOpenReadOnlyNotAStore(t *testing.T) {
	root := t.TempDir()
	missing := filepath.Join(root, "missing", "store")
	_, err := OpenReadOnly(missing, Options{})
	require.ErrorIs(t, err, ErrNotStore)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorIs(t, err, messages.ErrInvalidArgument)
	_, serr := os.Stat(filepath.Join(root, "missing"))
	require.ErrorIs(t, serr, fs.ErrNotExist, "OpenReadOnly created a directory")

	file := filepath.Join(root, "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o600))
	_, err = OpenReadOnly(file, Options{})
	require.ErrorIs(t, err, ErrNotStore)

	empty := filepath.Join(root, "empty")
	require.NoError(t, os.Mkdir(empty, 0o700))
	_, err = OpenReadOnly(empty, Options{})
	require.ErrorIs(t, err, ErrNotStore)

	other := filepath.Join(root, "other")
	require.NoError(t, os.Mkdir(other, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(other, "notes.txt"), []byte("x"), 0o600))
	_, err = OpenReadOnly(other, Options{})
	require.ErrorIs(t, err, ErrNotStore)
	names, err := os.ReadDir(other)
	require.NoError(t, err)
	require.Len(t, names, 1)

	store := filepath.Join(root, "store")
	require.NoError(t, newROWork(3).writeStore(t, store, roOpts(), 2).Close())
	for _, o := range []Options{{Repair: true}, {CutAfter: &Position{Segment: 1, Offset: 32}}} {
		_, err = OpenReadOnly(store, o)
		require.ErrorIs(t, err, messages.ErrInvalidArgument)
	}

	// An empty store (opened and closed, no event) is a store.
	blank := filepath.Join(root, "blank")
	w, err := Open(blank, Options{})
	require.NoError(t, err)
	require.NoError(t, w.Close())
	e, err := OpenReadOnly(blank, Options{})
	require.NoError(t, err)
	require.Zero(t, e.Stats().Events)
	require.NoError(t, e.Close())
}

// Damage in the middle of the log is the *CorruptionError Open gives, at
// the same place, and the files stay as they were.
func TestOpenReadOnlyCorruption(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, newROWork(4).writeStore(t, dir, roOpts(), 60).Close())
	// Damage the second segment's first frame and drop its footer, so
	// that both opens scan it.
	path := filepath.Join(dir, format.SegmentName(2))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b = b[:sealedDataEnd(b)]
	b[format.HeaderSize+10] ^= 0xFF
	require.NoError(t, os.WriteFile(path, b, 0o600))
	for _, ck := range []string{format.CheckpointName(1), format.CheckpointName(2)} {
		require.NoError(t, os.Remove(filepath.Join(dir, ck)))
	}
	before := hashDir(t, dir)

	_, rerr := OpenReadOnly(dir, Options{})
	var rce *CorruptionError
	require.True(t, errors.As(rerr, &rce), "%v", rerr)
	require.Equal(t, before, hashDir(t, dir))
	_, oerr := Open(dir, Options{})
	var oce *CorruptionError
	require.True(t, errors.As(oerr, &oce), "%v", oerr)
	require.Equal(t, oce.Segment, rce.Segment)
	require.Equal(t, oce.Offset, rce.Offset)
	require.Equal(t, uint64(2), rce.Segment)
}
