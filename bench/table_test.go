package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
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
		res.Set(RowReadEntity, col, Cell{Dur: time.Millisecond, Rate: 1e6})
		res.Set(RowScan, col, Cell{Dur: time.Second, Rate: float64(coldN)})
	}
	res.Set(RowExpected, diskCol, Cell{Err: notSupported("no versions")})
	res.Set(RowIdempotent, diskCol, Cell{Err: notSupported("no versions")})
	return res
}

func TestMarkdownTable(t *testing.T) {
	md := fakeResults(1_000_000).Markdown()
	lines := strings.Split(md, "\n")
	if !strings.HasPrefix(lines[0], "| workload | disk") {
		t.Fatalf("header: %q", lines[0])
	}
	for _, want := range []string{"n/a [1]", "- [1] no versions", "**no** (page cache only)", "(2.0x disk)", "p50 2.00x disk"} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "n/a [2]") {
		t.Error("the same reason got two footnotes")
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
	got := map[string]string{}
	for _, tg := range res.Targets() {
		got[tg.Goal] = tg.Status
	}
	if len(got) != 6 {
		t.Fatalf("%d targets: %v", len(got), got)
	}
	for goal, status := range got {
		if status != "met" && status != "missed" {
			t.Errorf("%s: %s", goal, status)
		}
	}
	quick := fakeResults(100_000).TargetsMarkdown()
	if !strings.Contains(quick, "not measured") {
		t.Errorf("quick run claims the 1M cold start:\n%s", quick)
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
