package storage

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/stretchr/testify/require"
)

// inFlightFS shows the bytes of one file from offset at on as zeros to
// the first read that covers at (every read, if sticky): the view of a
// reader that met a frame a writer was writing, while the reads after it
// see what the writer wrote since (sync marks that say it is durable).
type inFlightFS struct {
	fs.FS
	path   string
	at     int64
	sticky bool
	mu     sync.Mutex
	shown  int // reads that saw the zeros
}

func (v *inFlightFS) OpenFile(name string, flag int, perm os.FileMode) (fs.File, error) {
	f, err := v.FS.OpenFile(name, flag, perm)
	if err != nil || filepath.Clean(name) != v.path {
		return f, err
	}
	return &inFlightFile{File: f, v: v}, nil
}

type inFlightFile struct {
	fs.File
	v *inFlightFS
}

func (f *inFlightFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.File.ReadAt(p, off)
	v := f.v
	v.mu.Lock()
	defer v.mu.Unlock()
	if off <= v.at && v.at < off+int64(n) && (v.sticky || v.shown == 0) {
		clear(p[v.at-off : n])
		v.shown++
	}
	return n, err
}

// A frame in the last segment that a read-only open meets half written,
// while sync marks written after it (read a moment later) say it is
// durable, is read again: an open that races a writer this way does not
// report corruption. Damage that stays is still corruption, as Open
// reports it.
func TestOpenReadOnlyLooksAgainAtAFrameInFlight(t *testing.T) {
	mem := fs.NewMem()
	e, err := Open("/data", Options{FS: mem, SegmentSize: 1 << 20})
	require.NoError(t, err)
	var all []messages.Event
	for i := range 20 { // one group per event: each group after the first has a sync mark
		_, err := e.Append(&messages.Append{Coordinate: coord("e"), Kind: testKind, Payload: []byte{byte(i)}})
		require.NoError(t, err)
		require.NoError(t, e.Commit())
	}
	all = allEvents(t, e)
	require.NoError(t, e.Abandon()) // a crash: the segment keeps no footer and is scanned
	mid := all[10]

	for _, sticky := range []bool{false, true} {
		v := &inFlightFS{FS: mem, path: "/data/" + filepathBase(mid.Segment), at: mid.Offset, sticky: sticky}
		ro, err := OpenReadOnly("/data", Options{FS: v})
		require.Positive(t, v.shown)
		if !sticky {
			require.NoError(t, err)
			require.Equal(t, all, allEvents(t, ro))
			require.NoError(t, ro.Close())
			continue
		}
		var ce *CorruptionError
		require.True(t, errors.As(err, &ce), "%v", err)
		require.Equal(t, mid.Offset, ce.Offset)
		require.Equal(t, mid.Segment, ce.Segment)
	}
}

func filepathBase(seg uint64) string { return format.SegmentName(seg) }
