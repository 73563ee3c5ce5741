package storage

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/batpak-go/batpak/storage/format"
	"github.com/batpak-go/batpak/storage/fs"
	"github.com/stretchr/testify/require"
)

// TestFuzzWriteCheckpointSeeds rewrites the seed corpus of
// format.FuzzCheckpoint from the checkpoints of a real store (a fixed
// workload with batches across rotations, correlations and orphans):
// whole checkpoints, with a resume point inside a segment, empty ones, and
// damaged copies. Run it with BATPAK_WRITE_FUZZ_CORPUS=1.
func TestFuzzWriteCheckpointSeeds(t *testing.T) {
	if os.Getenv("BATPAK_WRITE_FUZZ_CORPUS") != "1" {
		t.Skip("set BATPAK_WRITE_FUZZ_CORPUS=1 to rewrite format/testdata/fuzz/FuzzCheckpoint")
	}
	mem := fs.NewMem()
	e := ckOpen(t, mem)
	(&ckWork{rng: ftRand(7)}).groups(t, e, 40)
	require.NoError(t, e.Close())
	dir := filepath.Join("format", "testdata", "fuzz", "FuzzCheckpoint")
	require.NoError(t, os.RemoveAll(dir))
	require.NoError(t, os.MkdirAll(dir, 0o755))
	write := func(name string, file []byte, piece uint16, spec []byte) {
		var b bytes.Buffer
		fmt.Fprintf(&b, "go test fuzz v1\n[]byte(%q)\nuint16(%d)\n[]byte(%q)\n", file, piece, spec)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644))
	}
	var empty, resumed, plain []byte
	for _, n := range checkpointFiles(t, mem) {
		b, err := mem.ReadFile(filepath.Join(ckDir, n))
		require.NoError(t, err)
		c, err := format.DecodeCheckpoint(b)
		require.NoError(t, err)
		switch {
		case c.Info.Events == 0 && empty == nil:
			empty = b
		case c.Info.Resume.Offset != 0 && resumed == nil:
			resumed = b
		case c.Info.Events > 0 && c.Info.Corrs > 0 && plain == nil && len(b) < 4096:
			plain = b
		}
	}
	require.NotNil(t, resumed, "the workload must leave a batch open at a segment's end")
	require.NotNil(t, plain)
	spec := []byte("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f")
	write("seed-plain", plain, 0, spec)
	write("seed-resumed", resumed, 3, nil)
	if empty != nil {
		write("seed-empty", empty, 1, spec[:8])
	}
	flipped := bytes.Clone(plain)
	flipped[len(flipped)/2] ^= 0x20
	write("seed-flipped", flipped, 2, nil)
	write("seed-truncated", plain[:len(plain)-20], 0, nil)
	write("seed-header-only", plain[:format.CheckpointHeaderSize], 0, []byte{0xff, 0xff, 0xff, 0xff, 0x07})
}
