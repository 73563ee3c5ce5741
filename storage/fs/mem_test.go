package fs

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var seedFlag = flag.Uint64("fs.seed", 0, "seed for the random tests (0: time-based)")

// newRNG returns a seeded RNG and logs the seed; replay a failure with
// -fs.seed=SEED.
func newRNG(t *testing.T) *rand.Rand {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d", seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// memWithFile returns a Mem with the directory /d and an open file /d/f.
func memWithFile(t *testing.T) (*Mem, File) {
	t.Helper()
	m := NewMem()
	require.NoError(t, m.MkdirAll("/d", 0o755))
	f, err := m.OpenFile("/d/f", os.O_CREATE|os.O_RDWR, 0o644)
	require.NoError(t, err)
	return m, f
}

func write(t *testing.T, f File, s string, off int64) {
	t.Helper()
	_, err := f.WriteAt([]byte(s), off)
	require.NoError(t, err)
}

func readFile(t *testing.T, m *Mem, name string) string {
	t.Helper()
	b, err := m.ReadFile(name)
	require.NoError(t, err)
	return string(b)
}

func TestMemCrashKeepsDurableDataAndPrefix(t *testing.T) {
	rng := newRNG(t)
	m, f := memWithFile(t)
	durable := bytes.Repeat([]byte("D"), 100)
	_, err := f.WriteAt(durable, 0)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, m.SyncDir("/d"))
	unsynced := bytes.Repeat([]byte("u"), 100)
	_, err = f.WriteAt(unsynced, 100)
	require.NoError(t, err)
	require.EqualValues(t, 100, m.SyncedSize("/d/f"))
	full := append(append([]byte{}, durable...), unsynced...)

	lengths := map[int]bool{}
	for range 200 {
		c := m.Crash(rng)
		got, err := c.ReadFile("/d/f")
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(got), 100)
		require.Equal(t, full[:len(got)], got)
		require.EqualValues(t, len(got), c.SyncedSize("/d/f"), "all of it is durable after the crash")
		lengths[len(got)] = true
	}
	require.Greater(t, len(lengths), 1, "the surviving prefix is random")

	require.Equal(t, string(durable), readFile(t, m.CrashClean(), "/d/f"))
	// The receiver keeps working.
	require.Equal(t, string(full), readFile(t, m, "/d/f"))
	write(t, f, "more", 200)
	require.NoError(t, f.Sync())
	require.Equal(t, string(full)+"more", readFile(t, m.CrashClean(), "/d/f"))
}

func TestMemCrashAfterOverwriteKeepsOnlyDurable(t *testing.T) {
	rng := newRNG(t)
	m, f := memWithFile(t)
	write(t, f, "0123456789", 0)
	require.NoError(t, f.Sync())
	require.NoError(t, m.SyncDir("/d"))

	write(t, f, "XY", 4) // overwrites durable bytes, then extends
	write(t, f, "tail", 10)
	for range 20 {
		require.Equal(t, "0123456789", readFile(t, m.Crash(rng), "/d/f"))
	}
	require.NoError(t, f.Sync())
	require.Equal(t, "0123XY6789tail", readFile(t, m.CrashClean(), "/d/f"))

	require.NoError(t, f.Truncate(2)) // truncation below the durable size
	write(t, f, "23XY6789tailmore", 2)
	for range 20 {
		// The data happens to extend the durable data again.
		got := readFile(t, m.Crash(rng), "/d/f")
		require.Equal(t, "0123XY6789tailmore"[:len(got)], got)
		require.GreaterOrEqual(t, len(got), 14)
	}
	require.NoError(t, f.Truncate(5))
	require.Equal(t, "0123XY6789tail", readFile(t, m.Crash(rng), "/d/f"))
	require.NoError(t, f.Sync())
	require.Equal(t, "0123X", readFile(t, m.CrashClean(), "/d/f"))
}

func TestMemCreationNeedsSyncDir(t *testing.T) {
	rng := newRNG(t)
	m, f := memWithFile(t)
	write(t, f, "synced", 0)
	require.NoError(t, f.Sync()) // data durable, but not the file's existence

	for _, c := range []*Mem{m.Crash(rng), m.CrashClean()} {
		_, err := c.ReadFile("/d/f")
		require.ErrorIs(t, err, os.ErrNotExist)
		names, err := c.ReadDir("/d")
		require.NoError(t, err)
		require.Empty(t, names, "the directory itself survives")
	}

	require.NoError(t, m.SyncDir("/d"))
	require.Equal(t, "synced", readFile(t, m.CrashClean(), "/d/f"))

	// A file created and dir-synced but never File.Synced survives empty.
	g, err := m.OpenFile("/d/g", os.O_CREATE|os.O_RDWR, 0o644)
	require.NoError(t, err)
	write(t, g, "lost", 0)
	require.NoError(t, m.SyncDir("/d"))
	require.Equal(t, "", readFile(t, m.CrashClean(), "/d/g"))
	// Syncing another directory does not help.
	require.NoError(t, m.MkdirAll("/e", 0o755))
	h, err := m.OpenFile("/e/h", os.O_CREATE|os.O_RDWR, 0o644)
	require.NoError(t, err)
	require.NoError(t, h.Sync())
	require.NoError(t, m.SyncDir("/d"))
	_, err = m.CrashClean().ReadFile("/e/h")
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestMemRemovalNeedsSyncDir(t *testing.T) {
	m, f := memWithFile(t)
	write(t, f, "old", 0)
	require.NoError(t, f.Sync())
	require.NoError(t, m.SyncDir("/d"))

	require.NoError(t, m.Remove("/d/f"))
	_, err := m.ReadFile("/d/f")
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Equal(t, "old", readFile(t, m.CrashClean(), "/d/f"), "unsynced removal is undone")

	// A new file under the same name is not durable either: the old one
	// comes back.
	g, err := m.OpenFile("/d/f", os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
	require.NoError(t, err)
	write(t, g, "new", 0)
	require.NoError(t, g.Sync())
	require.Equal(t, "old", readFile(t, m.CrashClean(), "/d/f"))

	require.NoError(t, m.Remove("/d/f"))
	require.NoError(t, m.SyncDir("/d"))
	_, err = m.CrashClean().ReadFile("/d/f")
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestMemRemovedDirComesBackWithUnsyncedRemoval(t *testing.T) {
	m, f := memWithFile(t)
	require.NoError(t, f.Sync())
	require.NoError(t, m.SyncDir("/d"))
	require.NoError(t, m.Remove("/d/f"))
	require.NoError(t, m.Remove("/d"))
	c := m.CrashClean()
	names, err := c.ReadDir("/d")
	require.NoError(t, err)
	require.Equal(t, []string{"f"}, names)
}

func TestMemCrashReleasesLocks(t *testing.T) {
	m := NewMem()
	require.NoError(t, m.MkdirAll("/d", 0o755))
	l, err := m.Lock("/d/LOCK")
	require.NoError(t, err)
	require.NoError(t, m.SyncDir("/d"))

	for _, c := range []*Mem{m.CrashClean(), m.Clone()} {
		l2, err := c.Lock("/d/LOCK")
		require.NoError(t, err)
		require.NoError(t, l2.Close())
	}
	_, err = m.Lock("/d/LOCK")
	require.ErrorIs(t, err, ErrLocked, "the receiver still holds it")
	require.NoError(t, l.Close())
	require.Error(t, l.Close())
}

func TestMemClone(t *testing.T) {
	m, f := memWithFile(t)
	write(t, f, "unsynced, not dir-synced", 0)
	c := m.Clone()
	require.Equal(t, "unsynced, not dir-synced", readFile(t, c, "/d/f"))
	require.Equal(t, "unsynced, not dir-synced", readFile(t, c.CrashClean(), "/d/f"),
		"everything in a clone is durable")

	// The clone is independent of the original.
	write(t, f, "U", 0)
	require.Equal(t, "unsynced, not dir-synced", readFile(t, c, "/d/f"))
	cf, err := c.OpenFile("/d/f", os.O_RDWR, 0)
	require.NoError(t, err)
	write(t, cf, "C", 1)
	require.Equal(t, "Unsynced, not dir-synced", readFile(t, m, "/d/f"))
	require.Equal(t, "uCsynced, not dir-synced", readFile(t, c, "/d/f"))
}

func TestMemWriteFileIsDurable(t *testing.T) {
	m, f := memWithFile(t)
	require.NoError(t, m.WriteFile("/d/f", []byte("planted")))
	buf := make([]byte, 7)
	_, err := f.ReadAt(buf, 0)
	require.NoError(t, err)
	require.Equal(t, "planted", string(buf), "open handles see planted data")
	require.EqualValues(t, 7, m.SyncedSize("/d/f"))
	require.Equal(t, "planted", readFile(t, m.CrashClean(), "/d/f"))

	require.NoError(t, m.WriteFile("/d/new", []byte("x")))
	require.Equal(t, "x", readFile(t, m.CrashClean(), "/d/new"))
	require.ErrorIs(t, m.WriteFile("/nodir/x", nil), os.ErrNotExist)
	require.EqualValues(t, -1, m.SyncedSize("/d/missing"))
}

func TestMemPathsAreCleaned(t *testing.T) {
	m := NewMem()
	require.NoError(t, m.MkdirAll("/a/b/", 0o755))
	f, err := m.OpenFile("/a/./b//f", os.O_CREATE|os.O_RDWR, 0o644)
	require.NoError(t, err)
	write(t, f, "x", 0)
	require.Equal(t, "x", readFile(t, m, "/a/c/../b/f"))
	names, err := m.ReadDir("/a/b/.")
	require.NoError(t, err)
	require.Equal(t, []string{"f"}, names)

	// Relative paths live under ".".
	require.NoError(t, m.MkdirAll("rel", 0o755))
	require.NoError(t, m.WriteFile("rel/f", []byte("r")))
	names, err = m.ReadDir(".")
	require.NoError(t, err)
	require.Equal(t, []string{"rel"}, names)
}

func TestMemAppendHandleRejectsWriteAt(t *testing.T) {
	m, _ := memWithFile(t)
	f, err := m.OpenFile("/d/f", os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("x"), 0)
	require.Error(t, err)
	require.NoError(t, f.Truncate(0))
}

// TestMemSyncMatchesModel drives random writes, truncations and syncs and
// checks that the incremental Sync always makes exactly the current data
// durable.
func TestMemSyncMatchesModel(t *testing.T) {
	rng := newRNG(t)
	m, f := memWithFile(t)
	require.NoError(t, m.SyncDir("/d"))
	var model, durable []byte
	for i := range 2000 {
		switch op := rng.IntN(10); {
		case op < 6:
			off := rng.IntN(len(model) + 20)
			p := make([]byte, rng.IntN(20))
			for j := range p {
				p[j] = byte('a' + rng.IntN(26))
			}
			write(t, f, string(p), int64(off))
			if len(p) > 0 {
				if end := off + len(p); end > len(model) {
					model = append(model, make([]byte, end-len(model))...)
				}
				copy(model[off:], p)
			}
		case op < 8:
			size := rng.IntN(len(model) + 10)
			require.NoError(t, f.Truncate(int64(size)))
			if size <= len(model) {
				model = model[:size]
			} else {
				model = append(model, make([]byte, size-len(model))...)
			}
		default:
			require.NoError(t, f.Sync())
			durable = append([]byte{}, model...)
		}
		require.Equal(t, string(model), readFile(t, m, "/d/f"), "step %d", i)
		require.Equal(t, string(durable), readFile(t, m.CrashClean(), "/d/f"), "step %d", i)
		got := readFile(t, m.Crash(rng), "/d/f")
		if bytes.HasPrefix(model, durable) {
			require.Equal(t, string(model[:len(got)]), got, "step %d", i)
		} else {
			require.Equal(t, string(durable), got, "step %d", i)
		}
	}
}

// TestMemConcurrentReadersAndWriter is meant for -race: readers read what a
// writer appends and syncs.
func TestMemConcurrentReadersAndWriter(t *testing.T) {
	m, w := memWithFile(t)
	const chunks, chunk = 500, 16
	var wg sync.WaitGroup
	for range 4 {
		r, err := m.OpenFile("/d/f", os.O_RDONLY, 0)
		require.NoError(t, err)
		wg.Go(func() {
			buf := make([]byte, chunk)
			for i := range chunks {
				n, _ := r.ReadAt(buf, int64(i*chunk))
				for _, b := range buf[:n] {
					if b != byte(i) {
						t.Errorf("chunk %d: read %d", i, b)
						return
					}
				}
			}
			_ = r.Close()
		})
	}
	wg.Go(func() {
		for i := range chunks {
			if _, err := w.WriteAt(bytes.Repeat([]byte{byte(i)}, chunk), int64(i*chunk)); err != nil {
				t.Error(err)
				return
			}
			if i%50 == 0 {
				_ = w.Sync()
				_ = m.CrashClean()
			}
		}
	})
	wg.Wait()
	size, err := w.Size()
	require.NoError(t, err)
	require.EqualValues(t, chunks*chunk, size)
}
