package fs

import (
	"errors"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// newFaultyMem returns a Faulty over a Mem holding the directory /d.
func newFaultyMem(t *testing.T) (*Faulty, *Mem) {
	t.Helper()
	m := NewMem()
	require.NoError(t, m.MkdirAll("/d", 0o755))
	return NewFaulty(m), m
}

func TestFaultyCountsOnlyMutatingOps(t *testing.T) {
	f, _ := newFaultyMem(t)
	require.Zero(t, f.Ops())
	require.NoError(t, f.MkdirAll("/d/e", 0o755))                 // 1
	file, err := f.OpenFile("/d/f", os.O_CREATE|os.O_RDWR, 0o644) // 2
	require.NoError(t, err)
	write(t, file, "abc", 0)             // 3
	require.NoError(t, file.Sync())      // 4
	require.NoError(t, file.Truncate(2)) // 5
	require.NoError(t, f.SyncDir("/d"))  // 6
	l, err := f.Lock("/d/LOCK")          // 7
	require.NoError(t, err)
	require.EqualValues(t, 7, f.Ops())

	// Not counted: reads, ReadDir, Size, Close.
	_, err = file.ReadAt(make([]byte, 2), 0)
	require.NoError(t, err)
	_, err = file.Size()
	require.NoError(t, err)
	_, err = f.ReadDir("/d")
	require.NoError(t, err)
	require.NoError(t, l.Close())
	require.NoError(t, file.Close())
	require.EqualValues(t, 7, f.Ops())

	require.NoError(t, f.Remove("/d/f"))              // 8
	_, err = f.OpenFile("/d/missing", os.O_RDONLY, 0) // 9, fails on its own
	require.ErrorIs(t, err, os.ErrNotExist)
	require.EqualValues(t, 9, f.Ops())
	require.Empty(t, f.LastFault())
}

func TestFaultyFailAtIsOneShot(t *testing.T) {
	f, m := newFaultyMem(t)
	file, err := f.OpenFile("/d/f", os.O_CREATE|os.O_RDWR, 0o644)
	require.NoError(t, err)
	write(t, file, "durable", 0)
	require.NoError(t, file.Sync())

	boom := errors.New("boom")
	f.FailAt(3, boom)
	write(t, file, "!", 7)                   // 1
	_, err = file.ReadAt(make([]byte, 1), 0) // not counted
	require.NoError(t, err)
	require.NoError(t, f.SyncDir("/d"))   // 2
	require.ErrorIs(t, file.Sync(), boom) // 3 fails
	require.Equal(t, "sync /d/f", f.LastFault())
	require.EqualValues(t, 7, m.SyncedSize("/d/f"), "a failed op is not performed")
	require.NoError(t, file.Sync()) // later ops succeed
	require.EqualValues(t, 8, m.SyncedSize("/d/f"))
	require.NoError(t, f.Remove("/d/f"))

	// nil means ErrInjected; FailAt(1) is the very next op.
	f.FailAt(1, nil)
	_, err = f.OpenFile("/d/g", os.O_CREATE|os.O_RDWR, 0o644)
	require.ErrorIs(t, err, ErrInjected)
	require.Equal(t, "open /d/g", f.LastFault())
	_, err = m.ReadFile("/d/g")
	require.ErrorIs(t, err, os.ErrNotExist, "a failed open does not create")

	// Reset disarms a pending fault.
	f.FailAt(1, nil)
	f.Reset()
	require.NoError(t, f.MkdirAll("/x", 0o755))
	require.Equal(t, "open /d/g", f.LastFault())
}

func TestFaultyFailFromIsSticky(t *testing.T) {
	f, _ := newFaultyMem(t)
	file, err := f.OpenFile("/d/f", os.O_CREATE|os.O_RDWR, 0o644)
	require.NoError(t, err)

	f.FailFrom(2, syscall.ENOSPC)
	write(t, file, "ok", 0) // 1
	_, err = file.WriteAt([]byte("no"), 2)
	require.ErrorIs(t, err, syscall.ENOSPC)
	require.ErrorIs(t, file.Sync(), syscall.ENOSPC)
	require.ErrorIs(t, file.Truncate(0), syscall.ENOSPC)
	require.ErrorIs(t, f.SyncDir("/d"), syscall.ENOSPC)
	require.ErrorIs(t, f.Remove("/d/f"), syscall.ENOSPC)
	_, err = f.Lock("/d/LOCK")
	require.ErrorIs(t, err, syscall.ENOSPC)
	require.ErrorIs(t, f.MkdirAll("/d/e", 0o755), syscall.ENOSPC)
	require.Equal(t, "mkdirall /d/e", f.LastFault())
	// Reads still work.
	size, err := file.Size()
	require.NoError(t, err)
	require.EqualValues(t, 3, size, "half of the failed 2-byte write landed")

	f.Reset()
	require.NoError(t, file.Sync())
	require.NoError(t, f.SyncDir("/d"))
}

func TestFaultyPartialWrites(t *testing.T) {
	f, m := newFaultyMem(t)
	file, err := f.OpenFile("/d/f", os.O_CREATE|os.O_RDWR, 0o644)
	require.NoError(t, err)

	f.FailAt(1, nil)
	n, err := file.WriteAt([]byte("0123456789"), 0)
	require.ErrorIs(t, err, ErrInjected)
	require.Equal(t, 5, n)
	require.Equal(t, "01234", readFile(t, m, "/d/f"))
	require.Equal(t, "write /d/f", f.LastFault())

	f.FailAt(1, nil)
	n, err = file.WriteAt([]byte("abc"), 5) // half of 3, rounded down
	require.ErrorIs(t, err, ErrInjected)
	require.Equal(t, 1, n)
	require.Equal(t, "01234a", readFile(t, m, "/d/f"))

	f.SetPartialWrites(false)
	f.FailAt(1, nil)
	n, err = file.WriteAt([]byte("0123456789"), 6)
	require.ErrorIs(t, err, ErrInjected)
	require.Zero(t, n)
	require.Equal(t, "01234a", readFile(t, m, "/d/f"))
}

// TestFaultyConcurrent is meant for -race: exactly one of many concurrent
// operations fails.
func TestFaultyConcurrent(t *testing.T) {
	f, _ := newFaultyMem(t)
	file, err := f.OpenFile("/d/f", os.O_CREATE|os.O_RDWR, 0o644)
	require.NoError(t, err)
	const writers, each = 8, 100
	f.FailAt(writers*each/2, nil)

	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := 0
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if _, err := file.WriteAt([]byte{byte(i)}, int64(w*each+i)); err != nil {
					mu.Lock()
					failures++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	require.Equal(t, 1, failures)
	require.EqualValues(t, writers*each+1, f.Ops())
}
