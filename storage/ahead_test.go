package storage

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/stretchr/testify/require"
)

// Tests of the work done ahead of need (ahead.go, seal.go): the next
// segment's file zero-filled while the active one fills, and the footer of
// a segment sealed at rotation made durable after its trailer.

// aheadOpts are small preallocated segments: a 900-byte event fills a
// tenth of one.
func aheadOpts() Options { return Options{SegmentSize: 8 << 10, Preallocate: 4 << 10} }

func aheadPayload(i int) []byte { return []byte(fmt.Sprintf("%-900d", i)) }

// The segment a rotation starts is the prepared file: renamed, already
// zero-filled past the segment size (so its groups overwrite zeros, and no
// chunk is zero-filled on the way), with nothing left under the prepared
// name; and the store reopens with every event, each sealed segment from
// its footer.
func TestRotationTakesThePreparedSegment(t *testing.T) {
	h := newHarness(t, aheadOpts())
	prep := filepath.Join(h.dir, prepName)
	var rs []messages.Receipt
	for i := 0; h.e.WriterStats().ActiveSegment < 4; i++ {
		seg := h.e.WriterStats().ActiveSegment
		if i > 0 && h.e.active.size > h.e.opts.SegmentSize*3/4 {
			size := h.mem.SyncedSize(prep) // the prepared file exists by now...
			data, err := h.mem.ReadFile(prep)
			require.NoError(t, err, "the next segment is prepared before the active one is full")
			require.GreaterOrEqual(t, int64(len(data)), h.e.opts.SegmentSize, "...a whole segment long (synced %d)", size)
			require.Equal(t, make([]byte, len(data)), data, "...and zeros")
		}
		rs = append(rs, h.put("e", string(aheadPayload(i))))
		if now := h.e.WriterStats().ActiveSegment; now != seg {
			s := h.e.active
			require.GreaterOrEqual(t, s.allocated, h.e.opts.SegmentSize, "segment %d starts zero-filled", now)
			size, err := s.f.Size()
			require.NoError(t, err)
			require.Equal(t, s.allocated, size)
		}
	}
	_, err := h.mem.ReadFile(prep)
	if err == nil {
		require.Less(t, h.e.next.size, h.e.opts.SegmentSize, "only a preparation in progress is left under the prepared name")
	}
	h.reopen()
	_, err = h.mem.ReadFile(prep)
	require.Error(t, err, "Close removes the prepared file")
	rec := h.e.Stats().Recovery
	require.Equal(t, rec.Segments, rec.FooterSegments)
	for _, r := range rs {
		ev, err := h.e.Get(r.EventID)
		require.NoError(t, err)
		require.Equal(t, r.Hash, ev.Hash)
	}
	_, err = h.e.Verify()
	require.NoError(t, err)
}

// A power cut right after a rotation keeps the sealed segment's trailer
// (synced) but maybe not its footer (written after): Open scans that
// segment and finds every event; after Close every footer is durable.
func TestTwoPhaseSealFootersAfterAPowerCut(t *testing.T) {
	for _, pre := range []int64{0, 4 << 10} {
		t.Run(fmt.Sprintf("prealloc=%d", pre), func(t *testing.T) {
			opts := aheadOpts()
			opts.Preallocate = pre
			h := newHarness(t, opts)
			var rs []messages.Receipt
			for i := 0; h.e.WriterStats().ActiveSegment < 3; i++ {
				rs = append(rs, h.put(fmt.Sprintf("e%d", i%3), string(aheadPayload(i))))
			}
			img := h.mem.CrashClean() // the footer of segment 2 was never synced
			o := opts
			o.FS = img
			e, err := Open(h.dir, o)
			require.NoError(t, err)
			rec := e.Stats().Recovery
			// Segment 1's footer was synced at the second rotation; segment
			// 2's was not: it is scanned, as the active segment 3 is.
			require.Equal(t, 1, rec.FooterSegments, "%+v", rec)
			require.Equal(t, 2, rec.ScannedSegments, "%+v", rec)
			for _, tt := range rec.TornTails {
				require.Contains(t, tt, "segment 3:", "only the active segment can have a torn tail")
			}
			for _, r := range rs {
				ev, err := e.Get(r.EventID)
				require.NoError(t, err)
				require.Equal(t, r.Hash, ev.Hash)
			}
			require.NoError(t, e.Close())

			require.NoError(t, h.e.Close())
			o.FS = h.mem.CrashClean()
			e, err = Open(h.dir, o)
			require.NoError(t, err)
			rec = e.Stats().Recovery
			require.Equal(t, rec.Segments, rec.FooterSegments, "Close made every footer durable: %+v", rec)
			require.Equal(t, len(rs), rec.Events)
			require.NoError(t, e.Close())
		})
	}
}

// Power cuts before every file-system operation of a workload that
// rotates through prepared segments (singles and batches, committed and
// pipelined): every image opens without repair, with every acknowledged
// event, and verifies.
func TestPowerLossAroundPreparedRotations(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	mem := fs.NewMem()
	type image struct {
		mem   *fs.Mem
		acked int
		where string
	}
	var (
		images  []image
		acked   []messages.Receipt
		renames int
	)
	pfs := &plFS{mem: mem, before: func(op, name string) {
		if op == "rename" && filepath.Base(name) == prepName {
			renames++
		}
		for range 2 {
			images = append(images, image{mem.PowerLoss(rng), len(acked), op + " " + filepath.Base(name)})
		}
	}}
	opts := aheadOpts()
	opts.FS = pfs
	e, err := Open("/d", opts)
	require.NoError(t, err)
	var inflight *Pending
	var inflightRs []messages.Receipt
	for i := 0; e.WriterStats().ActiveSegment < 5; i++ {
		var rs []messages.Receipt
		if i%5 == 4 {
			got, err := e.AppendBatch(&messages.AppendBatch{Items: []messages.BatchItem{
				{Coordinate: coord("b"), Kind: testKind, Payload: aheadPayload(i)},
				{Coordinate: coord("b"), Kind: testKind, Payload: aheadPayload(i + 1)},
			}})
			require.NoError(t, err)
			rs = got
		} else {
			r, err := e.Append(&messages.Append{Coordinate: coord(fmt.Sprint(i % 3)), Kind: testKind, Payload: aheadPayload(i)})
			require.NoError(t, err)
			rs = []messages.Receipt{r}
		}
		if i%2 == 0 { // pipelined: write this group, then finish the one before
			p, err := e.Write()
			require.NoError(t, err)
			if inflight != nil {
				require.NoError(t, inflight.Sync())
				require.NoError(t, e.Publish(inflight))
				acked = append(acked, inflightRs...)
			}
			inflight, inflightRs = p, rs
			continue
		}
		if inflight != nil {
			require.NoError(t, inflight.Sync())
			require.NoError(t, e.Publish(inflight))
			acked = append(acked, inflightRs...)
			inflight = nil
		}
		require.NoError(t, e.Commit())
		acked = append(acked, rs...)
	}
	require.NoError(t, e.Close())
	require.Equal(t, 4, renames, "every rotation takes the prepared file")
	acked = append(acked, inflightRs...) // Close published it
	images = append(images, image{mem.CrashClean(), len(acked), "after Close"})
	scanned := 0
	for i, img := range images {
		o := aheadOpts()
		o.FS = img.mem
		e, err := Open("/d", o)
		require.NoError(t, err, "image %d (before %s)", i, img.where)
		scanned += e.Stats().Recovery.ScannedSegments
		for _, r := range acked[:img.acked] {
			ev, err := e.Get(r.EventID)
			require.NoError(t, err, "image %d (before %s): acknowledged event lost", i, img.where)
			require.Equal(t, r.Hash, ev.Hash)
		}
		_, err = e.Verify()
		require.NoError(t, err, "image %d (before %s)", i, img.where)
		require.NoError(t, e.Close())
	}
	t.Logf("%d images, %d segment scans", len(images), scanned)
}
