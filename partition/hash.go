package partition

import "strconv"

// Kind is the protoactor cluster kind of a partition: partition k is the
// cluster identity (Identity(k), Kind), which the member's identity lookup
// resolves to the front actor of the member that owns k.
const Kind = "batpak-partition"

// Identity returns partition k's cluster identity, "p-<k>" (p-0, p-1, ...).
func Identity(k int) string { return "p-" + strconv.Itoa(k) }

// parseIdentity returns the partition an identity names, or false.
func parseIdentity(id string) (int, bool) {
	if len(id) < 3 || id[:2] != "p-" || (len(id) > 3 && id[2] == '0') {
		return 0, false
	}
	k, err := strconv.Atoi(id[2:])
	if err != nil || k < 0 {
		return 0, false
	}
	return k, true
}

// FNV-1a 64-bit parameters (the FNV specification's offset basis and
// prime).
const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// PartitionOf returns the partition of entity in a store of n partitions:
// the FNV-1a 64-bit hash of the entity's bytes (UTF-8, as stored) modulo n.
// Only the entity counts, not the scope: every scope of an entity, and so
// its whole hash chain, lives in one partition.
//
// This function is part of the on-disk format: the partition an event was
// written to is found again with it, so it never changes (the vectors in
// hash_test.go pin it). n must be at least 1.
func PartitionOf(entity string, n int) int {
	if n < 1 {
		panic("batpak partition: PartitionOf with n < 1")
	}
	h := uint64(fnvOffset64)
	for i := 0; i < len(entity); i++ {
		h ^= uint64(entity[i])
		h *= fnvPrime64
	}
	return int(h % uint64(n))
}
