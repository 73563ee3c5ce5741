package storage

import (
	"testing"

	"github.com/batpak-go/batpak/storage/format"
	"github.com/stretchr/testify/require"
)

// A footer whose body would not fit a frame's 28-bit length is not written
// (before the fix its length word wrapped and described another length):
// the segment is sealed without one and scanned at open, every event there.
func TestFooterTooBigForAFrameIsNotWritten(t *testing.T) {
	old := format.MaxFooterBody
	format.MaxFooterBody = 256 // a few records: stands in for 2^28 bytes
	defer func() { format.MaxFooterBody = old }()
	h := newHarness(t, Options{})
	for i := range 20 {
		h.put("e", string(rune('a'+i)))
	}
	h.reopen()
	rec := h.e.Stats().Recovery
	require.Zero(t, rec.FooterSegments, "no footer was written")
	require.Equal(t, 1, rec.ScannedSegments)
	require.Equal(t, 20, rec.Events)
	_, err := h.e.Verify()
	require.NoError(t, err)
	format.MaxFooterBody = old
	h.reopen()
	require.Equal(t, 20, h.e.Stats().Events)
}
