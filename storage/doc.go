// Package storage is batpak-go's storage engine: append-only segment files,
// an in-memory index, and the append protocol. It is a plain synchronous
// library with no goroutines of its own: one goroutine (the writer actor)
// appends and commits, any number read.
//
// # Durability contract
//
// Append and AppendBatch only stage events (in memory) and return receipts.
// Commit writes everything staged in one write per segment touched, fsyncs
// (in the default SyncEveryCommit mode), and only then publishes the events
// to readers. So a receipt whose Commit returned nil means the event is on
// disk; readers never see an event that is not. A failed write or fsync
// poisons the engine (every later write fails) until it is reopened, and
// recovery decides what is on disk.
//
// # On-disk format
//
// A data directory holds a LOCK file and segment files 0000000001.seg,
// 0000000002.seg, ... (0700 directory, 0600 files). A segment is
//
//	+-------------+---------+---------+-----+---------+--------------+---------+
//	| header (32) | frame 1 | frame 2 | ... | frame n | footer frame | trailer |
//	+-------------+---------+---------+-----+---------+--------------+---------+
//	                                                   only once sealed (16 B)
//
// and a frame is
//
//	+-----------------+-------------+------------------------------------+
//	| length word u32 | crc32c u32  | body: a msgpack array              |
//	+-----------------+-------------+------------------------------------+
//
// An event body is [1, seq, id, entity, scope, kind, version, wall_ms,
// ts_us, corr, cause, batch, prev_hash, payload, hash], where hash =
// blake3(every body byte before it): the previous hash, the event's identity
// and header, and the payload. An atomic batch is a BEGIN frame
// [2, batch, n, first_seq], its n events, and a COMMIT frame [3, batch, n].
// The footer frame indexes the segment's frames; the trailer is the footer's
// offset and the magic "BPKFOOT1". Beside a sealed segment, an index
// checkpoint 0000000001.idx holds what the segment added to the in-memory
// index, in a fixed layout that Open loads instead of replaying the log
// (storage/format has every layout); it is a cache, used only when it
// matches its segment and the index before it. See ARCHITECTURE.md for the
// details, recovery step by step, and what each failure does.
//
// # Read-only access and backup
//
// OpenReadOnly opens a data directory that a writer holds (in this process
// or another) or a closed one, without a lock and without changing any
// file: it sees the log up to the writer's last complete commit, and
// Refresh makes later commits visible. ReadOnlyReport tells the recovery
// state (torn tail, unsealed segment, checkpoints, whether a writer holds
// the lock). Backup makes a consistent copy of a live or closed store.
package storage
