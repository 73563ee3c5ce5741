package partition_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/partition"
)

// BenchmarkUnavailable measures, per operation, the time from telling an
// owner to stop (a graceful close) until the client's next append to one
// of its partitions returns ErrPartitionUnavailable, appending in a loop
// meanwhile (ms-to-unavailable). It includes the membership update: here
// the test provider's 20 ms poll; in production, the cluster provider's
// own delay. Run with -benchtime=5x: each operation starts a member (1 s).
func BenchmarkUnavailable(b *testing.B) {
	c := client(b)
	root := b.TempDir()
	e := entityIn(1, "bench/") // b's
	var total, worst time.Duration
	b.StopTimer()
	for i := range b.N {
		p := mustStart(b, "b", filepath.Join(root, fmt.Sprint("b", i)))
		waitAvailable(b, c, "b")
		appendTo(b, e, "warm")
		b.StartTimer()
		start := time.Now()
		p.signalStop()
		for {
			_, err := c.Append(ctx(b), &messages.Append{Coordinate: coord(e), Kind: kind})
			if errors.Is(err, partition.ErrPartitionUnavailable) {
				break
			}
			require.NoError(b, err)
		}
		d := time.Since(start)
		b.StopTimer()
		total += d
		worst = max(worst, d)
		p.waitStopped()
	}
	b.ReportMetric(float64(total)/float64(b.N)/1e6, "ms-to-unavailable")
	b.ReportMetric(float64(worst)/1e6, "worst-ms")
}

// BenchmarkUnavailableAnswer measures the answer to an append whose
// partition's owner is not a live member: ErrPartitionUnavailable, without
// a request.
func BenchmarkUnavailableAnswer(b *testing.B) {
	c := client(b)
	e := entityIn(1, "bench/") // b's; b is not running
	require.False(b, c.Available(1))
	a := &messages.Append{Coordinate: coord(e), Kind: kind}
	b.ResetTimer()
	for range b.N {
		if _, err := c.Append(ctx(b), a); !errors.Is(err, partition.ErrPartitionUnavailable) {
			b.Fatal(err)
		}
	}
}

// BenchmarkClusterAppend measures one client's sequential durable appends
// to a partition on another member (over protoactor remote on loopback),
// for comparison with the answers above.
func BenchmarkClusterAppend(b *testing.B) {
	c := client(b)
	p := mustStart(b, "a", filepath.Join(b.TempDir(), "a"))
	waitAvailable(b, c, "a")
	e := entityIn(0, "bench/")
	a := &messages.Append{Coordinate: coord(e), Kind: kind, Payload: make([]byte, 256)}
	b.ResetTimer()
	for range b.N {
		if _, err := c.Append(ctx(b), a); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	p.stop()
}
