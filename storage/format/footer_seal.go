package format

import (
	"encoding/binary"
	"hash/crc32"
)

// SealParts returns the footer of a segment whose data ends at dataEnd
// (where the footer begins) as three parts to be written one after the
// other from dataEnd: head, the footer frame up to its records (appended to
// b); recs, the records (the builder's own buffer, not a copy: valid until
// the next Add or Reset); and the trailer. head, recs and trailer in a row
// are the bytes AppendSeal appends. Writing them apart spares a copy of
// the records, and lets the trailer be written first.
func (f *FooterBuilder) SealParts(b []byte, segID uint64, dataEnd int64) (head, recs []byte, trailer [TrailerSize]byte) {
	b, start := BeginFrame(b)
	b = AppendArrayLen(b, 5)
	b = AppendUint(b, TypeFooter)
	b = AppendUint(b, segID)
	b = AppendUint(b, uint64(dataEnd))
	b = AppendArrayLen(b, len(f.strs))
	for _, s := range f.strs {
		b = AppendStr(b, s)
	}
	b = AppendArrayLen(b, f.count)
	body := len(b) - start - FrameHeaderSize + len(f.recs)
	binary.LittleEndian.PutUint32(b[start:], LenWord(body))
	crc := crc32.Update(0, Castagnoli, b[start:start+4])
	crc = crc32.Update(crc, Castagnoli, b[start+FrameHeaderSize:])
	crc = crc32.Update(crc, Castagnoli, f.recs)
	binary.LittleEndian.PutUint32(b[start+4:], crc)
	binary.LittleEndian.PutUint64(trailer[:8], uint64(dataEnd))
	copy(trailer[8:], TrailerMagic[:])
	return b, f.recs, trailer
}
