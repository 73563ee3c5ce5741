package storage

import (
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

func TestSmoke(t *testing.T) {
	dir := t.TempDir()
	e, err := Open(dir, Options{SegmentSize: 4096})
	require.NoError(t, err)
	c := messages.Coordinate{Entity: "order/1", Scope: "shop"}
	k := messages.MustKind(1, 1)
	for i := 0; i < 50; i++ {
		_, err := e.Append(&messages.Append{Coordinate: c, Kind: k, Payload: make([]byte, 200)})
		require.NoError(t, err)
		if i%7 == 0 {
			require.NoError(t, e.Commit())
		}
	}
	rs, err := e.AppendBatch(&messages.AppendBatch{Items: []messages.BatchItem{{Coordinate: c, Kind: k, Payload: []byte("a")}, {Coordinate: c, Kind: k, Payload: []byte("b"), Causation: messages.CausedByItem(0)}}})
	require.NoError(t, err)
	require.NoError(t, e.Commit())
	evs, err := e.Stream(c, 1)
	require.NoError(t, err)
	require.Len(t, evs, 52)
	rep, err := e.Verify()
	require.NoError(t, err)
	require.Equal(t, 52, rep.Events)
	anc, err := e.Ancestors(rs[1].EventID, 0)
	require.NoError(t, err)
	require.Len(t, anc, 1)
	t.Logf("%+v", e.WriterStats())
	require.NoError(t, e.Close())
	e, err = Open(dir, Options{SegmentSize: 4096})
	require.NoError(t, err)
	t.Logf("%+v", e.Stats())
	rep, err = e.Verify()
	require.NoError(t, err)
	require.Equal(t, 52, rep.Events)
	require.NoError(t, e.Close())
}
