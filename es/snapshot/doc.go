// Package snapshot is a durable store of entity snapshots: an entity's
// state at a version, so that a loader reads the snapshot and only the
// events after it instead of the entity's whole stream.
//
// Snapshots are derived data: the event log stays the truth. A snapshot
// that is corrupt is skipped by Latest (never returned, counted in
// Stats); one that is stale (its EventHash is not the hash of the log's
// event at its Version) is for the loader to ignore. Either way the events
// still rebuild the state.
//
// # Layout
//
// A Store owns one directory, typically filepath.Join(storeDir,
// "snapshots") beside the event store's segments (the engine ignores
// subdirectories). Each snapshot is one file of its own, never mixed with
// events, with its own magic:
//
//	<key>-<version>.snap       one snapshot (see format.go for the bytes)
//	<key>-<version>.snap.tmp-N a Save in progress (removed by Open)
//	<key>-<version>.snap.corrupt a file Latest found corrupt, kept for inspection
//	LOCK                       held by the open Store
//
// key is 32 hex digits of the blake3 digest of the coordinate and the type,
// so any entity, scope or type string gives a safe file name; the real
// values are stored in the file and checked on load. A file's header
// carries a magic, a format version, the coordinate, type, version, event
// hash, wall time and data length, and a crc32c of all of it ends the file.
//
// # Crash safety
//
// Save writes a temporary file, fsyncs it, renames it to its final name
// and fsyncs the directory. After a crash or power loss at any point, the
// directory holds the previous snapshots and either the whole new one or
// nothing of it: a temporary file is never read (Open removes it), and a
// final name that somehow holds torn bytes fails its size or checksum
// check and is skipped. Once Save returns nil, the snapshot survives.
// Delete fsyncs the directory before it returns; the removals made by the
// retention rule are made durable by the next directory sync (one that a
// crash brings back is removed by a later Save).
//
// # Concurrency
//
// A Store is safe for concurrent use by goroutines. Saves write their
// temporary files in parallel and publish (rename, directory fsync,
// retention) one at a time; Latest reads files without holding the lock.
// One Store per directory: Open takes the LOCK file.
package snapshot
