package snapshot_test

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/es/snapshot"
)

// The file format es/README.md and ARCHITECTURE.md describe: one file per
// snapshot named <key>-<version>.snap (32 hex digits, 20 decimal digits),
// a 72-byte little-endian header starting with the magic "BPSNAP\r\n" and
// format version 1, then entity, scope and type, the data, and a crc32c of
// every byte before it.
func TestPromiseSnapshotFileFormat(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, snapshot.Options{})
	sn := snap(7)
	require.NoError(t, s.Save(sn))
	files := snapFiles(t, dir)
	require.Len(t, files, 1)
	require.Regexp(t, regexp.MustCompile(`^[0-9a-f]{32}-00000000000000000007\.snap$`), filepath.Base(files[0]))

	b, err := os.ReadFile(files[0])
	require.NoError(t, err)
	le := binary.LittleEndian
	require.Equal(t, "BPSNAP\r\n", string(b[:8]))
	require.Equal(t, uint16(1), le.Uint16(b[8:]), "format version")
	e, sc, ty := int(le.Uint16(b[10:])), int(le.Uint16(b[12:])), int(le.Uint16(b[14:]))
	require.Equal(t, []int{len(order.Entity), len(order.Scope), len(orderType)}, []int{e, sc, ty})
	require.Equal(t, uint64(7), le.Uint64(b[16:]), "the entity's version")
	require.Equal(t, sn.EventHash[:], b[24:56], "the event hash")
	require.Equal(t, uint64(sn.WallMS), le.Uint64(b[56:]), "wall time")
	d := int(le.Uint64(b[64:]))
	require.Equal(t, len(sn.Data), d)
	require.Equal(t, order.Entity+order.Scope+orderType, string(b[72:72+e+sc+ty]))
	require.Equal(t, sn.Data, b[72+e+sc+ty:72+e+sc+ty+d])
	require.Len(t, b, 72+e+sc+ty+d+4)
	body := b[:len(b)-4]
	require.Equal(t, crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)), le.Uint32(b[len(b)-4:]), "crc32c of every byte before it")
}
