// Package benchutil holds what the benchmarks of several packages share:
// latency percentiles and the disk's own limit (a write+fdatasync loop).
// It is internal and used only by benchmarks.
package benchutil

import (
	"slices"
	"testing"
	"time"
)

// Latency collects durations and reports their percentiles. It is not safe
// for concurrent use; merge per-goroutine collections with Merge.
type Latency struct{ d []time.Duration }

// Add records one duration.
func (l *Latency) Add(d time.Duration) { l.d = append(l.d, d) }

// Merge adds o's durations to l.
func (l *Latency) Merge(o *Latency) { l.d = append(l.d, o.d...) }

// Percentile returns the p-th percentile (nearest rank), 0 <= p <= 1.
func (l *Latency) Percentile(p float64) time.Duration {
	if len(l.d) == 0 {
		return 0
	}
	slices.Sort(l.d)
	i := min(max(int(p*float64(len(l.d))+0.999999)-1, 0), len(l.d)-1)
	return l.d[i]
}

// Report adds the p50 and p99 in microseconds to b's results.
func (l *Latency) Report(b *testing.B) {
	if len(l.d) == 0 {
		return
	}
	b.ReportMetric(float64(l.Percentile(0.50))/float64(time.Microsecond), "p50-us")
	b.ReportMetric(float64(l.Percentile(0.99))/float64(time.Microsecond), "p99-us")
}
