//go:build !race

package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/cluster"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/partition"
)

// How fast a partition whose owner stops answers
// partition.ErrPartitionUnavailable, on a cluster of 3 members (as
// BenchmarkClusterAppends'), under load. Each iteration stops the third
// member -cluster.stops times with its graceful Close, and restarts it on
// its directory between stops (not timed). During each stop:
//
//   - -cluster.load senders append through the two other members to the
//     partitions they own (those must all succeed: the other partitions
//     keep working);
//   - one probe per other member appends in a loop to a partition of the
//     stopping member (a different one each), before and after the stop,
//     until it has had 200 ErrPartitionUnavailable answers.
//
// Per stop, the time to unavailable is from calling Close until both
// probes have had their first ErrPartitionUnavailable. Reported: its
// median and maximum over the stops (unavailable-p50-ms, -max-ms), the
// time until both other members' clusters published the topology without
// the stopped member (topology-p50-ms, -max-ms: the provider's part), the
// latency of the append that got that first answer (first-answer-p50-us,
// -max-us: the call in flight, or the first one after), the latency of the
// answers afterwards (answer-p50-us, -p99-us: no request is sent), how
// long Close took (close-p50-ms), and the load's appends per second in
// the 0.5 s after calling Close (load-during-ops/s). Any other failure (a request timeout included) fails the
// benchmark. The membership update is the test provider's, which tells the
// other members synchronously when Close deregisters; a production
// provider adds its own delay (see partition/README.md).
//
//	cd bench && go test -run '^$' -bench 'ClusterStop$' -benchtime 1x
func BenchmarkClusterStop(b *testing.B) {
	c, err := startCluster("bench-stop", 3, *clusterPartitions, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer closeOrFail(b, c.Close)
	var all stopStats
	b.ResetTimer()
	for range b.N {
		for range *clusterStops {
			b.StopTimer()
			if c.member(2) == nil {
				if err := c.start(2); err != nil {
					b.Fatal(err)
				}
				if err := c.waitAvailable(); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
			s, err := measureStop(c, 2, *clusterLoad)
			if err != nil {
				b.Fatal(err)
			}
			all.add(s)
		}
	}
	b.StopTimer()
	all.report(b)
}

// oneStop is what one stop measured.
type oneStop struct {
	toUnavailable  time.Duration   // Close called → every probe had its first answer
	topology       time.Duration   // Close called → every survivor's topology without the victim
	firstAnswer    []time.Duration // each probe's call that got the first answer
	answers        Latency         // the answers after the first
	closeTook      time.Duration
	outcomeUnknown int // first answers that were an append in flight
	loadOps        int
	loadElapsed    time.Duration
}

// probeAnswers is how many ErrPartitionUnavailable answers a probe waits
// for.
const probeAnswers = 200

// probeBound is how long the probes may wait for their answers after
// the stop.
const probeBound = 30 * time.Second

// loadWindow is how long after calling Close the load is measured.
const loadWindow = 500 * time.Millisecond

// measureStop stops member victim of c (its graceful Close) while senders
// append through the other members to their own partitions, and probes
// append to the victim's.
func measureStop(c *benchCluster, victim, senders int) (oneStop, error) {
	var s oneStop
	n := len(c.members)
	var survivors []int
	for i := range n {
		if i != victim {
			survivors = append(survivors, i)
		}
	}
	var theirs, victims []messages.Coordinate // entities of the survivors' partitions, of the victim's
	for _, co := range coords {
		if k := partition.PartitionOf(co.Entity, len(c.owners)); k%n == victim {
			victims = append(victims, co)
		} else {
			theirs = append(theirs, co)
		}
	}
	ctx := context.Background()
	var (
		stop    atomic.Bool
		abort   atomic.Bool
		wg      sync.WaitGroup
		mu      sync.Mutex
		errs    []error
		t0      atomic.Int64 // UnixNano when Close is called, 0 before
		loadOps atomic.Int64
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for sender := range senders {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				m := c.member(survivors[(sender+i)%len(survivors)])
				_, err := m.Append(ctx, &messages.Append{Coordinate: theirs[(sender*7+i)%len(theirs)], Kind: kind, Payload: payload})
				if err != nil {
					fail(fmt.Errorf("load through %s: %w", m.Name(), err))
					return
				}
				if t0.Load() != 0 {
					loadOps.Add(1)
				}
			}
		})
	}
	// The probes: probe p, on member survivors[p], appends to an entity of
	// the victim's p-th partition.
	type probe struct {
		done    bool          // it had its answers
		first   time.Duration // since t0
		call    time.Duration
		unknown bool
		answers Latency
	}
	probes := make([]probe, len(survivors))
	// When each survivor's cluster publishes the topology without the
	// victim (the provider's part of the delay).
	seen := make([]atomic.Int64, len(survivors))
	for p, from := range survivors {
		es := c.member(from).System().EventStream
		sub := es.Subscribe(func(ev any) {
			if t, ok := ev.(*cluster.ClusterTopology); ok && len(t.Left) > 0 && t0.Load() != 0 {
				seen[p].CompareAndSwap(0, time.Now().UnixNano())
			}
		})
		defer es.Unsubscribe(sub)
	}
	ready := make(chan struct{}, len(survivors))
	var pwg sync.WaitGroup
	for p, from := range survivors {
		co := victimEntity(victims, c, p)
		pwg.Go(func() {
			m := c.member(from)
			got := 0
			for i := 0; got <= probeAnswers && !abort.Load(); i++ {
				start := time.Now()
				_, err := m.Append(ctx, &messages.Append{Coordinate: co, Kind: kind, Payload: payload})
				d := time.Since(start)
				switch {
				case err == nil:
					if i == 0 {
						ready <- struct{}{}
					}
					continue
				case !errors.Is(err, partition.ErrPartitionUnavailable):
					fail(fmt.Errorf("probe through %s: %w", m.Name(), err))
					return
				case t0.Load() == 0:
					fail(fmt.Errorf("probe through %s: unavailable before the stop: %w", m.Name(), err))
					return
				}
				if got == 0 {
					probes[p].first = time.Since(time.Unix(0, t0.Load()))
					probes[p].call = d
					probes[p].unknown = errors.Is(err, messages.ErrOutcomeUnknown)
				} else {
					probes[p].answers.Add(d)
				}
				got++
			}
			probes[p].done = got > probeAnswers
		})
	}
	for range survivors {
		select {
		case <-ready:
		case <-time.After(remoteTimeout):
			abort.Store(true)
			stop.Store(true)
			pwg.Wait()
			wg.Wait()
			return s, errors.Join(append(errs, errors.New("a probe's first append did not succeed in time"))...)
		}
	}
	time.Sleep(100 * time.Millisecond) // the load and the probes running
	start := time.Now()
	t0.Store(start.UnixNano())
	// A partition that never became unavailable fails the run.
	bound := time.AfterFunc(probeBound, func() { abort.Store(true) })
	err := c.stop(victim)
	s.closeTook = time.Since(start)
	pwg.Wait()
	bound.Stop()
	time.Sleep(time.Until(start.Add(loadWindow))) // the load's measured window
	stop.Store(true)
	wg.Wait()
	s.loadElapsed = time.Since(start)
	s.loadOps = int(loadOps.Load())
	if err != nil {
		errs = append(errs, fmt.Errorf("close: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return s, err
	}
	for p := range probes {
		if !probes[p].done {
			return s, fmt.Errorf("the probe through %s had no ErrPartitionUnavailable %v after the stop", c.member(survivors[p]).Name(), probeBound)
		}
	}
	for p := range seen {
		if seen[p].Load() == 0 {
			return s, fmt.Errorf("%s never published a topology without the stopped member", c.member(survivors[p]).Name())
		}
		s.topology = max(s.topology, time.Duration(seen[p].Load()-t0.Load()))
	}
	for _, p := range probes {
		s.toUnavailable = max(s.toUnavailable, p.first)
		s.firstAnswer = append(s.firstAnswer, p.call)
		s.answers.Merge(&p.answers)
		if p.unknown {
			s.outcomeUnknown++
		}
	}
	return s, nil
}

// victimEntity returns the p-th victim partition's first entity.
func victimEntity(victims []messages.Coordinate, c *benchCluster, p int) messages.Coordinate {
	var ks []int
	for _, co := range victims {
		if k := partition.PartitionOf(co.Entity, len(c.owners)); !slices.Contains(ks, k) {
			ks = append(ks, k)
		}
	}
	want := ks[p%len(ks)]
	for _, co := range victims {
		if partition.PartitionOf(co.Entity, len(c.owners)) == want {
			return co
		}
	}
	return victims[0]
}

// stopStats gathers the stops' figures.
type stopStats struct {
	toUnavailable, topology, firstAnswer, closeTook []time.Duration
	answers                                         Latency
	outcomeUnknown, stops, loadOps                  int
	loadElapsed                                     time.Duration
}

func (a *stopStats) add(s oneStop) {
	a.stops++
	a.toUnavailable = append(a.toUnavailable, s.toUnavailable)
	a.topology = append(a.topology, s.topology)
	a.firstAnswer = append(a.firstAnswer, s.firstAnswer...)
	a.closeTook = append(a.closeTook, s.closeTook)
	a.answers.Merge(&s.answers)
	a.outcomeUnknown += s.outcomeUnknown
	a.loadOps += s.loadOps
	a.loadElapsed += s.loadElapsed
}

func (a *stopStats) report(b *testing.B) {
	b.ReportMetric(0, "ns/op")
	tu, fa, ct := median(a.toUnavailable), median(a.firstAnswer), median(a.closeTook)
	b.ReportMetric(float64(tu)/1e6, "unavailable-p50-ms")
	b.ReportMetric(float64(slices.Max(a.toUnavailable))/1e6, "unavailable-max-ms")
	b.ReportMetric(float64(median(a.topology))/1e6, "topology-p50-ms")
	b.ReportMetric(float64(slices.Max(a.topology))/1e6, "topology-max-ms")
	b.ReportMetric(us(fa), "first-answer-p50-us")
	b.ReportMetric(us(slices.Max(a.firstAnswer)), "first-answer-max-us")
	b.ReportMetric(us(a.answers.Percentile(0.5)), "answer-p50-us")
	b.ReportMetric(us(a.answers.Percentile(0.99)), "answer-p99-us")
	b.ReportMetric(float64(ct)/1e6, "close-p50-ms")
	load := float64(a.loadOps) / a.loadElapsed.Seconds()
	b.ReportMetric(load, "load-during-ops/s")
	b.Logf("each stop: unavailable after %v; the survivors' topology after %v", a.toUnavailable, a.topology)
	b.Logf("%d stops: unavailable after %v (median), %v at most; the first answer's call took %v (median), %v at most (%d of %d an append in flight: outcome unknown); answers afterwards p50 %v, p99 %v; Close took %v (median); the load made %.0f appends/s meanwhile",
		a.stops, tu, slices.Max(a.toUnavailable), fa, slices.Max(a.firstAnswer), a.outcomeUnknown, len(a.firstAnswer),
		a.answers.Percentile(0.5), a.answers.Percentile(0.99), ct, load)
}

// median is the median of ds (the upper one of an even count).
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
