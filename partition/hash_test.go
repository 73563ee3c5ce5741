package partition

import (
	"hash/fnv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPartitionOfVectors pins the entity-to-partition function: it is part
// of the format (a change would look for existing events in the wrong
// partition), so these values must never change.
func TestPartitionOfVectors(t *testing.T) {
	for _, v := range []struct {
		entity string
		n      int
		want   int
	}{
		{"", 1, 0},
		{"", 7, 14695981039346656037 % 7},
		{"a", 16, 0xaf63dc4c8601ec8c % 16},
		{"order/42", 3, 0x6cbf898697561972 % 3}, // = 1
		{"order/42", 8, 2},
		{"order/43", 8, 5},
		{"user/alice", 6, 5},
		{"user/bob", 6, 0},
		{"ünïcödé/1", 5, 1}, // 0xadb57c23f6b333a2
		{"order/42", 1, 0},
	} {
		require.Equal(t, v.want, PartitionOf(v.entity, v.n), "PartitionOf(%q, %d)", v.entity, v.n)
	}
}

// TestPartitionOfIsFNV1a64 checks the hash against the standard library's
// FNV-1a over a range of entities and partition counts.
func TestPartitionOfIsFNV1a64(t *testing.T) {
	for i := range 2000 {
		e := string(rune('a'+i%26)) + "/" + string(rune(0x100+i))
		h := fnv.New64a()
		h.Write([]byte(e))
		for _, n := range []int{1, 2, 3, 7, 64, 1000} {
			require.Equal(t, int(h.Sum64()%uint64(n)), PartitionOf(e, n))
		}
	}
}

func TestIdentity(t *testing.T) {
	require.Equal(t, "p-0", Identity(0))
	require.Equal(t, "p-12", Identity(12))
	for k := range 200 {
		got, ok := parseIdentity(Identity(k))
		require.True(t, ok)
		require.Equal(t, k, got)
	}
	for _, bad := range []string{"", "p-", "p--1", "p-01", "q-1", "p-x", "p-1 "} {
		_, ok := parseIdentity(bad)
		require.False(t, ok, bad)
	}
}
