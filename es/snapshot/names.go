package snapshot

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/batpak-go/batpak/messages"
	"lukechampine.com/blake3"
)

// File names. A snapshot file is named after its key and version:
//
//	<key>-<version>.snap   key: 32 hex digits, version: 20 decimal digits
//
// The key is the first 16 bytes of the blake3 digest of the coordinate and
// the type (each length-prefixed), so any entity, scope or type string
// makes a safe, fixed-length name; the real values are stored inside the
// file and checked on load. A file being written is named
// <final name>.tmp-<n>; one set aside as corrupt, <final name>.corrupt.
const (
	snapExt     = ".snap"
	tmpMarker   = ".tmp-"
	corruptExt  = ".corrupt"
	lockName    = "LOCK"
	keyHexLen   = 32
	versionLen  = 20
	snapNameLen = keyHexLen + 1 + versionLen + len(snapExt)
)

// keyOf returns the hex key of a coordinate and type.
func keyOf(c messages.Coordinate, typ string) string {
	parts := [...]string{"batpak snapshot key v1", c.Entity, c.Scope, typ}
	b := make([]byte, 0, 4*len(parts)+len(parts[0])+len(c.Entity)+len(c.Scope)+len(typ))
	for _, s := range parts {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	sum := blake3.Sum256(b)
	return hex.EncodeToString(sum[:keyHexLen/2])
}

// fileName returns the name of the snapshot file of key at version.
func fileName(key string, version uint64) string {
	return fmt.Sprintf("%s-%0*d%s", key, versionLen, version, snapExt)
}

// parseName splits a snapshot file name into its key and version.
func parseName(name string) (key string, version uint64, ok bool) {
	if len(name) != snapNameLen || !strings.HasSuffix(name, snapExt) || name[keyHexLen] != '-' {
		return "", 0, false
	}
	key = name[:keyHexLen]
	if _, err := hex.DecodeString(key); err != nil || strings.ToLower(key) != key {
		return "", 0, false
	}
	v, err := strconv.ParseUint(name[keyHexLen+1:keyHexLen+1+versionLen], 10, 64)
	if err != nil || v == 0 || fileName(key, v) != name {
		return "", 0, false
	}
	return key, v, true
}

// isTemp reports whether name is a snapshot file being written (or left
// behind by a crash while it was).
func isTemp(name string) bool {
	i := strings.LastIndex(name, tmpMarker)
	return i > 0 && strings.HasSuffix(name[:i], snapExt)
}
