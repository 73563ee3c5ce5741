package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/batpak-go/batpak/internal/benchutil"
	"sync"
	"time"
)

// Workload constants shared by every system.
const (
	payloadSize = 256
	entities    = 1000
	batchSize   = 100
	occProducer = 16   // producers of the optimistic-concurrency and idempotency rows
	batchProds  = 16   // producers of the atomic-batch row
	readPage    = 1000 // events per page of the paged read
)

// errPagedActorsOnly is the paged read's n/a: the row measures the actors.
var errPagedActorsOnly = notSupported("the paged read measures the actors' read path")

// producerCounts are the concurrencies of the durable-append rows.
var producerCounts = []int{1, 16, 256}

// errNA marks a workload a system does not support; the reason goes in a footnote.
type errNA struct{ reason string }

func (e errNA) Error() string { return "n/a: " + e.reason }

// notSupported returns an errNA with the given reason.
func notSupported(reason string) error { return errNA{reason} }

// System is one store under test. Open gives a fresh or existing store in
// dir; producers is the concurrency the caller is about to use (bbolt sizes
// its batches by it).
type System interface {
	// Name is the column header.
	Name() string
	// DurableAtAck says whether an acknowledged append survives an OS crash.
	DurableAtAck() bool
	// Open opens (or creates) the store in dir.
	Open(dir string, producers int) error
	// Producer returns the i-th concurrent client; each is used by one goroutine.
	Producer(i int) Producer
	// Count returns the number of events stored.
	Count() (int, error)
	// Fill appends n events quickly (any durability), round robin over the entities.
	Fill(n int) error
	// ReadEntity reads the whole stream of one entity and returns its length.
	ReadEntity(entity int) (int, error)
	// ReadEntityBackward reads the whole stream of one entity from its last
	// event to its first and returns its length.
	ReadEntityBackward(entity int) (int, error)
	// Scan reads every event of the store and returns how many it read.
	Scan() (int, error)
	// ScanPaged reads every event in pages of readPage events through the
	// actors' read path and returns how many it read (n/a elsewhere).
	ScanPaged() (int, error)
	// Close closes the store.
	Close() error
}

// Producer is one client of a system, used by one goroutine at a time. It
// keeps its own state (the versions it expects, its idempotency keys).
type Producer interface {
	// Append appends one event to the entity and returns once it is acknowledged.
	Append(entity int) error
	// AppendExpected appends one event on the condition that the entity is at
	// the version this producer last saw (it owns the entity).
	AppendExpected(entity int) error
	// AppendIdempotent appends one event with the idempotency key; replayed
	// says the store recognised it as a retry and wrote nothing.
	AppendIdempotent(entity int, key string) (replayed bool, err error)
	// AppendBatch appends one event per entity, atomically.
	AppendBatch(ents []int) error
}

// ConcurrentAppender is implemented by systems that drive the durable-append
// rows themselves (the actors: requesting actors instead of goroutines).
type ConcurrentAppender interface {
	RunAppends(ctx context.Context, producers int, d time.Duration) (Result, error)
}

// payload is the 256-byte body of every event.
var payload = func() []byte {
	p := make([]byte, payloadSize)
	for i := range p {
		p[i] = byte(i*7 + 1)
	}
	return p
}()

// Latency collects durations and gives percentiles (shared with the
// module's own benchmarks).
type Latency = benchutil.Latency

// Result is what one timed run measured.
type Result struct {
	Events   int
	Elapsed  time.Duration
	P50, P99 time.Duration
}

// Rate is events per second.
func (r Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Events) / r.Elapsed.Seconds()
}

// opFunc is one producer operation; it returns the events it appended.
type opFunc func(p Producer, producer, i int) (int, error)

// runTimed runs n producers, each calling op in a loop until d has passed
// (or ctx ends), and measures events/s and the latency of each op.
func runTimed(ctx context.Context, sys System, n int, d time.Duration, op opFunc) (Result, error) {
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		all     Latency
		events  int
		firstEr error
	)
	deadline := time.Now().Add(d)
	start := time.Now()
	for p := 0; p < n; p++ {
		prod := sys.Producer(p)
		wg.Go(func() {
			var lat Latency
			count := 0
			var err error
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				t0 := time.Now()
				var k int
				if k, err = op(prod, p, i); err != nil {
					break
				}
				lat.Add(time.Since(t0))
				count += k
			}
			mu.Lock()
			defer mu.Unlock()
			all.Merge(&lat)
			events += count
			if err != nil && firstEr == nil {
				firstEr = fmt.Errorf("producer %d: %w", p, err)
			}
		})
	}
	wg.Wait()
	r := Result{Events: events, Elapsed: time.Since(start), P50: all.Percentile(0.5), P99: all.Percentile(0.99)}
	if firstEr == nil {
		firstEr = ctx.Err()
	}
	return r, firstEr
}

// ownedEntity is the i-th entity owned by producer p of n (entity e belongs
// to producer e mod n), so optimistic-concurrency appends never conflict.
func ownedEntity(p, n, i int) int {
	per := entities / n
	return (p + n*(i%per)) % entities
}

// Ops of the workloads.
var (
	opAppend = func(p Producer, producer, i int) (int, error) {
		return 1, p.Append((producer*7 + i) % entities)
	}
	opExpected = func(p Producer, producer, i int) (int, error) {
		return 1, p.AppendExpected(ownedEntity(producer, occProducer, i))
	}
	opIdempotent = func(p Producer, producer, i int) (int, error) {
		key := fmt.Sprintf("p%d-%d", producer, i)
		e := (producer*7 + i) % entities
		if rep, err := p.AppendIdempotent(e, key); err != nil {
			return 0, err
		} else if rep {
			return 0, errors.New("first append reported as a replay")
		}
		rep, err := p.AppendIdempotent(e, key)
		if err != nil {
			return 0, fmt.Errorf("retry: %w", err)
		}
		if !rep {
			return 0, errors.New("retry was not recognised as a duplicate")
		}
		return 1, nil
	}
	opBatch = func(p Producer, producer, i int) (int, error) {
		ents := make([]int, batchSize)
		for j := range ents {
			ents[j] = (producer*131 + i*batchSize + j) % entities
		}
		return batchSize, p.AppendBatch(ents)
	}
)
