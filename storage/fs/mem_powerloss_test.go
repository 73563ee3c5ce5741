package fs

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

const pg = PowerLossPage

// images is how many power-loss images a test takes of one state: with
// independent fair coins, a given outcome of a choice is missed with
// probability 2^-images, and one of four combinations with (3/4)^images.
const images = 200

// fill returns n bytes of c.
func fill(c byte, n int) []byte { return bytes.Repeat([]byte{c}, n) }

// durableFile creates name holding data, synced, with its directory synced
// (the directory must exist and be durable).
func durableFile(t *testing.T, m *Mem, name string, data []byte) File {
	t.Helper()
	f, err := m.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
	require.NoError(t, err)
	_, err = f.WriteAt(data, 0)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, m.SyncDir(dirOf(name)))
	return f
}

func dirOf(name string) string {
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == '/' {
			return name[:i]
		}
	}
	return "/"
}

// durableDir creates dir (a child of "/") and makes its existence durable.
func durableDir(t *testing.T, m *Mem, dir string) {
	t.Helper()
	require.NoError(t, m.MkdirAll(dir, 0o755))
	require.NoError(t, m.SyncDir("/"))
}

// exists reports whether name is a file of m, and its contents.
func exists(t *testing.T, m *Mem, name string) ([]byte, bool) {
	t.Helper()
	b, err := m.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false
	}
	require.NoError(t, err)
	return b, true
}

// isDir reports whether dir is a directory of m.
func isDir(t *testing.T, m *Mem, dir string) bool {
	t.Helper()
	_, err := m.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false
	}
	require.NoError(t, err)
	return true
}

// Unsynced overwrites reach the disk page by page, in any combination;
// pages that did not change since the sync are kept exactly.
func TestPowerLossPagesSurviveInAnyCombination(t *testing.T) {
	rng := newRNG(t)
	m := NewMem()
	durableDir(t, m, "/d")
	old := fill('A', 5*pg)
	f := durableFile(t, m, "/d/f", old)
	write(t, f, string(fill('B', 100)), pg+100) // page 1, partly
	write(t, f, string(fill('C', pg)), 3*pg)    // page 3, whole
	cur, err := m.ReadFile("/d/f")
	require.NoError(t, err)

	combos := map[[2]bool]int{}
	for range images {
		img := m.PowerLoss(rng)
		got, ok := exists(t, img, "/d/f")
		require.True(t, ok, "a durable file survives")
		require.Len(t, got, 5*pg, "the size did not change")
		for _, p := range []int{0, 2, 4} {
			require.Equal(t, old[p*pg:(p+1)*pg], got[p*pg:(p+1)*pg], "unchanged page %d", p)
		}
		var combo [2]bool
		for i, p := range []int{1, 3} {
			page := got[p*pg : (p+1)*pg]
			isNew := bytes.Equal(page, cur[p*pg:(p+1)*pg])
			require.True(t, isNew || bytes.Equal(page, old[p*pg:(p+1)*pg]), "page %d is its old or its new bytes", p)
			combo[i] = isNew
		}
		combos[combo]++
	}
	require.Len(t, combos, 4, "each changed page is decided on its own: %v", combos)
	got, err := m.ReadFile("/d/f")
	require.NoError(t, err)
	require.Equal(t, cur, got, "the receiver is not changed")
}

// An unsynced extension may or may not have reached the disk, and its
// pages (also the zeros beyond the synced length) are decided one by one.
func TestPowerLossExtensionKeepsSyncedBytes(t *testing.T) {
	rng := newRNG(t)
	m := NewMem()
	durableDir(t, m, "/d")
	synced := fill('S', pg+pg/2)
	f := durableFile(t, m, "/d/f", synced)
	write(t, f, string(fill('N', 2*pg-pg/4)), int64(len(synced)))
	write(t, f, "XXXXXXXXXX", 0)
	cur, err := m.ReadFile("/d/f")
	require.NoError(t, err)
	require.Len(t, cur, 3*pg+pg/4)

	sizes := map[int]bool{}
	page2 := map[bool]bool{}
	for range images {
		got, ok := exists(t, m.PowerLoss(rng), "/d/f")
		require.True(t, ok)
		sizes[len(got)] = true
		require.Contains(t, []int{len(synced), len(cur)}, len(got), "the size is the synced or the current one")
		require.Equal(t, synced[10:], got[10:len(synced)], "synced bytes that did not change are never lost")
		for off := 0; off < len(got); off += pg {
			end := min(off+pg, len(got))
			oldPage := make([]byte, end-off)
			copy(oldPage, synced[min(off, len(synced)):min(end, len(synced))])
			isNew := bytes.Equal(got[off:end], cur[off:end])
			require.True(t, isNew || bytes.Equal(got[off:end], oldPage), "page at %d", off)
			if off == 2*pg {
				page2[isNew] = true
			}
		}
	}
	require.Len(t, sizes, 2, "both sizes happen")
	require.Len(t, page2, 2, "a page beyond the synced length holds zeros or the new bytes")
}

// A truncation changes only the size: the image has the synced size and
// the old bytes, or the truncated size.
func TestPowerLossTruncation(t *testing.T) {
	rng := newRNG(t)
	m := NewMem()
	durableDir(t, m, "/d")
	synced := fill('S', 3*pg)
	f := durableFile(t, m, "/d/f", synced)
	require.NoError(t, f.Truncate(1000))
	sizes := map[int]bool{}
	for range images {
		got, ok := exists(t, m.PowerLoss(rng), "/d/f")
		require.True(t, ok)
		sizes[len(got)] = true
		require.Equal(t, synced[:len(got)], got)
	}
	require.Equal(t, map[int]bool{1000: true, 3 * pg: true}, sizes)

	require.NoError(t, f.Sync())
	for range images {
		got, _ := exists(t, m.PowerLoss(rng), "/d/f")
		require.Equal(t, synced[:1000], got, "a synced truncation is final")
	}
}

// TestPowerLossMatchesModel runs random writes, truncations and syncs on
// one file and checks every image against a model kept by the test: the
// size is the synced or the current one, and every page holds its new
// bytes or its old ones.
func TestPowerLossMatchesModel(t *testing.T) {
	rng := newRNG(t)
	m := NewMem()
	durableDir(t, m, "/d")
	f := durableFile(t, m, "/d/f", nil)
	var cur, synced []byte
	mixed := 0 // images in which one page kept old and another took new bytes
	for step := range 300 {
		switch op := rng.IntN(10); {
		case op < 6:
			off := rng.IntN(6 * pg)
			p := fill(byte('a'+rng.IntN(26)), 1+rng.IntN(2*pg))
			write(t, f, string(p), int64(off))
			if end := off + len(p); end > len(cur) {
				cur = append(cur, make([]byte, end-len(cur))...)
			}
			copy(cur[off:], p)
		case op < 8:
			size := rng.IntN(7 * pg)
			require.NoError(t, f.Truncate(int64(size)))
			if size < len(cur) {
				cur = cur[:size]
			} else {
				cur = append(cur, make([]byte, size-len(cur))...)
			}
		default:
			require.NoError(t, f.Sync())
			synced = bytes.Clone(cur)
		}
		for range 8 {
			got, ok := exists(t, m.PowerLoss(rng), "/d/f")
			require.True(t, ok)
			require.Contains(t, []int{len(synced), len(cur)}, len(got), "step %d: size", step)
			var sawOld, sawNew bool
			for off := 0; off < len(got); off += pg {
				end := min(off+pg, len(got))
				oldPage := make([]byte, end-off)
				copy(oldPage, synced[min(off, len(synced)):min(end, len(synced))])
				newPage := bytes.Clone(oldPage) // beyond the current size: the old bytes
				copy(newPage, cur[min(off, len(cur)):min(end, len(cur))])
				isOld, isNew := bytes.Equal(got[off:end], oldPage), bytes.Equal(got[off:end], newPage)
				require.True(t, isOld || isNew, "step %d: page at %d is neither old nor new", step, off)
				sawOld = sawOld || (isOld && !isNew)
				sawNew = sawNew || (isNew && !isOld)
			}
			if sawOld && sawNew {
				mixed++
			}
		}
	}
	require.Positive(t, mixed, "some images mix old and new pages")
}

// Creations and removals not yet made durable by SyncDir may or may not
// survive; those made durable always do.
func TestPowerLossCreationAndRemoval(t *testing.T) {
	rng := newRNG(t)
	m := NewMem()
	durableDir(t, m, "/d")
	durableFile(t, m, "/d/kept", []byte("kept"))
	durableFile(t, m, "/d/gone", []byte("gone"))
	f, err := m.OpenFile("/d/new", os.O_CREATE|os.O_RDWR, 0o644)
	require.NoError(t, err)
	write(t, f, "new", 0)
	require.NoError(t, f.Sync())
	require.NoError(t, m.Remove("/d/gone"))

	seenNew, seenGone := map[bool]bool{}, map[bool]bool{}
	for range images {
		img := m.PowerLoss(rng)
		got, ok := exists(t, img, "/d/kept")
		require.True(t, ok)
		require.Equal(t, "kept", string(got))
		got, ok = exists(t, img, "/d/new")
		seenNew[ok] = true
		if ok {
			require.Equal(t, "new", string(got))
		}
		got, ok = exists(t, img, "/d/gone")
		seenGone[ok] = true
		if ok {
			require.Equal(t, "gone", string(got), "a removal that did not reach the disk brings the data back")
		}
	}
	require.Len(t, seenNew, 2, "an unsynced creation may or may not survive")
	require.Len(t, seenGone, 2, "an unsynced removal may or may not survive")

	require.NoError(t, m.SyncDir("/d"))
	for range images {
		img := m.PowerLoss(rng)
		_, ok := exists(t, img, "/d/new")
		require.True(t, ok, "a synced creation survives")
		_, ok = exists(t, img, "/d/gone")
		require.False(t, ok, "a synced removal survives")
	}
}

// A rename is atomic: old name or new name, never both, never neither; a
// rename that replaced a file restores that file when it is undone.
func TestPowerLossRenameIsAtomic(t *testing.T) {
	rng := newRNG(t)
	m := NewMem()
	durableDir(t, m, "/d")
	durableFile(t, m, "/d/a", []byte("A"))
	durableFile(t, m, "/d/x", []byte("X"))
	durableFile(t, m, "/d/y", []byte("Y"))
	require.NoError(t, m.Rename("/d/a", "/d/b"))
	require.NoError(t, m.Rename("/d/x", "/d/y")) // replaces y

	outcomes := map[string]int{}
	for range images {
		img := m.PowerLoss(rng)
		a, okA := exists(t, img, "/d/a")
		b, okB := exists(t, img, "/d/b")
		require.True(t, okA != okB, "a renamed file is under exactly one name (a: %t, b: %t)", okA, okB)
		require.Equal(t, "A", string(a)+string(b))
		x, okX := exists(t, img, "/d/x")
		y, okY := exists(t, img, "/d/y")
		require.True(t, okY, "y is always there: the old y or the renamed x")
		switch {
		case okX:
			require.Equal(t, "X", string(x))
			require.Equal(t, "Y", string(y), "rename undone: both files as they were")
		default:
			require.Equal(t, "X", string(y), "rename done: x replaced y")
		}
		outcomes[fmt.Sprintf("a:%t x:%t", okA, okX)]++
	}
	require.Len(t, outcomes, 4, "each rename is decided on its own: %v", outcomes)

	require.NoError(t, m.SyncDir("/d"))
	for range images {
		img := m.PowerLoss(rng)
		names, err := img.ReadDir("/d")
		require.NoError(t, err)
		require.Equal(t, []string{"b", "y"}, names, "synced renames are final")
	}
}

// A rename into another directory is durable once that directory is
// synced; the file never shows under both names.
func TestPowerLossRenameAcrossDirectories(t *testing.T) {
	rng := newRNG(t)
	m := NewMem()
	durableDir(t, m, "/d")
	durableDir(t, m, "/e")
	durableFile(t, m, "/d/c", []byte("C"))
	require.NoError(t, m.Rename("/d/c", "/e/c"))
	seen := map[bool]bool{}
	for range images {
		img := m.PowerLoss(rng)
		_, inD := exists(t, img, "/d/c")
		_, inE := exists(t, img, "/e/c")
		require.True(t, inD != inE)
		seen[inE] = true
	}
	require.Len(t, seen, 2)
	require.NoError(t, m.SyncDir("/e"))
	for range images {
		img := m.PowerLoss(rng)
		_, inD := exists(t, img, "/d/c")
		_, inE := exists(t, img, "/e/c")
		require.True(t, inE && !inD, "the target directory was synced")
	}
}

// A directory created by MkdirAll is durable only once its parent is
// synced: until then it may vanish with everything in it, even files
// synced into it. Crash and CrashClean keep it, as before.
func TestPowerLossUnsyncedDirectoryCanVanish(t *testing.T) {
	rng := newRNG(t)
	m := NewMem()
	require.NoError(t, m.MkdirAll("/a/b", 0o755))
	durableFile(t, m, "/a/b/f", []byte("F")) // syncs /a/b only

	seen := map[string]bool{}
	for range images {
		img := m.PowerLoss(rng)
		a, b := isDir(t, img, "/a"), isDir(t, img, "/a/b")
		_, f := exists(t, img, "/a/b/f")
		require.False(t, b && !a, "a directory never outlives its parent")
		require.Equal(t, b, f, "the file is there exactly when its directory is")
		seen[fmt.Sprintf("a:%t b:%t", a, b)] = true
	}
	require.Len(t, seen, 3, "/a gone, /a/b gone, both there: %v", seen)
	for _, c := range []*Mem{m.Crash(rng), m.CrashClean()} {
		_, ok := exists(t, c, "/a/b/f")
		require.True(t, ok, "Crash and CrashClean keep directories")
	}

	require.NoError(t, m.SyncDir("/"))
	seenB := map[bool]bool{}
	for range images {
		img := m.PowerLoss(rng)
		require.True(t, isDir(t, img, "/a"), "a synced directory never vanishes")
		seenB[isDir(t, img, "/a/b")] = true
	}
	require.Len(t, seenB, 2, "its unsynced child still may")

	require.NoError(t, m.SyncDir("/a"))
	for range images {
		img := m.PowerLoss(rng)
		got, ok := exists(t, img, "/a/b/f")
		require.True(t, ok)
		require.Equal(t, "F", string(got))
	}
}

// The removal of an empty directory is durable only once its parent is
// synced.
func TestPowerLossDirectoryRemovalNeedsSyncDir(t *testing.T) {
	rng := newRNG(t)
	m := NewMem()
	durableDir(t, m, "/z")
	require.NoError(t, m.Remove("/z"))
	seen := map[bool]bool{}
	for range images {
		seen[isDir(t, m.PowerLoss(rng), "/z")] = true
	}
	require.Len(t, seen, 2)
	require.NoError(t, m.SyncDir("/"))
	for range images {
		require.False(t, isDir(t, m.PowerLoss(rng), "/z"))
	}
}

// The image holds no locks, is wholly durable, and is independent of the
// receiver, which keeps working.
func TestPowerLossImageIsFreshAndIndependent(t *testing.T) {
	rng := newRNG(t)
	m := NewMem()
	require.NoError(t, m.MkdirAll("/d", 0o755))
	lock, err := m.Lock("/d/LOCK")
	require.NoError(t, err)
	f, err := m.OpenFile("/d/f", os.O_CREATE|os.O_RDWR, 0o644)
	require.NoError(t, err)
	write(t, f, string(fill('u', 3*pg)), 0)

	var img *Mem
	for img == nil || !isDir(t, img, "/d") || img.SyncedSize("/d/f") <= 0 {
		img = m.PowerLoss(rng)
	}
	l2, err := img.Lock("/d/LOCK")
	require.NoError(t, err, "no locks are held in the image")
	require.NoError(t, l2.Close())
	data, err := img.ReadFile("/d/f")
	require.NoError(t, err)
	require.EqualValues(t, len(data), img.SyncedSize("/d/f"), "everything in the image is durable")
	for range 20 {
		again := img.PowerLoss(rng)
		got, err := again.ReadFile("/d/f")
		require.NoError(t, err)
		require.Equal(t, data, got, "an image loses nothing to a second power cut")
	}

	g, err := img.OpenFile("/d/f", os.O_RDWR, 0)
	require.NoError(t, err)
	write(t, g, "image", 0)
	write(t, f, "recv", 0)
	got, err := m.ReadFile("/d/f")
	require.NoError(t, err)
	require.Equal(t, "recv", string(got[:4]), "the receiver keeps working, unaffected")
	got, err = img.ReadFile("/d/f")
	require.NoError(t, err)
	require.Equal(t, "image", string(got[:5]))
	require.NoError(t, lock.Close())
}

// PowerLoss may run while other goroutines use the Mem (run with -race).
func TestPowerLossConcurrentWithWriters(t *testing.T) {
	m := NewMem()
	durableDir(t, m, "/d")
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			name := fmt.Sprintf("/d/w%d", w)
			f, err := m.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
			if err != nil {
				t.Error(err)
				return
			}
			for i := range 300 {
				if _, err := f.WriteAt(fill(byte(i), 100), int64(rng.IntN(3*pg))); err != nil {
					t.Error(err)
					return
				}
				switch i % 7 {
				case 0:
					f.Sync()
				case 3:
					m.SyncDir("/d")
				case 5:
					m.Rename(name, name+"x")
					m.Rename(name+"x", name)
				}
			}
		}()
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for range 200 {
		img := m.PowerLoss(rng)
		require.True(t, isDir(t, img, "/d"))
	}
	wg.Wait()
}
