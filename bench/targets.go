package main

import (
	"fmt"
	"strings"
	"time"
)

// Target is one goal from the issue, checked against a run.
type Target struct {
	Goal   string
	Status string // met, missed, reported (no threshold), not measured
	Detail string
}

// Column names the targets refer to.
const (
	engineName = "batpak engine"
	actorsName = "batpak actors"
	diskName   = "disk (write+fdatasync)"
)

// Peers the read and cold-start targets compare with: the best of each
// peer's columns (the same files, written two ways).
var (
	boltNames = []string{"bbolt (tx per append)", "bbolt batched"}
	jsNames   = []string{"JetStream (sync always)", "JetStream (no fsync at ack)"}
)

// Targets of the cold starts, in a run of 1M events.
const (
	coldCleanMax = 150 * time.Millisecond
	coldCrashMax = 500 * time.Millisecond
	targetColdN  = 1_000_000
	indexMax     = 64 // bytes per event
)

// col finds a system's column by name (-1 if absent).
func (r *Results) col(name string) int {
	for i, s := range r.Systems {
		if s == name {
			return i
		}
	}
	return -1
}

// cell returns a measured, error-free cell.
func (r *Results) cell(row Row, name string) (Cell, bool) {
	i := r.col(name)
	if i < 0 {
		return Cell{}, false
	}
	c := r.Cells[row][i]
	return c, c.Done && c.Err == nil
}

// measure is one system's cell.
type measure struct {
	name string
	c    Cell
}

// short is the system's name without "batpak ".
func (m measure) short() string { return strings.TrimPrefix(m.name, "batpak ") }

// systems returns the cells of row for the named systems, false unless
// every one was measured.
func (r *Results) systems(row Row, names ...string) ([]measure, bool) {
	var ms []measure
	for _, n := range names {
		c, ok := r.cell(row, n)
		if !ok {
			return nil, false
		}
		ms = append(ms, measure{n, c})
	}
	return ms, true
}

// batpak returns the engine's and the actors' cells of row.
func (r *Results) batpak(row Row) ([]measure, bool) { return r.systems(row, engineName, actorsName) }

// best returns the best measured cell of row among the named systems.
func (r *Results) best(row Row, names []string, better func(a, b Cell) bool) (measure, bool) {
	var m measure
	found := false
	for _, n := range names {
		if c, ok := r.cell(row, n); ok && (!found || better(c, m.c)) {
			m, found = measure{n, c}, true
		}
	}
	return m, found
}

func fasterRate(a, b Cell) bool { return a.Rate > b.Rate }
func shorter(a, b Cell) bool    { return a.Dur < b.Dur }

// all says whether every cell passes.
func all(ms []measure, pass func(Cell) bool) bool {
	for _, m := range ms {
		if !pass(m.c) {
			return false
		}
	}
	return true
}

// list formats each system's figure: "engine 1.2M/s (2.1x), actors ...".
func list(ms []measure, show func(Cell) string) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.short() + " " + show(m.c)
	}
	return strings.Join(parts, ", ")
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "missed"
}

// Targets checks the goals. A goal that names both batpak systems
// is met when both meet it.
func (r *Results) Targets() []Target {
	var t targetList
	r.readTargets(&t)
	r.coldTargets(&t)
	r.appendTargets(&t)
	r.bytesTarget(&t)
	return t
}

// targetList collects the targets.
type targetList []Target

// add appends a target.
func (t *targetList) add(goal, status, detail string) { *t = append(*t, Target{goal, status, detail}) }

// check adds a goal: not measured unless ok, else met or missed as f says.
func (t *targetList) check(goal string, ok bool, f func() (bool, string)) {
	if !ok {
		t.add(goal, "not measured", "a cell it needs is missing or failed")
		return
	}
	met, detail := f()
	t.add(goal, verdict(met), detail)
}

// readTargets: the full scan and one entity's stream against bbolt.
func (r *Results) readTargets(t *targetList) {
	scan, okS := r.batpak(RowScan)
	bs, okB := r.best(RowScan, boltNames, fasterRate)
	for _, x := range []float64{1, 2} {
		goal := "full scan: engine and actors at least at bbolt's rate"
		if x == 2 {
			goal = "stretch: full scan at twice bbolt's rate"
		}
		t.check(goal, okS && okB, func() (bool, string) {
			return all(scan, func(c Cell) bool { return c.Rate >= x*bs.c.Rate }),
				list(scan, func(c Cell) string { return fmt.Sprintf("%s (%.2fx)", rate(c.Rate), c.Rate/bs.c.Rate) }) +
					" vs " + bs.name + " " + rate(bs.c.Rate)
		})
	}
	ent, okE := r.batpak(RowReadEntity)
	be, okB := r.best(RowReadEntity, boltNames, shorter)
	for _, x := range []float64{1, 0.5} {
		goal := fmt.Sprintf("one entity's %s events: engine and actors no slower than bbolt", count(r.ColdN/entities))
		if x == 0.5 {
			goal = "stretch: one entity's events in half of bbolt's time"
		}
		t.check(goal, okE && okB, func() (bool, string) {
			return all(ent, func(c Cell) bool { return float64(c.Dur) <= x*float64(be.c.Dur) }),
				list(ent, func(c Cell) string { return fmt.Sprintf("%s (%.2fx)", dur(c.Dur), float64(c.Dur)/float64(be.c.Dur)) }) +
					" vs " + be.name + " " + dur(be.c.Dur)
		})
	}
}

// coldTargets: the cold starts after a clean close and after a kill -9,
// judged only on a store of 1M events.
func (r *Results) coldTargets(t *targetList) {
	clean, okC := r.batpak(RowColdStart)
	js, okJ := r.best(RowColdStart, jsNames, shorter)
	goal := fmt.Sprintf("cold start after 1M events, clean close: engine and actors ≤ %d ms and ≤ half of JetStream's", coldCleanMax.Milliseconds())
	showClean := func() string {
		return list(clean, func(c Cell) string { return dur(c.Dur) }) + " vs " + js.name + " " + dur(js.c.Dur)
	}
	if okC && okJ && r.ColdN != targetColdN {
		t.add(goal, "not measured", fmt.Sprintf("this run used %s events: %s; run without -quick for 1M", count(r.ColdN), showClean()))
	} else {
		t.check(goal, okC && okJ, func() (bool, string) {
			return all(clean, func(c Cell) bool { return c.Dur <= coldCleanMax && 2*c.Dur <= js.c.Dur }), showClean()
		})
	}
	crash, okK := r.batpak(RowColdCrash)
	goal = fmt.Sprintf("cold start after a kill -9 mid-segment: engine and actors ≤ %d ms", coldCrashMax.Milliseconds())
	showCrash := func() string { return list(crash, func(c Cell) string { return dur(c.Dur) }) }
	if okK && r.ColdN != targetColdN {
		t.add(goal, "not measured", fmt.Sprintf("this run used %s events: %s; run without -quick for 1M", count(r.ColdN), showCrash()))
	} else {
		t.check(goal, okK, func() (bool, string) {
			return all(crash, func(c Cell) bool { return c.Dur <= coldCrashMax }), showCrash()
		})
	}
	idx, okI := r.systems(RowIndexMemory, engineName)
	t.check(fmt.Sprintf("index memory: ≤ %d B per event", indexMax), okI, func() (bool, string) {
		return all(idx, func(c Cell) bool { return c.Bytes <= indexMax }), list(idx, func(c Cell) string { return fmt.Sprintf("%.1f B", c.Bytes) })
	})
}

// appendTargets: the durable appends against the disk row.
func (r *Results) appendTargets(t *targetList) {
	ofDiskRow := func(goal string, row Row, share float64, names ...string) {
		ms, ok := r.systems(row, names...)
		d, okD := r.cell(row, diskName)
		t.check(goal, ok && okD, func() (bool, string) {
			return all(ms, func(c Cell) bool { return c.Rate >= share*d.Rate }),
				list(ms, func(c Cell) string { return fmt.Sprintf("%s (%s)", rate(c.Rate), pct(c.Rate/d.Rate)) }) + " vs disk " + rate(d.Rate)
		})
	}
	ofDiskRow("durable appends, 256 producers: engine ≥ 90% of the disk row", RowAppend256, 0.90, engineName)
	ofDiskRow("durable appends, 256 producers: actors ≥ 85% of the disk row", RowAppend256, 0.85, actorsName)
	a256, ok := r.batpak(RowAppend256)
	t.check("stretch: durable appends, 256 producers: actors within 5% of the engine", ok, func() (bool, string) {
		e, a := a256[0].c.Rate, a256[1].c.Rate
		return a >= 0.95*e, fmt.Sprintf("actors %s vs engine %s (%s)", rate(a), rate(e), pct(a/e))
	})
	ofDiskRow("durable appends, 16 producers: engine and actors ≥ 85% of the disk row", RowAppend16, 0.85, engineName, actorsName)
	l1, okL := r.batpak(RowLatency1)
	d1, okD := r.cell(RowLatency1, diskName)
	t.check("durable appends, 1 producer: engine and actors p50 ≤ 1.1x the disk's", okL && okD, func() (bool, string) {
		return all(l1, func(c Cell) bool { return float64(c.P50) <= 1.1*float64(d1.P50) }),
			list(l1, func(c Cell) string {
				return fmt.Sprintf("p50 %s (%.2fx), p99 %s", dur(c.P50), float64(c.P50)/float64(d1.P50), dur(c.P99))
			}) + fmt.Sprintf(" vs disk p50 %s, p99 %s", dur(d1.P50), dur(d1.P99))
	})
	ofDiskRow(fmt.Sprintf("atomic batches of %d, %d producers: engine and actors ≥ 50%% of the disk row", batchSize, batchProds),
		RowBatch, 0.50, engineName, actorsName)
}

// bytesTarget reports the bytes on disk per event (no threshold).
func (r *Results) bytesTarget(t *targetList) {
	goal := fmt.Sprintf("bytes on disk per %d-B event (frame + footer share)", payloadSize)
	var parts []string
	for col, name := range r.Systems {
		if c, ok := r.cell(RowDiskBytes, name); ok && c.Bytes > 0 {
			parts = append(parts, fmt.Sprintf("%s %.1f B", strings.TrimPrefix(r.Systems[col], "batpak "), c.Bytes))
		}
	}
	if _, ok := r.batpak(RowDiskBytes); !ok {
		t.add(goal, "not measured", "a cell it needs is missing or failed")
		return
	}
	t.add(goal, "reported", strings.Join(parts, ", "))
}

// TargetsMarkdown renders the targets as a list.
func (r *Results) TargetsMarkdown() string {
	var b strings.Builder
	for _, t := range r.Targets() {
		fmt.Fprintf(&b, "- **%s** — %s: %s\n", t.Status, t.Goal, t.Detail)
	}
	return b.String()
}
