package storage

import (
	"strings"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// A crashed writer's written-but-unpublished groups are cut on reopen;
// everything published stays.
func TestAbandonThenCutAfterPublished(t *testing.T) {
	for _, rotate := range []bool{false, true} {
		h := newHarness(t, Options{SegmentSize: 4096})
		kept := h.put("e", "published")
		big := strings.Repeat("x", 100)
		if rotate {
			big = strings.Repeat("x", 3000)
		}
		lost1 := h.append(messages.Append{Coordinate: coord("e"), Payload: []byte(big)})
		lost2 := h.append(messages.Append{Coordinate: coord("e"), Payload: []byte(big)})
		p, err := h.e.Write()
		require.NoError(t, err)
		require.NoError(t, p.Sync())
		at := h.e.Published()
		require.Equal(t, kept.Segment, at.Segment)
		require.NoError(t, h.e.Abandon())
		_, err = h.e.Append(&messages.Append{Coordinate: coord("e"), Kind: testKind})
		require.ErrorIs(t, err, messages.ErrClosed)

		h.opts.CutAfter = &at
		h.open()
		require.NotEmpty(t, h.e.Stats().Recovery.CutUnacknowledged)
		mustGet(t, h.e, kept.EventID)
		for _, r := range []messages.Receipt{lost1, lost2} {
			_, err := h.e.Get(r.EventID)
			require.ErrorIs(t, err, messages.ErrNotFound, "never published, so cut")
		}
		next := h.put("e", "after")
		require.Equal(t, uint64(2), next.Version)
		_, err = h.e.Verify()
		require.NoError(t, err)
		h.opts.CutAfter = nil
		h.reopen()
		require.Equal(t, 2, h.e.Stats().Events)
	}
}
