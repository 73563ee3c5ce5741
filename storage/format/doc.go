// Package format defines the bytes of a batpak-go store: the segment header,
// the frame (length word, crc32c, msgpack body), the bodies of events, batch
// markers and sync marks, the blake3 hash chain's digest, the sealed
// segment's footer and trailer, and the index checkpoint. It reads and
// writes byte slices and io.ReaderAt only: no engine state, no files of its
// own, so that it can be read, tested and fuzzed alone. The engine in
// package storage builds the index, recovery and the append protocol on it.
//
// Every decoder here accepts any input without panicking and reports what
// it cannot accept as an error; none of them trusts a length before
// checking it against the bytes it has.
package format
