package main

import (
	"sync"
	"time"
)

// importClock is the clock of the engine import writes with
// (storage.Options.Clock), through which imported events keep their time.
//
// The engine reads its clock once for each event it stages (the event's
// ts_us is that reading, its wall_ms the reading raised to the entity's
// previous wall_ms), in item order. Before each append, import queues the
// times of its events with next; the engine's readings during the append
// take them in order. Outside an append (segment headers, sync timers) the
// clock is the real one. taken says how many times the engine read the
// clock during the append, so that import can check it read exactly one
// per event it staged (and none for a replay).
type importClock struct {
	mu     sync.Mutex
	active bool
	queue  []time.Time
	reads  int
}

// now is the engine's clock.
func (c *importClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.active {
		return time.Now()
	}
	c.reads++
	if c.reads <= len(c.queue) {
		return c.queue[c.reads-1]
	}
	return time.Now()
}

// next queues the times of the next append's events.
func (c *importClock) next(times []time.Time) {
	c.mu.Lock()
	c.active, c.queue, c.reads = true, times, 0
	c.mu.Unlock()
}

// taken returns how many times the clock was read since next, and goes
// back to the real clock.
func (c *importClock) taken() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.reads
	c.active, c.queue, c.reads = false, nil, 0
	return n
}
