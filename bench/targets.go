package main

import (
	"fmt"
	"strings"
	"time"
)

// Target is one goal from the issue, checked against a run.
type Target struct {
	Goal   string
	Status string // met, missed, not measured
	Detail string
}

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

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "missed"
}

// Targets checks the goals.
func (r *Results) Targets() []Target {
	var ts []Target
	const actorsName, engineName = "batpak actors", "batpak engine"
	a256, okA := r.cell(RowAppend256, actorsName)
	add := func(goal string, ok bool, f func() (bool, string)) {
		if !ok {
			ts = append(ts, Target{goal, "not measured", "a cell it needs is missing or failed"})
			return
		}
		met, detail := f()
		ts = append(ts, Target{goal, verdict(met), detail})
	}
	add("actors, 256 producers: ≥ 100k durable events/s", okA, func() (bool, string) {
		return a256.Rate >= 100_000, rate(a256.Rate)
	})
	jn, okN := r.cell(RowAppend256, "JetStream (no fsync at ack)")
	add("actors, 256 producers: more than JetStream without fsync", okA && okN, func() (bool, string) {
		return a256.Rate > jn.Rate, fmt.Sprintf("%s vs %s (%.2fx)", rate(a256.Rate), rate(jn.Rate), a256.Rate/jn.Rate)
	})
	js, okS := r.cell(RowAppend256, "JetStream (sync always)")
	add("actors, 256 producers: ~25x JetStream with fsync (met if ≥ 25x)", okA && okS, func() (bool, string) {
		return a256.Rate >= 25*js.Rate, fmt.Sprintf("%s vs %s (%.1fx)", rate(a256.Rate), rate(js.Rate), a256.Rate/js.Rate)
	})
	a1, ok1 := r.cell(RowLatency1, actorsName)
	d1, okD := r.cell(RowLatency1, "disk (write+fdatasync)")
	add("actors, 1 producer: latency within 1.3x of the disk loop (p50)", ok1 && okD, func() (bool, string) {
		x := float64(a1.P50) / float64(d1.P50)
		return x <= 1.3, fmt.Sprintf("p50 %s vs %s (%.2fx); p99 %s vs %s (%.2fx)",
			dur(a1.P50), dur(d1.P50), x, dur(a1.P99), dur(d1.P99), float64(a1.P99)/float64(d1.P99))
	})
	ab, okB := r.cell(RowBatch, actorsName)
	add(fmt.Sprintf("actors, batches of %d: ≥ 200k events/s", batchSize), okB, func() (bool, string) {
		return ab.Rate >= 200_000, rate(ab.Rate)
	})
	ec, okE := r.cell(RowColdStart, engineName)
	ac, _ := r.cell(RowColdStart, actorsName)
	goal := "cold start of 1M events under 1 s (storage.Open)"
	switch {
	case !okE:
		ts = append(ts, Target{goal, "not measured", "the cold-start cell failed"})
	case r.ColdN != 1_000_000:
		ts = append(ts, Target{goal, "not measured",
			fmt.Sprintf("this run used %s events: storage.Open %s, actors.Spawn %s; run without -quick for 1M", count(r.ColdN), dur(ec.Dur), dur(ac.Dur))})
	default:
		ts = append(ts, Target{goal, verdict(ec.Dur < time.Second),
			fmt.Sprintf("storage.Open %s; actors.Spawn until ready %s", dur(ec.Dur), dur(ac.Dur))})
	}
	return ts
}

// TargetsMarkdown renders the targets as a list.
func (r *Results) TargetsMarkdown() string {
	var b strings.Builder
	for _, t := range r.Targets() {
		fmt.Fprintf(&b, "- **%s** — %s: %s\n", t.Status, t.Goal, t.Detail)
	}
	return b.String()
}
