package storage

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// roWork appends a mixed workload for the read-only tests: single events
// (some caused by an earlier event) and batches of 2-5 items, with
// payloads of 100-600 bytes, so that 4 KiB segments rotate often, also in
// the middle of a batch. It remembers what each Commit acknowledged.
type roWork struct {
	rng *rand.Rand
	mu  sync.Mutex
	// acked lists the ids of the acknowledged events, in sequence order;
	// batchOf maps a batch item's id to its batch's item ids.
	acked   []messages.ID
	batchOf map[messages.ID][]messages.ID
	n       int
	// pipelined writes each group and publishes it after the next one is
	// written (Write, then the previous group's Sync and Publish), so
	// that a written group is on file, unacknowledged, meanwhile.
	pipelined bool
	prev      *Pending
	prevIDs   []messages.ID
	prevBatch [][]messages.ID
}

func newROWork(seed uint64) *roWork {
	return &roWork{rng: rand.New(rand.NewPCG(seed, 7)), batchOf: map[messages.ID][]messages.ID{}}
}

func roOpts() Options { return Options{SegmentSize: minSegmentSize} }

func (w *roWork) payload() []byte {
	p := make([]byte, 100+w.rng.IntN(500))
	for i := range p {
		p[i] = byte('a' + (w.n+i)%26)
	}
	return p
}

func (w *roWork) coord() messages.Coordinate {
	return messages.Coordinate{Entity: fmt.Sprintf("e%d", w.rng.IntN(6)), Scope: "ro"}
}

// group stages 1-3 requests and commits them; it returns the error of the
// first call that failed.
func (w *roWork) group(e *Engine) error {
	var ids []messages.ID
	var batches [][]messages.ID
	for range 1 + w.rng.IntN(3) {
		w.n++
		if w.rng.IntN(3) == 0 {
			b := messages.AppendBatch{}
			for i := range 2 + w.rng.IntN(4) {
				it := messages.BatchItem{Coordinate: w.coord(), Kind: testKind, Payload: w.payload()}
				if i > 0 {
					it.Causation = messages.CausedByItem(i - 1)
				}
				b.Items = append(b.Items, it)
			}
			rs, err := e.AppendBatch(&b)
			if err != nil {
				return err
			}
			var bids []messages.ID
			for _, r := range rs {
				bids = append(bids, r.EventID)
			}
			ids = append(ids, bids...)
			batches = append(batches, bids)
			continue
		}
		a := messages.Append{Coordinate: w.coord(), Kind: testKind, Payload: w.payload()}
		w.mu.Lock()
		if n := len(w.acked); n > 0 && w.rng.IntN(2) == 0 {
			a.CausationID = w.acked[w.rng.IntN(n)]
		}
		w.mu.Unlock()
		r, err := e.Append(&a)
		if err != nil {
			return err
		}
		ids = append(ids, r.EventID)
	}
	if !w.pipelined {
		if err := e.Commit(); err != nil {
			return err
		}
		w.ack(ids, batches)
		return nil
	}
	p, err := e.Write()
	if err != nil {
		return err
	}
	if err := w.flush(e); err != nil {
		return err
	}
	w.prev, w.prevIDs, w.prevBatch = p, ids, batches
	return nil
}

// flush publishes the group a pipelined workload holds, if any.
func (w *roWork) flush(e *Engine) error {
	if w.prev == nil {
		return nil
	}
	if err := w.prev.Sync(); err != nil {
		return err
	}
	if err := e.Publish(w.prev); err != nil {
		return err
	}
	w.ack(w.prevIDs, w.prevBatch)
	w.prev = nil
	return nil
}

// ack records a published group.
func (w *roWork) ack(ids []messages.ID, batches [][]messages.ID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.acked = append(w.acked, ids...)
	for _, b := range batches {
		for _, id := range b {
			w.batchOf[id] = b
		}
	}
}

// ackedCount returns how many events were acknowledged so far.
func (w *roWork) ackedCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

// writeStore opens dir, appends groups groups and returns the engine.
func (w *roWork) writeStore(t *testing.T, dir string, opts Options, groups int) *Engine {
	t.Helper()
	e, err := Open(dir, opts)
	require.NoError(t, err)
	for range groups {
		require.NoError(t, w.group(e))
	}
	require.NoError(t, w.flush(e))
	return e
}

// allEvents reads every event of e (with payloads).
func allEvents(t *testing.T, e *Engine) []messages.Event {
	t.Helper()
	evs, err := e.Query(Filter{})
	require.NoError(t, err)
	return evs
}

// hashDir returns each file of dir with a hash of its bytes.
func hashDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, en := range entries {
		b, err := os.ReadFile(filepath.Join(dir, en.Name()))
		require.NoError(t, err)
		sum := sha256.Sum256(b)
		out[en.Name()] = fmt.Sprintf("%d:%s", len(b), hex.EncodeToString(sum[:8]))
	}
	return out
}

// lastSegment returns the path of dir's last segment file.
func lastSegment(t *testing.T, dir string) string {
	t.Helper()
	ids, _, err := listSegments(roOpts().withDefaults().FS, dir)
	require.NoError(t, err)
	require.NotEmpty(t, ids)
	return filepath.Join(dir, fmt.Sprintf("%010d.seg", ids[len(ids)-1]))
}

// appendToFile appends b to the file at path.
func appendToFile(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write(b)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}
