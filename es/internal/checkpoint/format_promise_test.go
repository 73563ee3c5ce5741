package checkpoint

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

// The layout ARCHITECTURE.md gives for a projection's or reactor's
// checkpoint file: magic "BPKCKPT1", the body's length and its crc32c
// (little endian), then the body, a msgpack record of type, next
// sequence, last event id and sequence, and state.
func TestPromiseCheckpointFileLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ckpt")
	r := Record{Type: "t/1", Next: 42, Last: messages.NewID(), LastSeq: 40, State: []byte("state")}
	require.NoError(t, New(nil, dir).Save("p", r))
	b, err := os.ReadFile(Path(dir, "p"))
	require.NoError(t, err)
	require.Equal(t, "BPKCKPT1", string(b[:8]))
	n := binary.LittleEndian.Uint32(b[8:])
	body := b[16:]
	require.Equal(t, int(n), len(body), "the body's length")
	require.Equal(t, crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)), binary.LittleEndian.Uint32(b[12:]), "crc32c of the body")
	var got Record
	require.NoError(t, msgpack.Unmarshal(body, &got), "the body is msgpack")
	require.Equal(t, r.Type, got.Type)
	require.Equal(t, r.Next, got.Next)
	require.Equal(t, r.Last, got.Last)
	require.Equal(t, r.LastSeq, got.LastSeq)
	require.Equal(t, r.State, got.State)
}
