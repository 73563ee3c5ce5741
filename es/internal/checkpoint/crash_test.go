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

// memDir is where the power-loss tests keep their checkpoints: two levels
// that do not exist until the first Save.
const memDir = "/proj/ckpt"

// cutBefore returns an empty Mem and a Faulty over it that fails every
// operation from the i-th on: the file system of a process whose power
// goes out before its operation i (nothing from it on reaches the disk;
// mem.PowerLoss then gives what the disk holds).
func cutBefore(i int64) (mem *fs.Mem, faulty *fs.Faulty) {
	mem = fs.NewMem()
	faulty = fs.NewFaulty(mem)
	faulty.FailFrom(i, nil)
	return mem, faulty
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

// A power cut at every moment of a sequence of Saves (before any of
// their file-system operations, and after the last), the first of them
// into a directory two levels of which do not exist yet, and with a
// restart (a new Dir) and a stale temporary file on the way: the
// checkpoint found afterwards is whole, and it is the last one
// acknowledged or the one being saved; none only before the first Save
// returned.
func TestPowerLossAtEveryStepOfSaves(t *testing.T) {
	rng := newRNG(t)
	recs := records(7)
	for i := int64(1); ; i++ {
		mem, faulty := cutBefore(i)
		d := New(faulty, memDir)
		acked, cut := 0, 0 // the last Save that returned nil, the one the cut interrupted
		for k := 1; k < len(recs) && cut == 0; k++ {
			switch k {
			case 3:
				require.NoError(t, mem.WriteFile(filepath.Join(memDir, ".p.tmp-42"), []byte("half a checkpoint")))
			case 5:
				d = New(faulty, memDir) // a restart
			}
			if err := d.Save("p", recs[k]); err != nil {
				cut = k
			} else {
				acked = k
			}
		}
		for range 10 {
			got, found, err := New(mem.PowerLoss(rng), memDir).Load("p")
			require.NoError(t, err, "whole or nothing (cut at %q)", faulty.LastFault())
			if !found {
				require.Zero(t, acked, "the checkpoint of Save %d, which returned, is gone (cut at %q)", acked, faulty.LastFault())
				continue
			}
			k := int(got.Next)
			require.True(t, k == acked || k == cut, "record %d after Save %d returned, Save %d cut (at %q)", k, acked, cut, faulty.LastFault())
			require.Equal(t, recs[k], got)
		}
		if cut == 0 {
			require.Greater(t, i, int64(7*5), "each Save creates, writes, syncs, renames and syncs the directory")
			t.Logf("power cut at %d moments", i)
			return
		}
	}
}

// After a power cut at any moment of the first two Saves (the first into
// a directory that does not exist yet), a new Dir on what the disk holds
// saves again: that checkpoint survives a second power cut, and no
// temporary file is left.
func TestSavesGoOnAfterAPowerCut(t *testing.T) {
	rng := newRNG(t)
	recs := records(3)
	for i := int64(1); ; i++ {
		mem, faulty := cutBefore(i)
		d := New(faulty, memDir)
		err1, err2 := d.Save("p", recs[1]), d.Save("p", recs[2])
		img := mem.PowerLoss(rng)
		require.NoError(t, New(img, memDir).Save("p", recs[3]), "after a cut at %q", faulty.LastFault())
		names, err := img.ReadDir(memDir)
		require.NoError(t, err)
		require.Equal(t, []string{"p.ckpt"}, names, "after a cut at %q", faulty.LastFault())
		for range 5 {
			got, found, err := New(img.PowerLoss(rng), memDir).Load("p")
			require.NoError(t, err)
			require.True(t, found, "after a cut at %q", faulty.LastFault())
			require.Equal(t, recs[3], got)
		}
		if err1 == nil && err2 == nil {
			return
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
		{name: "same Dir", dir: memDir},
		{name: "new Dir", dir: "/ckpt", restart: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := newRNG(t)
			recs := records(2)
			for i := int64(1); ; i++ {
				mem := fs.NewMem()
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
