package checkpoint

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/stretchr/testify/require"
)

func newRNG(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return rand.New(rand.NewPCG(seed, seed^0xc4c4))
}

// memWithDurableParent returns a Mem in which /db exists durably, as the
// event store's directory would.
func memWithDurableParent(t *testing.T) *fs.Mem {
	mem := fs.NewMem()
	require.NoError(t, mem.MkdirAll("/db", 0o700))
	require.NoError(t, mem.SyncDir("/"))
	return mem
}

// records returns n records, numbered 1 to n by their Next (index 0 is
// unused); every third has a state of several pages, which a power cut
// can tear page by page.
func records(n int) []Record {
	rs := make([]Record, n+1)
	for k := 1; k <= n; k++ {
		state := []byte(fmt.Sprintf("state %d", k))
		if k%3 == 0 {
			state = make([]byte, 3*fs.PowerLossPage+17)
			for i := range state {
				state[i] = byte(i*k + 1)
			}
		}
		rs[k] = Record{Type: "t/1", Next: uint64(k), Last: messages.NewID(), LastSeq: uint64(k - 1), State: state, WallMS: int64(k)}
	}
	return rs
}

// A power cut at every moment of a sequence of Saves (between any two of
// their file-system operations, and after each), the first of them into
// a directory two levels of which do not exist yet, and with a restart (a
// new Dir) and a stale temporary file on the way: the checkpoint found
// afterwards is whole, and it is the last one acknowledged or the one
// being saved; none only before the first Save returned.
func TestPowerLossAtEveryStepOfSaves(t *testing.T) {
	rng := newRNG(t)
	mem := memWithDurableParent(t)
	const dir = "/db/proj/ckpt"
	recs := records(7)
	var acked, saving int // the last record acknowledged (0: none), the one being saved
	cuts := 0
	check := func(when string) {
		for range 10 {
			cuts++
			got, found, err := New(mem.PowerLoss(rng), dir).Load("p")
			require.NoError(t, err, "whole or nothing (power cut %s)", when)
			if !found {
				require.Zero(t, acked, "the checkpoint of Save %d, which returned, is gone (power cut %s)", acked, when)
				continue
			}
			k := int(got.Next)
			require.True(t, k == acked || k == saving, "record %d after Save %d returned, during Save %d (power cut %s)", k, acked, saving, when)
			require.Equal(t, recs[k], got)
		}
	}
	sfs := &stepFS{FS: mem, before: func(op string) { check("before " + op) }}
	d := New(sfs, dir)
	for k := 1; k < len(recs); k++ {
		switch k {
		case 3:
			require.NoError(t, mem.WriteFile(filepath.Join(dir, ".p.tmp-42"), []byte("half a checkpoint")))
		case 5:
			d = New(sfs, dir) // a restart
		}
		saving = k
		require.NoError(t, d.Save("p", recs[k]))
		acked = k
		check(fmt.Sprintf("after Save %d", k))
	}
	t.Logf("%d power cuts", cuts)
}

// After a power cut at any moment of the first two Saves (the first into
// a directory that does not exist yet), a new Dir on what the disk holds
// saves again: that checkpoint survives a second power cut, and no
// temporary file is left.
func TestSavesGoOnAfterAPowerCut(t *testing.T) {
	rng := newRNG(t)
	mem := memWithDurableParent(t)
	const dir = "/db/proj/ckpt"
	recs := records(3)
	var images []*fs.Mem
	sfs := &stepFS{FS: mem, before: func(string) { images = append(images, mem.PowerLoss(rng)) }}
	d := New(sfs, dir)
	require.NoError(t, d.Save("p", recs[1]))
	require.NoError(t, d.Save("p", recs[2]))
	require.Greater(t, len(images), 10)
	for i, img := range images {
		require.NoError(t, New(img, dir).Save("p", recs[3]), "after power cut %d", i)
		names, err := img.ReadDir(dir)
		require.NoError(t, err)
		require.Equal(t, []string{"p.ckpt"}, names, "after power cut %d", i)
		for range 5 {
			got, found, err := New(img.PowerLoss(rng), dir).Load("p")
			require.NoError(t, err)
			require.True(t, found, "after power cut %d", i)
			require.Equal(t, recs[3], got)
		}
	}
}

// A Save that fails at any one of its file-system operations returns an
// error matching messages.ErrIO or messages.ErrSyncFailed; a later Save
// that returns nil is durable, whatever the failed one left undone: by the
// same Dir, into a directory two levels of which the failed Save created,
// or by a new Dir (a restart without a power cut) into one it created.
func TestSaveAfterAFailedSaveIsDurable(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dir     string
		restart bool
	}{
		{name: "same Dir", dir: "/db/proj/ckpt"},
		{name: "new Dir", dir: "/db/ckpt", restart: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := newRNG(t)
			recs := records(2)
			for i := int64(1); ; i++ {
				mem := memWithDurableParent(t)
				faulty := fs.NewFaulty(mem)
				d := New(faulty, tc.dir)
				faulty.FailAt(i, nil)
				err := d.Save("p", recs[1])
				fired := faulty.LastFault()
				faulty.Reset()
				if err != nil {
					require.ErrorIs(t, err, fs.ErrInjected)
					require.True(t, errors.Is(err, messages.ErrIO) || errors.Is(err, messages.ErrSyncFailed), "%v", err)
				}
				if tc.restart {
					d = New(faulty, tc.dir)
				}
				require.NoError(t, d.Save("p", recs[2]), "after fault %q", fired)
				for range 20 {
					got, found, err := New(mem.PowerLoss(rng), tc.dir).Load("p")
					require.NoError(t, err)
					require.True(t, found, "the checkpoint is lost (fault %q)", fired)
					require.Equal(t, recs[2], got, "fault %q", fired)
				}
				if fired == "" {
					require.Greater(t, i, int64(6), "a first Save creates, syncs the parent, creates, writes, syncs, renames, syncs")
					return
				}
			}
		})
	}
}
