package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeResults is a full table with made-up numbers.
func fakeResults(coldN int) *Results {
	res := NewResults(allSystems(), coldN != 1_000_000, coldN, time.Second)
	for col := range res.Systems {
		f := float64(col + 1)
		for _, n := range producerCounts {
			rows := appendRows[n]
			c := Cell{Rate: 1000 * f * float64(n), P50: time.Duration(col+1) * 100 * time.Microsecond, P99: time.Millisecond}
			res.Set(rows[0], col, c)
			res.Set(rows[1], col, c)
		}
		res.Set(RowExpected, col, Cell{Rate: 5000 * f})
		res.Set(RowIdempotent, col, Cell{Rate: 4000 * f})
		res.Set(RowBatch, col, Cell{Rate: 100_000 * f})
		res.Set(RowColdStart, col, Cell{Dur: 500 * time.Millisecond})
		res.Set(RowColdCrash, col, Cell{Dur: 700 * time.Millisecond})
		res.Set(RowReadEntity, col, Cell{Dur: time.Millisecond, Rate: 1e6})
		res.Set(RowReadEntityBack, col, Cell{Dur: 2 * time.Millisecond, Rate: 5e5})
		res.Set(RowScan, col, Cell{Dur: time.Second, Rate: float64(coldN)})
		res.Set(RowPagedScan, col, Cell{Err: errPagedActorsOnly})
		res.Set(RowIndexMemory, col, Cell{Err: errIndexNotMeasured})
		res.Set(RowDiskBytes, col, Cell{Bytes: 256 * f})
	}
	res.Set(RowExpected, diskCol, Cell{Err: notSupported("no versions")})
	res.Set(RowIdempotent, diskCol, Cell{Err: notSupported("no versions")})
	res.Set(RowPagedScan, res.col(actorsName), Cell{Dur: 2 * time.Second, Rate: float64(coldN) / 2})
	res.Set(RowIndexMemory, res.col(engineName), Cell{Bytes: 99.5})
	return res
}

func TestMarkdownTable(t *testing.T) {
	md := fakeResults(1_000_000).Markdown()
	lines := strings.Split(md, "\n")
	if !strings.HasPrefix(lines[0], "| workload | disk") {
		t.Fatalf("header: %q", lines[0])
	}
	for _, want := range []string{"n/a [1]", "- [1] no versions", "**no** (page cache only)", "(2.0x disk)", "p50 2.00x disk",
		"| read one entity's stream backward (1,000 events) |", "| paged read through actors (1M events, pages of 1,000) |",
		"| cold start after a kill -9 mid-segment (1M events + 100k unsealed): open until ready |",
		"| index memory per event (live heap after open) | n/a [", " 99.5 B |", "| bytes on disk per 256-B event (after a clean close) | 256.0 B | 512.0 B (2.0x disk) |"} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
	if strings.Count(md, "- [") != 3 { // versions, paged read, index
		t.Errorf("the same reason got two footnotes:\n%s", md)
	}
	cols := strings.Count(lines[0], "|")
	for _, l := range lines[1 : 3+int(numRows)] {
		if strings.Count(l, "|") != cols {
			t.Errorf("row with %d cells, header %d: %q", strings.Count(l, "|"), cols, l)
		}
	}
}

func TestTargets(t *testing.T) {
	res := fakeResults(1_000_000)
	got := map[string]Target{}
	for _, tg := range res.Targets() {
		got[tg.Goal] = tg
	}
	if len(got) != 14 {
		t.Fatalf("%d targets: %v", len(got), got)
	}
	for goal, tg := range got {
		want := []string{"met", "missed"}
		if strings.HasPrefix(goal, "bytes on disk") {
			want = []string{"reported"}
		}
		if !slices.Contains(want, tg.Status) {
			t.Errorf("%s: %s (%s)", goal, tg.Status, tg.Detail)
		}
	}
	// In the fake table column i has i+1 times the disk's rates and the
	// same read times as bbolt, 500 ms clean cold starts, 700 ms after the crash.
	for goal, want := range map[string]string{
		"full scan: engine and actors at least at bbolt's rate":                                         "met",
		"one entity's 1,000 events: engine and actors no slower than bbolt":                             "met",
		"stretch: one entity's events in half of bbolt's time":                                          "missed",
		"cold start after 1M events, clean close: engine and actors ≤ 150 ms and ≤ half of JetStream's": "missed",
		"cold start after a kill -9 mid-segment: engine and actors ≤ 500 ms":                            "missed",
		"index memory: ≤ 64 B per event":                                                                "missed",
		"durable appends, 256 producers: engine ≥ 90% of the disk row":                                  "met",
		"stretch: durable appends, 256 producers: actors within 5% of the engine":                       "met",
		"durable appends, 1 producer: engine and actors p50 ≤ 1.1x the disk's":                          "missed",
	} {
		if tg, ok := got[goal]; !ok || tg.Status != want {
			t.Errorf("%s: got %q (%s), want %s", goal, tg.Status, tg.Detail, want)
		}
	}
	quick := fakeResults(100_000)
	n := 0
	for _, tg := range quick.Targets() {
		if tg.Status == "not measured" {
			n++
			if !strings.Contains(tg.Detail, "this run used 100k events") {
				t.Errorf("%s: %s", tg.Goal, tg.Detail)
			}
		}
	}
	if n != 2 {
		t.Errorf("a quick run judges the 1M cold starts:\n%s", quick.TargetsMarkdown())
	}
	quick.Set(RowColdCrash, quick.col(actorsName), Cell{Err: errors.New("lost events")})
	if md := quick.TargetsMarkdown(); !strings.Contains(md, "**not measured** — cold start after a kill -9 mid-segment: engine and actors ≤ 500 ms: a cell it needs is missing or failed") {
		t.Errorf("a failed crash cell is not reported as such:\n%s", md)
	}
}

func TestCSV(t *testing.T) {
	var b bytes.Buffer
	res := fakeResults(1_000_000)
	if err := res.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + int(numRows)*len(res.Systems); len(recs) != want {
		t.Fatalf("%d records, want %d", len(recs), want)
	}
	if recs[0][0] != "workload" || recs[1][1] != res.Systems[0] {
		t.Errorf("unexpected records: %v %v", recs[0], recs[1])
	}
}

func TestChartWritesPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "throughput.png")
	if err := fakeResults(1_000_000).WriteChart(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatal("not a PNG")
	}
}

func TestFormats(t *testing.T) {
	for got, want := range map[string]string{
		rate(950): "950/s", rate(1234): "1.2k/s", rate(123456): "123k/s", rate(1.5e6): "1.50M/s",
		dur(245 * time.Microsecond): "245µs", dur(1420 * time.Microsecond): "1.42ms", dur(2100 * time.Millisecond): "2.10s",
		count(1_000_000): "1M", count(100_000): "100k", count(1000): "1,000", count(100): "100",
		pct(0.14): "14%", pct(0.012): "1.2%", pct(3.4): "3.4x",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

// The chart's point panels draw every measured cell of their rows, each
// inside its workload's slot, and skip the n/a ones.
func TestChartPoints(t *testing.T) {
	res := fakeResults(1_000_000)
	for _, tc := range []struct {
		groups []chartGroup
		want   map[string]int // points per system
	}{
		{readGroups, map[string]int{engineName: 3, actorsName: 4, diskName: 3}},
		{coldGroups, map[string]int{engineName: 2, actorsName: 2}},
		{bytesGroups, map[string]int{engineName: 2, actorsName: 1, diskName: 1}},
	} {
		pts := res.points(tc.groups)
		for name, want := range tc.want {
			xys := pts[res.col(name)]
			if len(xys) != want {
				t.Errorf("%s in %s: %d points, want %d", name, tc.groups[0].label, len(xys), want)
			}
			for _, xy := range xys {
				if g := math.Round(xy.X); math.Abs(xy.X-g) >= 0.5 || g < 0 || int(g) >= len(tc.groups) {
					t.Errorf("%s: point at x %.2f is outside every slot", name, xy.X)
				}
			}
		}
	}
}
