package storage

import (
	"encoding/binary"

	"github.com/batpak-go/batpak/storage/format"
)

// sealedDataEnd returns where the data of a segment file ends: at its
// footer if its trailer names one, else at its end.
func sealedDataEnd(b []byte) int64 {
	if len(b) >= format.HeaderSize+format.TrailerSize && [8]byte(b[len(b)-8:]) == format.TrailerMagic {
		return int64(binary.LittleEndian.Uint64(b[len(b)-format.TrailerSize:]))
	}
	return int64(len(b))
}
