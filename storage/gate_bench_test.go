//go:build linux

package storage

import (
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/batpak-go/batpak/messages"
)

// The cost of the policy gates on the append path: today's path (no gate
// set), an empty gate set (fields set, no gates: free, a nil check) and
// three cheap gates (a payload limit, a kind allowlist, a version bound
// read through Proposal.Version). "stage" is Append alone (rolled back
// every 4096 events: the share of the gates is largest there); "commit" is
// 256 appends and a Commit without fsync. Besides ns/op (wall clock), each
// reports cpu-ns/op: the CPU time of the benchmark's own thread, which
// other processes on a loaded machine disturb much less.
//
//	go test ./storage -run '^$' -bench AppendGates -benchtime 2s -count 1
func BenchmarkAppendGates(b *testing.B) {
	for _, gs := range benchGateSets() {
		b.Run("stage/gates="+gs.name, func(b *testing.B) {
			e := openBenchEngineOpts(b, Options{SyncMode: SyncNone, Gates: gs.set})
			w := newBenchWorkload()
			b.SetBytes(benchPayloadSize)
			b.ReportAllocs()
			cpu := startThreadCPU(b)
			for i := range b.N {
				if err := w.append(e, 1); err != nil {
					b.Fatal(err)
				}
				if i%4096 == 4095 {
					e.Rollback()
				}
			}
			cpu.stop()
			e.Rollback()
			if err := e.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
	for _, gs := range benchGateSets() {
		b.Run("commit/gates="+gs.name, func(b *testing.B) {
			const group = 256
			e := openBenchEngineOpts(b, Options{SyncMode: SyncNone, Gates: gs.set})
			w := newBenchWorkload()
			b.SetBytes(benchPayloadSize)
			b.ReportAllocs()
			cpu := startThreadCPU(b)
			for i := 0; i < b.N; i += group {
				if err := w.append(e, min(group, b.N-i)); err != nil {
					b.Fatal(err)
				}
				if err := e.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			cpu.stop()
			if err := e.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// threadCPU measures the CPU time of the benchmark's goroutine, locked to
// its thread.
type threadCPU struct {
	b     *testing.B
	start time.Duration
}

func startThreadCPU(b *testing.B) threadCPU {
	runtime.LockOSThread()
	b.ResetTimer()
	return threadCPU{b: b, start: threadCPUTime(b)}
}

func (c threadCPU) stop() {
	c.b.StopTimer()
	used := threadCPUTime(c.b) - c.start
	runtime.UnlockOSThread()
	c.b.ReportMetric(float64(used.Nanoseconds())/float64(c.b.N), "cpu-ns/op")
}

func threadCPUTime(b *testing.B) time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type benchGateSet struct {
	name string
	set  GateSet
}

// benchGateSets are the three cases: none, empty, three cheap gates.
func benchGateSets() []benchGateSet {
	return []benchGateSet{
		{"none", GateSet{}},
		{"empty", GateSet{CollectAll: true, Budget: time.Second, Gates: []Gate{}}},
		{"3cheap", GateSet{Gates: benchCheapGates()}},
	}
}

// benchCheapGates returns three cheap gates, as a policy would have them:
// a payload limit, a kind allowlist and a version bound (read from
// ProposedEvent.Version).
func benchCheapGates() []Gate {
	return []Gate{
		{Name: "payload_limit", Check: func(p *Proposal) *messages.Denial {
			for i := range p.Events {
				if len(p.Events[i].Payload) > 64<<10 {
					return Deny("payload_too_large", "%d bytes", len(p.Events[i].Payload))
				}
			}
			return nil
		}},
		{Name: "kind_allowlist", Check: func(p *Proposal) *messages.Denial {
			for i := range p.Events {
				if p.Events[i].Kind.Category() != 1 {
					return Deny("kind_not_allowed", "kind %s", p.Events[i].Kind)
				}
			}
			return nil
		}},
		{Name: "version_bound", Check: func(p *Proposal) *messages.Denial {
			for i := range p.Events {
				if v := p.Events[i].Version; v > 1<<40 {
					return Deny("stream_too_long", "version %d", v)
				}
			}
			return nil
		}},
	}
}

// The gates' own cost per single-event proposal, apart from the append
// (whose cost the stage and commit cases show): three cheap gates, with and
// without a Budget (which reads the clock twice per gate).
//
//	go test ./storage -run '^$' -bench GateSetEvaluate
func BenchmarkGateSetEvaluate(b *testing.B) {
	e := openBenchEngineOpts(b, Options{SyncMode: SyncNone})
	w := newBenchWorkload()
	if err := w.append(e, 1); err != nil {
		b.Fatal(err)
	}
	p := &Proposal{e: e, Events: []ProposedEvent{{Coordinate: w.coords[0], Kind: benchKind, Payload: w.payload, Version: 2}}}
	for _, budget := range []time.Duration{0, time.Second} {
		b.Run("gates=3cheap/budget="+budget.String(), func(b *testing.B) {
			s := GateSet{Gates: benchCheapGates(), Budget: budget}
			b.ReportAllocs()
			for range b.N {
				if err := s.evaluate(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	e.Rollback()
	if err := e.Close(); err != nil {
		b.Fatal(err)
	}
}
