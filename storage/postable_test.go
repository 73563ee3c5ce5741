package storage

import (
	"math/rand/v2"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

func TestPosTableAgainstAMap(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	var keys []messages.ID // keys[pos]
	keyOf := func(p uint32) messages.ID { return keys[p] }
	var tbl posTable
	model := map[messages.ID]uint32{}
	distinct := make([]messages.ID, 300)
	for i := range distinct {
		distinct[i] = messages.NewID()
	}
	// Sequential ids (same high bytes) stress the hash as well.
	for i := 0; i < 200; i++ {
		var id messages.ID
		id[15] = byte(i)
		distinct = append(distinct, id)
	}
	for i := 0; i < 5000; i++ {
		k := distinct[rng.IntN(len(distinct))]
		pos := uint32(len(keys))
		keys = append(keys, k)
		prev, had := tbl.swap(k, pos, keyOf)
		mp, mhad := model[k]
		require.Equal(t, mhad, had)
		if had {
			require.Equal(t, mp, prev)
		}
		model[k] = pos
	}
	require.Equal(t, len(model), tbl.n)
	for k, want := range model {
		got, ok := tbl.find(k, keyOf)
		require.True(t, ok)
		require.Equal(t, want, got)
	}
	_, ok := tbl.find(messages.NewID(), keyOf)
	require.False(t, ok)
}
