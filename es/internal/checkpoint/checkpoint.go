// Package checkpoint stores the position (and state) of a projection or a
// reactor in a file that survives a process kill and a power cut: written
// to a temporary file, fsynced, renamed over the old one, and the directory
// fsynced, so a reader finds the old checkpoint or the new one, whole. The
// file carries a crc32c of its body; one that fails it is reported as
// corrupt (an error matching messages.ErrCorrupt), never returned. It works
// through storage/fs (Dir), so that tests cut the power at every step of a
// Save with fs.Mem.
//
// Layout: "BPKCKPT1" | body length (uint32, little endian) | crc32c of the
// body (uint32) | body (msgpack of Record).
package checkpoint

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"path/filepath"

	"github.com/batpak-go/batpak/messages"
	"github.com/vmihailenco/msgpack/v5"
)

// Record is what a checkpoint holds.
type Record struct {
	// Type names what State is (the caller's choice, for example a type
	// name and a schema version); a loader refuses a record of another
	// type.
	Type string `msgpack:"type"`
	// Next is the first global sequence not reflected: every matching
	// event before it has been handled.
	Next uint64 `msgpack:"next"`
	// Last is the id of the last event handled, zero when none; with
	// LastSeq it lets a loader check that the record is about this log.
	Last messages.ID `msgpack:"last"`
	// LastSeq is the global sequence of Last.
	LastSeq uint64 `msgpack:"last_seq"`
	// State is the encoded state (empty for a reactor).
	State []byte `msgpack:"state"`
	// WallMS is when the record was written (Unix ms).
	WallMS int64 `msgpack:"wall_ms"`
}

const (
	magic  = "BPKCKPT1"
	header = len(magic) + 8
	suffix = ".ckpt"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Path returns the file of the checkpoint name in dir.
func Path(dir, name string) string { return filepath.Join(dir, name+suffix) }

// ValidName reports an error matching messages.ErrInvalidArgument unless
// name is 1 to 128 characters of [A-Za-z0-9._-] not starting with a dot.
func ValidName(name string) error {
	ok := len(name) > 0 && len(name) <= 128 && name[0] != '.'
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		ok = c == '.' || c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	if !ok {
		return fmt.Errorf("batpak checkpoint: name %q: want 1-128 of [A-Za-z0-9._-], not starting with '.': %w", name, messages.ErrInvalidArgument)
	}
	return nil
}

// Encode returns the file's bytes for r.
func Encode(r Record) ([]byte, error) {
	body, err := msgpack.Marshal(&r)
	if err != nil {
		return nil, fmt.Errorf("batpak checkpoint: encode: %w", err)
	}
	out := make([]byte, header, header+len(body))
	copy(out, magic)
	binary.LittleEndian.PutUint32(out[len(magic):], uint32(len(body)))
	binary.LittleEndian.PutUint32(out[len(magic)+4:], crc32.Checksum(body, castagnoli))
	return append(out, body...), nil
}

// Decode parses a file's bytes; anything but an intact record is an error
// matching messages.ErrCorrupt.
func Decode(b []byte) (Record, error) {
	corrupt := func(why string) (Record, error) {
		return Record{}, fmt.Errorf("batpak checkpoint: %s: %w", why, messages.ErrCorrupt)
	}
	if len(b) < header || !bytes.Equal(b[:len(magic)], []byte(magic)) {
		return corrupt("bad magic or short file")
	}
	n := binary.LittleEndian.Uint32(b[len(magic):])
	if uint64(n) != uint64(len(b)-header) {
		return corrupt(fmt.Sprintf("body length %d, file holds %d", n, len(b)-header))
	}
	body := b[header:]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[len(magic)+4:]) {
		return corrupt("checksum mismatch")
	}
	var r Record
	if err := msgpack.Unmarshal(body, &r); err != nil {
		return corrupt("undecodable body: " + err.Error())
	}
	return r, nil
}
