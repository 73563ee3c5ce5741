package storage

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage/format"
)

// TestSegmentsWrittenBeforeMetadataRead opens testdata/v0store, two
// sealed segments written by the engine as it was before events had
// metadata (commit 3ed5a34: 41 events on acct/1 and a two-item batch, the
// first 40 appends caused by the first event): they verify and read back
// whole, without metadata; Descendants reads their causation; and each
// event encodes today to exactly the frame bytes stored, so an engine
// writes events without metadata byte for byte as it did.
func TestSegmentsWrittenBeforeMetadataRead(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "v0store"))))
	e, err := Open(dir, Options{})
	require.NoError(t, err)
	defer func() { require.NoError(t, e.Close()) }()
	rep, err := e.Verify()
	require.NoError(t, err)
	require.Equal(t, VerifyReport{Streams: 2, Events: 43}, rep)
	evs, err := e.Query(Filter{})
	require.NoError(t, err)
	require.Len(t, evs, 43)
	h := format.NewHasher()
	for _, ev := range evs {
		require.Nil(t, ev.Metadata, "event %d", ev.Sequence)
		seg, err := os.ReadFile(filepath.Join("testdata", "v0store", fmt.Sprintf("%010d.seg", ev.Segment)))
		require.NoError(t, err)
		c := ev
		frame := format.AppendEventFrame(nil, &c, h)
		require.Equal(t, ev.Hash, c.Hash, "event %d", ev.Sequence)
		require.LessOrEqual(t, ev.Offset+int64(len(frame)), int64(len(seg)))
		require.True(t, bytes.Equal(frame, seg[ev.Offset:ev.Offset+int64(len(frame))]), "event %d encodes to its stored frame", ev.Sequence)
	}
	desc, err := e.Descendants(evs[0].ID)
	require.NoError(t, err)
	require.Len(t, desc, 40)
	require.Equal(t, messages.Coordinate{Entity: "acct/1", Scope: "v0"}, desc[39].Coordinate)
	b, err := e.Descendants(evs[41].ID)
	require.NoError(t, err)
	require.Len(t, b, 1, "the batch's second item was caused by its first")
}
