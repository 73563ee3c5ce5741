package storage

import (
	"strings"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/stretchr/testify/require"
)

// powercutImage returns the image of the harness's store after a power
// cut that persisted every written byte except those in [from, to) of the
// active segment, which never reached the disk (zeros, or, past the old
// end of the file, a hole).
func powercutImage(t *testing.T, h *harness, from, to int64) *fs.Mem {
	t.Helper()
	img := h.mem.Clone()
	path := h.e.active.path
	data, err := img.ReadFile(path)
	require.NoError(t, err)
	clear(data[from:min(to, int64(len(data)))])
	require.NoError(t, img.WriteFile(path, data))
	return img
}

// TestPowerCutOutOfOrderPages reproduces the trust issue's power cut: A is
// committed; B and C are written but not synced; C's page reaches the disk,
// B's does not. Open must succeed without Repair, keep A and cut B and C
// as a torn tail (neither was acknowledged).
func TestPowerCutOutOfOrderPages(t *testing.T) {
	for _, prealloc := range []int64{0, 64 << 10} {
		h := newHarness(t, Options{Preallocate: prealloc})
		a := h.put("acct/1", "A")
		endA := h.e.active.size
		h.append(messages.Append{Coordinate: coord("acct/1"), Payload: []byte(strings.Repeat("B", 300))})
		pb, err := h.e.Write()
		require.NoError(t, err)
		endB := h.e.active.size
		h.append(messages.Append{Coordinate: coord("acct/2"), Payload: []byte(strings.Repeat("C", 300))})
		pc, err := h.e.Write()
		require.NoError(t, err)
		require.NotNil(t, pb)
		require.NotNil(t, pc)

		img := powercutImage(t, h, endA, endB) // B lost, C persisted
		e, err := Open(h.dir, Options{FS: img})
		require.NoError(t, err, "a power cut must never leave a store that will not open")
		got, err := e.Get(a.EventID)
		require.NoError(t, err)
		require.Equal(t, "A", string(got.Payload))
		st := e.Stats()
		require.Equal(t, 1, st.Recovery.Events)
		require.Len(t, st.Recovery.TornTails, 1, "B and C are cut as a torn tail")
		_, err = e.Verify()
		require.NoError(t, err)
		// Appends continue, and the next open is clean.
		_, err = e.Append(&messages.Append{Coordinate: coord("acct/1"), Kind: testKind, Payload: []byte("D"),
			Expected: messages.Exactly(1)})
		require.NoError(t, err)
		require.NoError(t, e.Commit())
		require.NoError(t, e.Close())
		e, err = Open(h.dir, Options{FS: img})
		require.NoError(t, err)
		require.Empty(t, e.Stats().Recovery.TornTails)
		evs, err := e.Stream(coord("acct/1"), 1)
		require.NoError(t, err)
		require.Equal(t, []string{"A", "D"}, payloads(evs))
		require.NoError(t, e.Close())
	}
}

// TestBitRotInSyncedDataIsCorruption flips a bit in a group that a later
// group's sync mark records as durable: that is damage, not a torn write,
// and Open fails with a *CorruptionError naming the frame, also in the last
// (unsealed) segment.
func TestBitRotInSyncedDataIsCorruption(t *testing.T) {
	h := newHarness(t, Options{})
	h.put("acct/1", "A")
	h.put("acct/1", "B") // its group starts with a mark: A is durable
	h.put("acct/1", "C")
	img := h.mem.Clone()
	path := h.e.active.path
	data, err := img.ReadFile(path)
	require.NoError(t, err)
	data[format.HeaderSize+format.FrameHeaderSize+3] ^= 0x10 // inside A's frame
	require.NoError(t, img.WriteFile(path, data))
	_, err = Open(h.dir, Options{FS: img})
	var ce *CorruptionError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, int64(format.HeaderSize), ce.Offset)
	require.Equal(t, h.e.active.id, ce.Segment)
}
