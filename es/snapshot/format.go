package snapshot

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/batpak-go/batpak/messages"
)

// The file format (little endian). Each snapshot file holds exactly one
// snapshot; its size is exactly what its header says.
//
//	offset size
//	0      8    magic "BPSNAP\r\n" (never the start of a segment or checkpoint)
//	8      2    format version (1)
//	10     2    entity length E
//	12     2    scope length S
//	14     2    type length T
//	16     8    version
//	24     32   event hash
//	56     8    wall ms (signed)
//	64     8    data length D
//	72     E+S+T entity, scope, type
//	...    D    data
//	...    4    crc32c (Castagnoli) of every byte before it
const (
	magic         = "BPSNAP\r\n"
	formatVersion = 1
	headerSize    = 72
	trailerSize   = 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encode returns the file contents of sn (validated).
func encode(sn *Snapshot) []byte {
	c := sn.Coordinate
	n := headerSize + len(c.Entity) + len(c.Scope) + len(sn.Type) + len(sn.Data) + trailerSize
	b := make([]byte, 0, n)
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint16(b, formatVersion)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(c.Entity)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(c.Scope)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(sn.Type)))
	b = binary.LittleEndian.AppendUint64(b, sn.Version)
	b = append(b, sn.EventHash[:]...)
	b = binary.LittleEndian.AppendUint64(b, uint64(sn.WallMS))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(sn.Data)))
	b = append(b, c.Entity...)
	b = append(b, c.Scope...)
	b = append(b, sn.Type...)
	b = append(b, sn.Data...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// decode parses a whole file. The returned Data aliases b. A failure is a
// reason (for a CorruptError), never a panic, whatever b holds.
func decode(b []byte) (Snapshot, string) {
	le := binary.LittleEndian
	switch {
	case len(b) < headerSize+trailerSize:
		return Snapshot{}, fmt.Sprintf("%d bytes, shorter than a header", len(b))
	case !bytes.Equal(b[:8], []byte(magic)):
		return Snapshot{}, "bad magic (not a snapshot file)"
	case le.Uint16(b[8:]) != formatVersion:
		return Snapshot{}, fmt.Sprintf("format version %d, want %d", le.Uint16(b[8:]), formatVersion)
	}
	e, s, t := uint64(le.Uint16(b[10:])), uint64(le.Uint16(b[12:])), uint64(le.Uint16(b[14:]))
	d := le.Uint64(b[64:])
	if want := headerSize + e + s + t + trailerSize; d > uint64(len(b)) || want+d != uint64(len(b)) {
		return Snapshot{}, fmt.Sprintf("%d bytes, header says %d data bytes (truncated or extended)", len(b), d)
	}
	body := len(b) - trailerSize
	if got, want := crc32.Checksum(b[:body], castagnoli), le.Uint32(b[body:]); got != want {
		return Snapshot{}, fmt.Sprintf("checksum %08x, stored %08x", got, want)
	}
	sn := Snapshot{Version: le.Uint64(b[16:]), WallMS: int64(le.Uint64(b[56:]))}
	sn.EventHash = messages.Hash(b[24:56])
	p := b[headerSize:body]
	sn.Coordinate.Entity, p = string(p[:e]), p[e:]
	sn.Coordinate.Scope, p = string(p[:s]), p[s:]
	sn.Type, p = string(p[:t]), p[t:]
	sn.Data = p[:d:d]
	return sn, ""
}
