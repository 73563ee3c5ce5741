package main

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// Every adapter appends a few events in each way, reads them back, and
// finds them again after a reopen.
func TestSystemsAppendAndReadBack(t *testing.T) {
	for _, sys := range allSystems() {
		t.Run(sys.Name(), func(t *testing.T) {
			dir := t.TempDir()
			if err := sys.Open(dir, 2); err != nil {
				t.Fatal(err)
			}
			p := sys.Producer(0)
			want := 0
			for i := range 10 {
				if err := p.Append(i % 2); err != nil {
					t.Fatal(err)
				}
				want++
			}
			// Entity 0 now holds 5 events: an expected-version append must
			// fail for a producer that believes it is empty.
			if err := p.AppendExpected(3); err == nil {
				want++
				if err := p.AppendExpected(3); err != nil {
					t.Fatalf("second expected append: %v", err)
				}
				want++
				if err := sys.Producer(1).AppendExpected(0); err == nil {
					t.Fatal("an append expecting version 0 on a stream of 5 was accepted")
				}
			} else if !isNA(err) {
				t.Fatal(err)
			}
			if rep, err := p.AppendIdempotent(4, "k1"); err == nil {
				if rep {
					t.Fatal("first idempotent append reported as replay")
				}
				want++
				if rep, err := p.AppendIdempotent(4, "k1"); err != nil || !rep {
					t.Fatalf("retry: replayed %v, err %v", rep, err)
				}
			} else if !isNA(err) {
				t.Fatal(err)
			}
			if err := p.AppendBatch([]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}); err != nil {
				t.Fatal(err)
			}
			want += 10
			check := func() {
				t.Helper()
				if n, err := sys.Count(); err != nil || n != want {
					t.Fatalf("count %d (%v), want %d", n, err, want)
				}
				if n, err := sys.Scan(); err != nil || n != want {
					t.Fatalf("scan %d (%v), want %d", n, err, want)
				}
				for name, read := range map[string]func(int) (int, error){"forward": sys.ReadEntity, "backward": sys.ReadEntityBackward} {
					if n, err := read(0); err == nil {
						if n != 6 { // 5 appends + 1 batch item
							t.Fatalf("entity 0 read %s has %d events, want 6", name, n)
						}
					} else if !isNA(err) {
						t.Fatalf("read %s: %v", name, err)
					}
				}
				if n, err := sys.ScanPaged(); err == nil {
					if n != want {
						t.Fatalf("paged scan %d, want %d", n, want)
					}
				} else if !isNA(err) {
					t.Fatalf("paged scan: %v", err)
				}
			}
			check()
			if err := sys.Close(); err != nil {
				t.Fatal(err)
			}
			if err := sys.Open(dir, 1); err != nil {
				t.Fatal(err)
			}
			check()
			if err := sys.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func isNA(err error) bool {
	var na errNA
	return errors.As(err, &na)
}

// The runner fills whole columns for a small run of the disk, the engine
// and the actors (whose kill -9 row runs in a child process).
func TestRunnerSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	systems := []System{newDisk(), newEngine(), newActors()}
	res := NewResults(systems, true, 2000, 50*time.Millisecond)
	r := &Runner{Tmp: t.TempDir(), CellDur: 50 * time.Millisecond, ColdN: 2000, Log: t.Logf}
	r.Run(context.Background(), systems, res)
	na := map[Row][]string{ // rows a column does not measure
		RowPagedScan:   {engineName},
		RowIndexMemory: {actorsName},
	}
	for row := Row(0); row < numRows; row++ {
		for col := 1; col < len(systems); col++ {
			c := res.Cells[row][col]
			if _, isNA := c.NA(); isNA && slices.Contains(na[row], res.Systems[col]) {
				continue
			}
			if !c.Done || c.Err != nil {
				t.Errorf("%s, %s: done %v, err %v", res.Systems[col], res.Label(row), c.Done, c.Err)
			}
		}
	}
	if c := res.Cells[RowAppend16][0]; c.Err != nil || c.Rate == 0 {
		t.Errorf("disk, 16 producers: %+v", c)
	}
	if _, ok := res.Cells[RowExpected][0].NA(); !ok {
		t.Errorf("disk expected-version cell should be n/a: %+v", res.Cells[RowExpected][0])
	}
	if c := res.Cells[RowDiskBytes][0]; c.Bytes != payloadSize {
		t.Errorf("disk, bytes per event: %+v", c)
	}
	for _, name := range []string{engineName, actorsName} {
		if c, _ := res.cell(RowDiskBytes, name); c.Bytes <= payloadSize {
			t.Errorf("%s stores a 256-B event in %.1f B", name, c.Bytes)
		}
		if c, _ := res.cell(RowColdCrash, name); c.Events != 2000+crashExtra(2000) {
			t.Errorf("%s after the crash: %+v", name, c)
		}
	}
	if c, _ := res.cell(RowIndexMemory, engineName); c.Bytes <= 0 {
		t.Errorf("engine index memory: %+v", c)
	}
}
