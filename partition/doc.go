// Package partition spreads a batpak store over the members of a
// protoactor cluster: N partitions, each an ordinary batpak store
// (actors.Store) in its own directory on the member that owns it, and a
// client API on every member that routes each call to the partition of its
// entity, wherever that partition lives.
//
// # Partitions and the hash
//
// An entity belongs to partition PartitionOf(entity, N): the FNV-1a 64-bit
// hash of the entity's bytes modulo N. Only the entity counts (not the
// scope), so an entity's stream and hash chain live in one partition. The
// function is part of the format and never changes. N is fixed when the
// store is created: each partition directory records it (partition.json),
// and a member configured with another N refuses to start
// (ErrPartitionCount).
//
// # Pinned placement
//
// Config.Owners names, for each partition, the member that owns it, by the
// member's name (Config.Name). A partition lives where its data is: the
// member's identity lookup resolves the cluster identity (Identity(k),
// Kind) to the front actor of the live member with that name, and to
// nothing when there is none. protoactor's default placement (disthash)
// would instead activate a lost member's partition on another member, on
// an empty disk. A member announces its name as the cluster kind
// "batpak-member.<name>", which every protoactor cluster provider carries.
//
// # Calls
//
// Member.Append, AppendBatch, ReadStream, Stream and QueryPartition go to
// one partition and answer as the partition's store does, with its typed
// errors (messages.ErrVersionConflict, idempotent retries...). A batch is
// atomic within one partition; a batch whose items map to several is
// refused before anything is sent (ErrCrossPartitionBatch). Query and
// ByCorrelation read every partition at once and merge what they read
// (Merge: each partition's order kept, then by event time; not a causal
// order).
//
// A partition whose owner is not a live member answers
// ErrPartitionUnavailable at once (an *UnavailableError naming the
// partition and its owner), without a request timeout, while the other
// partitions keep working; so does one whose owner leaves while a request
// is in flight (an append's error then also matches
// messages.ErrOutcomeUnknown), one whose owner has no such partition (a
// dead letter), and one whose store is closed or stopped. A scatter read
// with an unavailable partition fails, naming each such partition; it
// never returns part of the answer.
//
// See README.md for set-up, production cluster providers, the order of
// scatter reads, and how to move a partition to another member.
package partition
