//go:build linux

package storage

import (
	"fmt"
	"testing"

	"github.com/batpak-go/batpak/internal/benchutil"
)

// BenchmarkBaselineFdatasync is what the disk can do without the engine:
// g records of benchPayloadSize bytes in one write(2) to a growing file,
// then one fdatasync(2), in a loop. One b.N iteration is one group. The
// engine's durable benchmarks (BenchmarkCommitDurable) are judged against
// its records/s for the same g.
func BenchmarkBaselineFdatasync(b *testing.B) {
	for _, g := range benchGroups {
		b.Run(fmt.Sprintf("records=%d/payload=%d", g, benchPayloadSize), func(b *testing.B) {
			benchutil.FdatasyncLoop(b, g, benchPayloadSize)
		})
	}
}
