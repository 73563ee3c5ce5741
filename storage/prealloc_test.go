package storage

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/stretchr/testify/require"
)

// With preallocation, crashes at random points keep every committed event,
// the zero tail is cut on reopen, and sealed segments carry no zeros.
func TestPreallocatedSegmentsThroughCrashes(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	h := newHarness(t, Options{SegmentSize: 8 << 10, Preallocate: 3 << 10})
	committed := map[messages.ID]messages.Receipt{}
	for round := 0; round < 40; round++ {
		for g := 0; g < 1+rng.IntN(6); g++ {
			var rs []messages.Receipt
			if rng.IntN(3) == 0 {
				its := items(fmt.Sprintf("b%d", rng.IntN(3)), "x", "yy", "zzz")
				got, err := h.e.AppendBatch(&messages.AppendBatch{Items: its})
				require.NoError(t, err)
				rs = got
			} else {
				rs = append(rs, h.append(messages.Append{Coordinate: coord(fmt.Sprintf("e%d", rng.IntN(4))), Payload: make([]byte, rng.IntN(900))}))
			}
			require.NoError(t, h.e.Commit())
			for _, r := range rs {
				committed[r.EventID] = r
			}
		}
		if rng.IntN(4) == 0 {
			h.reopen() // clean: the active segment is trimmed and sealed
			requireSealedTrimmed(t, h)
			continue
		}
		h.mem = h.mem.Crash(rng)
		h.opts.FS = h.mem
		h.open()
		for id, r := range committed {
			ev, err := h.e.Get(id)
			require.NoError(t, err, "round %d", round)
			require.Equal(t, r.Hash, ev.Hash)
		}
		_, err := h.e.Verify()
		require.NoError(t, err)
	}
}

// requireSealedTrimmed checks that no segment but the active one keeps a
// zero tail: sealed ones end with their footer, crashed ones were cut.
func requireSealedTrimmed(t *testing.T, h *harness) {
	t.Helper()
	ids, _, err := listSegments(h.mem, h.dir)
	require.NoError(t, err)
	active := h.e.WriterStats().ActiveSegment
	for _, id := range ids {
		if id == active {
			continue
		}
		f, err := h.mem.OpenFile(h.dir+"/"+format.SegmentName(id), os.O_RDONLY, 0)
		require.NoError(t, err)
		size, err := f.Size()
		require.NoError(t, err)
		res, err := scanSegment(f, id, size, 0, func(*format.Record) error { return nil })
		f.Close()
		require.NoError(t, err)
		require.Zero(t, res.torn, "segment %d keeps %d bytes after its data", id, res.torn)
	}
}

// With preallocation, failing each file operation of a workload in turn
// leaves a store that reopens with every committed event.
func TestPreallocatedSegmentsUnderFaults(t *testing.T) {
	workload := func(e *Engine) (committed []messages.Receipt) {
		for i := 0; i < 30; i++ {
			var rs []messages.Receipt
			if i%4 == 0 {
				got, err := e.AppendBatch(&messages.AppendBatch{Items: items("b", "one", "two", "three")})
				if err != nil {
					return committed
				}
				rs = got
			} else {
				r, err := e.Append(&messages.Append{Coordinate: coord(fmt.Sprint(i % 3)), Kind: testKind, Payload: make([]byte, 500)})
				if err != nil {
					return committed
				}
				rs = []messages.Receipt{r}
			}
			if e.Commit() != nil {
				return committed
			}
			committed = append(committed, rs...)
		}
		return committed
	}
	opts := func(f fs.FS) Options { return Options{FS: f, SegmentSize: 6 << 10, Preallocate: 2 << 10} }
	probe := fs.NewFaulty(fs.NewMem())
	e, err := Open("/d", opts(probe))
	require.NoError(t, err)
	require.Len(t, workload(e), 46) // 8 batches of 3 and 22 singles
	require.NoError(t, e.Close())
	ops := probe.Ops()
	for i := int64(1); i <= ops; i++ {
		mem := fs.NewMem()
		faulty := fs.NewFaulty(mem)
		faulty.FailAt(i, nil)
		e, err := Open("/d", opts(faulty))
		if err != nil {
			continue // the fault hit Open itself
		}
		committed := workload(e)
		e.Abandon()
		for _, view := range []*fs.Mem{mem.Clone(), mem.CrashClean()} {
			e, err := Open("/d", opts(view))
			require.NoError(t, err, "op %d (%s)", i, faulty.LastFault())
			for _, r := range committed {
				ev, err := e.Get(r.EventID)
				require.NoError(t, err, "op %d (%s): committed event lost", i, faulty.LastFault())
				require.Equal(t, r.Hash, ev.Hash)
			}
			_, err = e.Verify()
			require.NoError(t, err)
			require.NoError(t, e.Close())
		}
	}
}
