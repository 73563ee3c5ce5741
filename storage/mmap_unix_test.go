//go:build linux || darwin

package storage

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/stretchr/testify/require"
)

// TestMappedSegmentTruncatedFromOutsideIsAnError cuts a sealed, mapped
// segment of real files to nothing from outside the engine (the pages of
// its map now raise SIGBUS) and reads it: each read fails with an I/O
// error, the process goes on, and the other segments still read.
func TestMappedSegmentTruncatedFromOutsideIsAnError(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	opts := Options{SegmentSize: 64 << 10, SyncMode: SyncNone}
	e, err := Open(dir, opts)
	require.NoError(t, err)
	fillEvents(t, e, 1000, 4, 300) // several 64 KiB segments
	require.NoError(t, e.Close())
	e, err = Open(dir, opts)
	require.NoError(t, err)
	defer e.Close()
	evs, err := e.Query(Filter{})
	require.NoError(t, err)
	victim := evs[len(evs)/2]
	f := e.idx.segments[victim.Segment]
	require.NotNil(t, f.mapped(), "a sealed segment is mapped")
	require.Greater(t, len(f.mapped()), 2*os.Getpagesize())

	require.NoError(t, os.Truncate(filepath.Join(dir, format.SegmentName(victim.Segment)), 0))

	_, err = e.Get(victim.ID)
	require.ErrorIs(t, err, messages.ErrIO)
	require.Contains(t, err.Error(), "memory fault")
	n := 0
	for ev, err := range e.Read(Filter{FromSeq: victim.Sequence}) {
		if err != nil {
			require.ErrorIs(t, err, messages.ErrIO)
			break
		}
		require.NotEqual(t, victim.Segment, ev.Segment)
		n++
	}
	require.Zero(t, n, "the read fails at the first frame of the cut segment")
	for _, ev := range []messages.Event{evs[0], evs[len(evs)-1]} {
		if ev.Segment == victim.Segment {
			continue
		}
		got, err := e.Get(ev.ID)
		require.NoError(t, err, "other segments read on")
		require.Equal(t, ev.Payload, got.Payload)
	}
}

// copyMapped turns only faults into errors: any other panic goes on.
func TestCopyMappedRepanicsOtherPanics(t *testing.T) {
	require.Panics(t, func() { _ = copyMapped(make([]byte, 4), make([]byte, 2), 0) }, "an out-of-range copy is a bug, not a fault")
}
