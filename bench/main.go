// Command bench runs the same durable-append, concurrency-control, batch,
// cold-start (clean and after a kill -9), read and bytes-per-event
// workloads against batpak (engine and actors), the
// disk's own write+fdatasync limit, embedded NATS JetStream and bbolt, in
// one process, and writes a markdown table, a CSV file and a chart.
//
//	go run . -out results          # full run (~5–10 min)
//	go run . -quick -out results   # quick run (< 2 min)
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

func main() {
	if crashChildRequested() { // a child of the kill -9 row (crash.go)
		os.Exit(crashChild())
	}
	quick := flag.Bool("quick", false, "short cells (1 s) and a 100k-event cold-start store")
	out := flag.String("out", "results", "directory for results.md, results.csv and throughput.png")
	cellDur := flag.Duration("cell", 0, "duration of each timed cell (default 5s, quick 1s)")
	coldN := flag.Int("cold", 0, "events in the cold-start store (default 1,000,000, quick 100,000)")
	only := flag.String("systems", "", "comma-separated substrings of system names to run (default all)")
	flag.Parse()
	if err := run(*quick, *out, *cellDur, *coldN, *only); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// allSystems are the table's columns; the disk comes first.
func allSystems() []System {
	return []System{newDisk(), newEngine(), newActors(), newJetStream(true), newJetStream(false), newBolt(false), newBolt(true)}
}

func run(quick bool, out string, cellDur time.Duration, coldN int, only string) error {
	if cellDur == 0 {
		cellDur = 5 * time.Second
		if quick {
			cellDur = time.Second
		}
	}
	if coldN == 0 {
		coldN = 1_000_000
		if quick {
			coldN = 100_000
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(out, "tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var systems []System
	for _, s := range allSystems() {
		if s.Name() == newDisk().Name() || selected(s.Name(), only) {
			systems = append(systems, s)
		}
	}
	res := NewResults(systems, quick, coldN, cellDur)
	r := &Runner{Tmp: tmp, CellDur: cellDur, ColdN: coldN, Log: func(f string, a ...any) {
		fmt.Fprintf(os.Stderr, f+"\n", a...)
	}}
	started := time.Now()
	r.Run(ctx, systems, res)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	wall := time.Since(started)

	table := res.Markdown()
	targets := res.TargetsMarkdown()
	fmt.Println(table)
	fmt.Println("Targets:")
	fmt.Println(targets)
	return writeFiles(out, res, table, targets, wall)
}

// selected says whether a system's name matches one of the filters.
func selected(name, only string) bool {
	if only == "" {
		return true
	}
	for _, f := range strings.Split(only, ",") {
		if f != "" && strings.Contains(strings.ToLower(name), strings.ToLower(strings.TrimSpace(f))) {
			return true
		}
	}
	return false
}

// writeFiles writes results.md, results.csv and throughput.png into out.
func writeFiles(out string, res *Results, table, targets string, wall time.Duration) error {
	var md strings.Builder
	md.WriteString("# batpak-go and peers: durable event store benchmark\n\n")
	fmt.Fprintf(&md, "- date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&md, "- machine: %s; nproc %d; %s\n", uname(), runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(&md, "- command: `cd bench && go run . %s`\n", strings.Join(os.Args[1:], " "))
	fmt.Fprintf(&md, "- wall time of the measurements: %s\n\n", wall.Round(time.Second))
	md.WriteString(table)
	md.WriteString("\n## Targets (from the issue)\n\n")
	md.WriteString(targets)
	md.WriteString("\n![throughput](throughput.png)\n")
	if err := os.WriteFile(filepath.Join(out, "results.md"), []byte(md.String()), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(out, "results.csv"))
	if err != nil {
		return err
	}
	if err := res.WriteCSV(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return res.WriteChart(filepath.Join(out, "throughput.png"))
}

// uname is `uname -srmo`, or the OS/arch if it cannot run.
func uname() string {
	b, err := exec.Command("uname", "-srmo").Output()
	if err != nil {
		return runtime.GOOS + "/" + runtime.GOARCH
	}
	return strings.TrimSpace(string(b))
}
