package storage

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/batpak-go/batpak/storage/fs"
)

// A segment file starts with a fixed 32-byte header:
//
//	0  magic "BPKS"        4  format version u16   6  flags u16
//	8  segment id u64      16 created, unix ns i64  24 reserved u32
//	28 crc32c of bytes 0..27
//
// all little endian. Flag flagContinuation marks a segment opened by
// rotation inside one engine session: an atomic batch may continue into it.
// A segment opened by Open is a fresh start: any batch still open at its
// boundary was never committed.
const (
	headerSize       = 32
	formatVersion    = 1
	flagContinuation = 1
	segmentExt       = ".seg"
)

var headerMagic = [4]byte{'B', 'P', 'K', 'S'}

type segmentHeader struct {
	id        uint64
	flags     uint16
	createdNS int64
}

func (h segmentHeader) continuation() bool { return h.flags&flagContinuation != 0 }

func (h segmentHeader) encode() []byte {
	b := make([]byte, headerSize)
	copy(b, headerMagic[:])
	binary.LittleEndian.PutUint16(b[4:], formatVersion)
	binary.LittleEndian.PutUint16(b[6:], h.flags)
	binary.LittleEndian.PutUint64(b[8:], h.id)
	binary.LittleEndian.PutUint64(b[16:], uint64(h.createdNS))
	binary.LittleEndian.PutUint32(b[28:], crc32.Checksum(b[:28], castagnoli))
	return b
}

func decodeHeader(b []byte) (segmentHeader, error) {
	if len(b) < headerSize {
		return segmentHeader{}, fmt.Errorf("header is %d bytes, want %d", len(b), headerSize)
	}
	if [4]byte(b[:4]) != headerMagic {
		return segmentHeader{}, fmt.Errorf("bad magic %q", b[:4])
	}
	if crc32.Checksum(b[:28], castagnoli) != binary.LittleEndian.Uint32(b[28:]) {
		return segmentHeader{}, fmt.Errorf("header checksum mismatch")
	}
	if v := binary.LittleEndian.Uint16(b[4:]); v != formatVersion {
		return segmentHeader{}, fmt.Errorf("format version %d, this build reads %d", v, formatVersion)
	}
	return segmentHeader{
		flags:     binary.LittleEndian.Uint16(b[6:]),
		id:        binary.LittleEndian.Uint64(b[8:]),
		createdNS: int64(binary.LittleEndian.Uint64(b[16:])),
	}, nil
}

// readHeader reads and decodes the header of a segment file.
func readHeader(f fs.File) (segmentHeader, error) {
	hb := make([]byte, headerSize)
	n, _ := f.ReadAt(hb, 0)
	return decodeHeader(hb[:n])
}

func segmentName(id uint64) string { return fmt.Sprintf("%010d%s", id, segmentExt) }

// parseSegmentName returns the id of a segment file name, or false.
func parseSegmentName(name string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, segmentExt)
	if !ok || len(digits) < 10 {
		return 0, false
	}
	id, err := strconv.ParseUint(digits, 10, 64)
	return id, err == nil
}

// listSegments returns the segment ids found in dir, ascending, and the
// highest id ever used there, counting segments set aside by a repair, so
// that an id is never reused.
func listSegments(fsys fs.FS, dir string) ([]uint64, uint64, error) {
	names, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, 0, err
	}
	var ids []uint64
	var last uint64
	for _, n := range names {
		id, ok := parseSegmentName(strings.TrimSuffix(n, droppedExt))
		if !ok {
			continue
		}
		last = max(last, id)
		if !isDropped(n) {
			ids = append(ids, id)
		}
	}
	return ids, last, nil // ReadDir sorts names; fixed-width names sort by id
}

// segment is one open segment file.
type segment struct {
	id   uint64
	path string
	f    fs.File
	size int64 // end of the committed data: the next frame goes here
	// allocated is the end of the zeros written ahead (Options.Preallocate).
	allocated int64
}

// createSegment creates segment id in dir with its header, makes the header
// and the directory entry durable (unless sync is false) and returns it.
func createSegment(fsys fs.FS, dir string, h segmentHeader, sync bool) (*segment, error) {
	path := filepath.Join(dir, segmentName(h.id))
	f, err := fsys.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create segment %d: %w", h.id, err)
	}
	s := &segment{id: h.id, path: path, f: f, size: headerSize}
	fail := func(what string, err error) (*segment, error) {
		f.Close()
		fsys.Remove(path) // best effort: a headerless last segment is removed on open anyway
		return nil, fmt.Errorf("%s of segment %d: %w", what, h.id, err)
	}
	if _, err := f.WriteAt(h.encode(), 0); err != nil {
		return fail("write header", err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			return fail("sync header", err)
		}
		if err := fsys.SyncDir(dir); err != nil {
			return fail("sync directory after creation", err)
		}
	}
	return s, nil
}
