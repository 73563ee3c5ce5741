package storage

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/stretchr/testify/require"
)

// TestCorruptionInAMappedSegmentIsACorruptionError flips a byte inside a
// frame of a sealed segment of real files (read through its map) and one
// of the active segment (read with ReadAt): each read of it is a
// *CorruptionError naming the segment and offset, the events before it
// come through, and nothing is yielded after the error.
func TestCorruptionInAMappedSegmentIsACorruptionError(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	opts := Options{SegmentSize: 4 << 10, SyncMode: SyncNone}
	e, err := Open(dir, opts)
	require.NoError(t, err)
	fillEvents(t, e, 60, 2, 300)
	require.NoError(t, e.Close())
	e, err = Open(dir, opts)
	require.NoError(t, err)
	defer e.Close()
	fillEvents(t, e, 4, 2, 100) // in the active segment
	evs, err := e.Query(Filter{})
	require.NoError(t, err)
	sealed, active := evs[20], evs[len(evs)-2]
	require.Less(t, sealed.Segment, active.Segment)
	if mapsOSFiles {
		require.NotNil(t, e.idx.segments[sealed.Segment].mapped())
	}
	require.Nil(t, e.idx.segments[active.Segment].mapped())
	for _, bad := range []messages.Event{sealed, active} {
		flipByte(t, filepath.Join(dir, format.SegmentName(bad.Segment)), bad.Offset+12)
		for _, c := range []struct {
			name string
			seq  func(func(messages.Event, error) bool)
			good int
		}{
			{"Read", e.Read(Filter{}), int(bad.Sequence)},
			{"ReadStream", e.ReadStream(bad.Coordinate, StreamRange{}), int(bad.Version - 1)},
		} {
			n, errsSeen := 0, 0
			for _, err := range c.seq {
				if err != nil {
					errsSeen++
					var ce *CorruptionError
					require.ErrorAs(t, err, &ce, c.name)
					require.Equal(t, bad.Segment, ce.Segment)
					require.Equal(t, bad.Offset, ce.Offset)
					require.ErrorIs(t, err, messages.ErrCorrupt)
					continue
				}
				require.Zero(t, errsSeen, "%s: an event after the error", c.name)
				n++
			}
			require.Equal(t, 1, errsSeen, c.name)
			require.Equal(t, c.good, n, "%s: the events before the damaged one", c.name)
		}
		_, err := e.Get(bad.ID)
		require.ErrorIs(t, err, ErrCorrupt)
		_, err = e.Verify()
		require.ErrorIs(t, err, ErrCorrupt)
		flipByte(t, filepath.Join(dir, format.SegmentName(bad.Segment)), bad.Offset+12) // repaired for the next case
	}
	_, err = e.Verify()
	require.NoError(t, err)
}

func flipByte(t *testing.T, path string, off int64) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	b := make([]byte, 1)
	_, err = f.ReadAt(b, off)
	require.NoError(t, err)
	b[0] ^= 0x40
	_, err = f.WriteAt(b, off)
	require.NoError(t, err)
}

// TestFramesOfAnotherEventAreCorruption: a frame whose checksum holds but
// that is not the event the index names (a segment swapped for another) is
// reported, not yielded.
func TestFramesOfAnotherEventAreCorruption(t *testing.T) {
	ev := messages.Event{ID: messages.NewID(), Sequence: 4, Coordinate: coord("a"), Kind: testKind}
	ev.CorrelationID = ev.ID
	en := ref{id: ev.ID, corr: ev.ID, seq: 4, kind: testKind, coord: coord("a")}
	for _, c := range []struct {
		name   string
		change func(*ref)
	}{
		{"id", func(r *ref) { r.id = messages.NewID() }},
		{"sequence", func(r *ref) { r.seq = 5 }},
		{"kind", func(r *ref) { r.kind = messages.MustKind(3, 3) }},
		{"correlation", func(r *ref) { r.corr = messages.NewID() }},
		{"entity", func(r *ref) { r.coord.Entity = "b" }},
		{"scope", func(r *ref) { r.coord.Scope = "other" }},
	} {
		frame := format.AppendEventFrame(nil, &ev, format.NewHasher())
		body, _, err := format.DecodeFrame(frame)
		require.NoError(t, err)
		var got messages.Event
		require.NoError(t, decodeRef(&en, body, &got))
		other := en
		c.change(&other)
		err = decodeRef(&other, body, &got)
		var ce *CorruptionError
		require.ErrorAs(t, err, &ce, c.name)
		require.Contains(t, ce.Reason, "another event", c.name)
	}
}
