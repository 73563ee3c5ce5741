//go:build linux

package storage

import (
	"runtime"
	"testing"
	"time"
)

// BenchmarkGateRatio gives the gates' cost as ratios measured in one run:
// three engines (no gate set, an empty one, three cheap gates) append the
// same workload in alternating chunks of 64 events, so that a noisy
// neighbour slows all three alike; each chunk is timed with the benchmark
// thread's CPU clock. "stage" is Append alone (rolled back every 4096
// events), "commit" 256 appends and a Commit without fsync. The metrics
// empty/none and 3cheap/none are the targets (<= 1.02, <= 1.05).
//
//	go test ./storage -run '^$' -bench GateRatio -benchtime 400000x
func BenchmarkGateRatio(b *testing.B) {
	for _, mode := range []string{"stage", "commit"} {
		b.Run(mode, func(b *testing.B) {
			sets := benchGateSets()
			engines := make([]*Engine, len(sets))
			works := make([]*benchWorkload, len(sets))
			for i, gs := range sets {
				engines[i] = openBenchEngineOpts(b, Options{SyncMode: SyncNone, Gates: gs.set})
				works[i] = newBenchWorkload()
			}
			took := make([]time.Duration, len(sets))
			done := make([]int, len(sets))
			chunk := func(i, n int) {
				start := threadCPUTime(b)
				if err := works[i].append(engines[i], n); err != nil {
					b.Fatal(err)
				}
				done[i] += n
				if mode == "commit" && done[i]%256 == 0 {
					if err := engines[i].Commit(); err != nil {
						b.Fatal(err)
					}
				}
				took[i] += threadCPUTime(b) - start
				if mode == "stage" && done[i]%4096 == 0 {
					engines[i].Rollback()
				}
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ResetTimer()
			for round, n := 0, 0; n < b.N; round++ {
				k := min(64, b.N-n)
				for j := range sets { // rotate which engine goes first
					chunk((round+j)%len(sets), k)
				}
				n += k
			}
			b.StopTimer()
			for i, e := range engines {
				if mode == "stage" {
					e.Rollback()
				} else if err := e.Commit(); err != nil {
					b.Fatal(err)
				}
				if err := e.Close(); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(took[i].Nanoseconds())/float64(b.N), sets[i].name+"-cpu-ns/append")
			}
			b.ReportMetric(float64(took[1])/float64(took[0]), "empty/none")
			b.ReportMetric(float64(took[2])/float64(took[0]), "3cheap/none")
		})
	}
}
