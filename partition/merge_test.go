package partition

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
)

// ev is an event of partition k (recorded in its Version, for the test)
// with sequence seq and timestamp ts.
func ev(k int, seq uint64, ts int64) messages.Event {
	return messages.Event{Sequence: seq, TimestampUS: ts, Version: uint64(k)}
}

func TestMergeOrdersByTimestampThenPartition(t *testing.T) {
	parts := [][]messages.Event{
		{ev(0, 0, 10), ev(0, 1, 30), ev(0, 2, 30)},
		{ev(1, 0, 5), ev(1, 1, 30)},
		nil,
		{ev(3, 0, 30), ev(3, 1, 40)},
	}
	got := Merge(parts)
	type at struct {
		k   uint64
		seq uint64
	}
	var order []at
	for _, e := range got {
		order = append(order, at{e.Version, e.Sequence})
	}
	require.Equal(t, []at{{1, 0}, {0, 0}, {0, 1}, {0, 2}, {1, 1}, {3, 0}, {3, 1}}, order)
}

// TestMergeKeepsEachPartitionsOrder: a clock that goes back inside a
// partition never reorders that partition's events.
func TestMergeKeepsEachPartitionsOrder(t *testing.T) {
	parts := [][]messages.Event{
		{ev(0, 0, 100), ev(0, 1, 50), ev(0, 2, 60)}, // the clock went back
		{ev(1, 0, 55), ev(1, 1, 70)},
	}
	got := Merge(parts)
	require.Len(t, got, 5)
	seqs := map[uint64][]uint64{}
	for _, e := range got {
		seqs[e.Version] = append(seqs[e.Version], e.Sequence)
	}
	require.Equal(t, []uint64{0, 1, 2}, seqs[0])
	require.Equal(t, []uint64{0, 1}, seqs[1])
	// Heads compare, not whole lists: partition 0's 50 and 60 wait behind
	// its 100, which comes after partition 1's 55 and 70.
	var ts []int64
	for _, e := range got {
		ts = append(ts, e.TimestampUS)
	}
	require.Equal(t, []int64{55, 70, 100, 50, 60}, ts)
}

// TestMergeRandom checks the two rules on random inputs whose partitions'
// clocks never go back: the result is sorted by (TimestampUS, partition),
// and it holds every event once.
func TestMergeRandom(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	for range 200 {
		n := 1 + r.IntN(8)
		parts := make([][]messages.Event, n)
		total := 0
		for k := range parts {
			ts := int64(r.IntN(5))
			for s := range r.IntN(20) {
				ts += int64(r.IntN(3))
				parts[k] = append(parts[k], ev(k, uint64(s), ts))
				total++
			}
		}
		got := Merge(parts)
		require.Len(t, got, total)
		require.True(t, slices.IsSortedFunc(got, func(a, b messages.Event) int {
			if a.TimestampUS != b.TimestampUS {
				return int(a.TimestampUS - b.TimestampUS)
			}
			return int(a.Version) - int(b.Version)
		}))
		next := make([]uint64, n)
		for _, e := range got {
			require.Equal(t, next[e.Version], e.Sequence)
			next[e.Version]++
		}
	}
}
