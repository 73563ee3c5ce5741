// Package checkpoint stores the position (and state) of a projection or a
// reactor in a file that survives a process kill and a power cut: written
// to a temporary file, fsynced, renamed over the old one, and the directory
// fsynced, so a reader finds the old checkpoint or the new one, whole. The
// file carries a crc32c of its body; one that fails it is reported as
// corrupt (an error matching messages.ErrCorrupt), never returned.
//
// Layout: "BPKCKPT1" | body length (uint32, little endian) | crc32c of the
// body (uint32) | body (msgpack of Record).
package checkpoint

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"

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

// Save writes r as the checkpoint name in dir (created 0700 if missing),
// durably: when Save returns nil, a crash at any later point leaves r (or a
// later record) in place.
func Save(dir, name string, r Record) error {
	if err := ValidName(name); err != nil {
		return err
	}
	b, err := Encode(r)
	if err != nil {
		return err
	}
	if err := mkdirDurable(dir); err != nil {
		return err
	}
	removeStaleTemps(dir, name)
	tmp, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("batpak checkpoint: %w: %w", messages.ErrIO, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(b); err != nil {
		return fmt.Errorf("batpak checkpoint: write: %w: %w", messages.ErrIO, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("batpak checkpoint: fsync: %w: %w", messages.ErrSyncFailed, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("batpak checkpoint: close: %w: %w", messages.ErrIO, err)
	}
	if err := os.Rename(tmp.Name(), Path(dir, name)); err != nil {
		return fmt.Errorf("batpak checkpoint: rename: %w: %w", messages.ErrIO, err)
	}
	done = true
	return syncDir(dir)
}

// mkdirDurable creates dir and its missing parents (0700) and fsyncs the
// parent of each directory it created, so that a power cut cannot lose
// the directory, and with it a checkpoint saved in it.
func mkdirDurable(dir string) error {
	dir = filepath.Clean(dir)
	var created []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		created = append(created, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("batpak checkpoint: %w: %w", messages.ErrIO, err)
	}
	for i := len(created) - 1; i >= 0; i-- {
		if err := syncDir(filepath.Dir(created[i])); err != nil {
			return err
		}
	}
	return nil
}

// removeStaleTemps removes the temporary files of name that a crash in
// the middle of an earlier Save left behind (never a checkpoint: those
// are renamed into place).
func removeStaleTemps(dir, name string) {
	stale, _ := filepath.Glob(filepath.Join(dir, "."+name+".tmp-*"))
	for _, f := range stale {
		os.Remove(f)
	}
}

// syncDir makes a rename in dir durable (Windows has no directory fsync;
// its rename is durable once the file's metadata is flushed).
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("batpak checkpoint: %w: %w", messages.ErrIO, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("batpak checkpoint: fsync dir: %w: %w", messages.ErrSyncFailed, err)
	}
	return nil
}

// Load reads the checkpoint name in dir. found is false when there is
// none; a file that is there but not an intact record gives an error
// matching messages.ErrCorrupt (and found false).
func Load(dir, name string) (r Record, found bool, err error) {
	if err := ValidName(name); err != nil {
		return Record{}, false, err
	}
	b, err := os.ReadFile(Path(dir, name))
	if os.IsNotExist(err) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("batpak checkpoint: %w: %w", messages.ErrIO, err)
	}
	r, err = Decode(b)
	if err != nil {
		return Record{}, false, fmt.Errorf("%s: %w", Path(dir, name), err)
	}
	return r, true, nil
}
