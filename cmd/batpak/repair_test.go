package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/storage/format"
)

// writeSegmented writes n events, one commit each, into a store of 4 KiB
// segments (so it has many). crash leaves it as a crashed writer would:
// the last segment without a footer. It returns the events' receipts.
func writeRepairStore(t *testing.T, n int, crash bool) (string, []messages.Receipt) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	e, err := storage.Open(dir, storage.Options{SegmentSize: 4 << 10})
	require.NoError(t, err)
	var rs []messages.Receipt
	for i := range n {
		r, err := e.Append(&messages.Append{
			Coordinate: messages.Coordinate{Entity: fmt.Sprintf("entity-%d", i%7), Scope: "test"},
			Kind:       testKind, Payload: bytes.Repeat([]byte{byte(i)}, 100),
		})
		require.NoError(t, err)
		require.NoError(t, e.Commit())
		rs = append(rs, r)
	}
	if crash {
		require.NoError(t, e.Abandon())
		require.NoError(t, e.Release())
	} else {
		require.NoError(t, e.Close())
	}
	return dir, rs
}

// dirBytes returns the regular files of dir and their bytes.
func dirBytes(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, en := range entries {
		if en.Type().IsRegular() {
			b, err := os.ReadFile(filepath.Join(dir, en.Name()))
			require.NoError(t, err)
			out[en.Name()] = b
		}
	}
	return out
}

// requireRepaired checks a repaired store: the side directory holds, for
// each segment of cuts, exactly the bytes it had (in before) from the cut
// offset on, and nothing else but its index files; the store opens,
// verifies, and holds exactly the events of keep.
func requireRepaired(t *testing.T, dir string, before map[string][]byte, cuts map[string]int64, keep []messages.Receipt) {
	t.Helper()
	sides, err := filepath.Glob(filepath.Join(dir, "repair-*"))
	require.NoError(t, err)
	require.Len(t, sides, 1)
	requireSideFiles(t, sides[0], before, cuts)

	e, err := storage.Open(dir, storage.Options{})
	require.NoError(t, err)
	defer e.Close()
	vr, err := e.Verify()
	require.NoError(t, err)
	require.Equal(t, len(keep), vr.Events)
	evs, err := e.Query(storage.Filter{})
	require.NoError(t, err)
	require.Len(t, evs, len(keep))
	for i, r := range keep {
		require.Equal(t, r.EventID, evs[i].ID, "event %d", i)
		require.Equal(t, bytes.Repeat([]byte{byte(i)}, 100), evs[i].Payload)
	}
}

// requireSideFiles checks that the side directory holds, for each segment
// of cuts, exactly the bytes it had (in before) from the cut offset on, and
// nothing else but its index files.
func requireSideFiles(t *testing.T, side string, before map[string][]byte, cuts map[string]int64) {
	t.Helper()
	saved := dirBytes(t, side)
	want := []string{"README.txt", "repair.json"}
	for name, off := range cuts {
		cut := fmt.Sprintf("%s.from-%d.cut", name, off)
		want = append(want, cut)
		require.Equal(t, before[name][off:], saved[cut], "%s holds exactly the bytes cut", cut)
	}
	slices.Sort(want)
	require.Equal(t, want, slices.Sorted(maps.Keys(saved)))
	for _, name := range want[:len(want)-2] {
		require.Contains(t, string(saved["README.txt"]), name, "README.txt lists every side file")
	}
	var rep repairReport
	require.NoError(t, json.Unmarshal(saved["repair.json"], &rep))
	n := 0
	for _, a := range rep.Actions {
		if isSegment(a.File) && a.Op != "rename" {
			n++
			require.Equal(t, fmt.Sprintf("%s.from-%d.cut", a.File, a.From), filepath.Base(a.SavedAs))
		}
	}
	require.Equal(t, len(cuts), n, "repair.json lists every cut")
}

// repairChanges returns the lines under "changes:" of a repair's output, with a
// dry run's wording made the real one's.
func repairChanges(out string) []string {
	_, rest, _ := strings.Cut(out, "changes:\n")
	var lines []string
	for _, l := range strings.Split(rest, "\n") {
		if !strings.HasPrefix(l, "  ") {
			break
		}
		l = strings.ReplaceAll(l, "would be ", "")
		l = regexp.MustCompile(`; saved as \S+`).ReplaceAllString(l, "")
		lines = append(lines, l)
	}
	return lines
}

// dryThenRepair runs a dry run (which must change nothing and save
// nothing), then the repair, and checks the dry run listed the changes the
// repair made. It returns the repair's output.
func dryThenRepair(t *testing.T, dir string) string {
	t.Helper()
	before := dirBytes(t, dir)
	dry := cli(t, "", "repair", dir, "--dry-run")
	require.Equal(t, ExitOK, dry.code, dry.stderr)
	require.Equal(t, before, dirBytes(t, dir), "a dry run changes nothing")
	sides, err := filepath.Glob(filepath.Join(dir, "repair-*"))
	require.NoError(t, err)
	require.Empty(t, sides, "a dry run saves nothing")
	require.Contains(t, dry.stdout, "dry run, nothing changed")
	out := cli(t, "", "repair", dir)
	require.Equal(t, ExitOK, out.code, out.stderr)
	require.Empty(t, out.stderr)
	require.NotEmpty(t, repairChanges(out.stdout))
	require.Equal(t, repairChanges(out.stdout), repairChanges(dry.stdout), "the dry run showed what repair did")
	return out.stdout
}

func TestRepairCutsAFlippedByteInASealedSegment(t *testing.T) {
	dir, rs := writeRepairStore(t, 200, false)
	// The damage: a byte in the middle of an event frame of segment 2,
	// sealed and not the last. Its footer hides it from recovery; reading
	// the events finds it.
	var inSeg2 []messages.Receipt
	for _, r := range rs {
		if r.Segment == 2 {
			inSeg2 = append(inSeg2, r)
		}
	}
	require.Greater(t, len(inSeg2), 5)
	hit := inSeg2[len(inSeg2)/2]
	seg2 := filepath.Join(dir, format.SegmentName(2))
	b, err := os.ReadFile(seg2)
	require.NoError(t, err)
	b[hit.Offset+40] ^= 0x20
	require.NoError(t, os.WriteFile(seg2, b, 0o600))
	before := dirBytes(t, dir)
	last := rs[len(rs)-1].Segment
	require.Greater(t, last, uint64(3))
	v := cli(t, "", "verify", dir)
	require.Equal(t, ExitCorrupt, v.code, "verify finds the damage: %s", v.stdout)
	require.Contains(t, v.stderr, "segment 2")
	require.Equal(t, before, dirBytes(t, dir), "verify changed nothing")

	out := dryThenRepair(t, dir)
	cuts := map[string]int64{format.SegmentName(2): hit.Offset}
	for id := uint64(3); id <= last; id++ {
		cuts[format.SegmentName(id)] = 0 // later segments are removed whole
	}
	requireRepaired(t, dir, before, cuts, rs[:hit.Sequence])

	after := len(inSeg2) - len(inSeg2)/2 - 1
	require.Contains(t, out, fmt.Sprintf("segment 2 at offset %d: ", hit.Offset))
	require.Contains(t, out, fmt.Sprintf("  0000000002.seg: %d bytes from offset %d to %d cut; they hold %d event frames, 1 damaged frame, the footer; saved as repair-",
		len(before["0000000002.seg"])-int(hit.Offset), hit.Offset, len(before["0000000002.seg"]), after))
	require.Contains(t, out, fmt.Sprintf("events: 200 before, %d after (%d lost)\n", hit.Sequence, 200-hit.Sequence))
	require.Contains(t, out, fmt.Sprintf("the store opens and verifies: %d events in 7 streams\n", hit.Sequence))

	v = cli(t, "", "verify", dir)
	require.Equal(t, ExitOK, v.code, "verify after repair (the repair-* side directory beside the segments): %s%s", v.stdout, v.stderr)
	require.Contains(t, v.stdout, fmt.Sprintf("%d events", hit.Sequence))

	again := cli(t, "", "repair", dir)
	require.Equal(t, ExitOK, again.code)
	require.Equal(t, fmt.Sprintf("repair of %s\nnothing to repair: the store opens and verifies: %d events in 7 streams\n", dir, hit.Sequence), again.stdout)
}

func TestRepairCutsAnActiveSegmentTruncatedMidFrame(t *testing.T) {
	dir, rs := writeRepairStore(t, 60, true)
	lastR := rs[len(rs)-1]
	seg := filepath.Join(dir, format.SegmentName(lastR.Segment))
	require.NoError(t, os.Truncate(seg, lastR.Offset+10))
	before := dirBytes(t, dir)

	out := dryThenRepair(t, dir)
	requireRepaired(t, dir, before, map[string]int64{format.SegmentName(lastR.Segment): lastR.Offset}, rs[:len(rs)-1])
	require.Contains(t, out, "torn tail (a write never made durable): segment ")
	require.Contains(t, out, fmt.Sprintf("  %s: 10 bytes from offset %d to %d cut; they hold 0 event frames, 10 bytes that do not decode as frames; saved as ",
		format.SegmentName(lastR.Segment), lastR.Offset, lastR.Offset+10))
	require.NotContains(t, out, "events: ", "the first open changed the store: the count before is unknown")
}

func TestRepairCutsCorruptionRecoveryMeetsInAnUnsealedSegment(t *testing.T) {
	dir, rs := writeRepairStore(t, 60, true)
	lastSeg := rs[len(rs)-1].Segment
	var first messages.Receipt
	n := 0
	for _, r := range rs {
		if r.Segment == lastSeg {
			if n == 0 {
				first = r
			}
			n++
		}
	}
	require.Greater(t, n, 2, "later groups' sync marks prove the damaged frame durable")
	seg := filepath.Join(dir, format.SegmentName(lastSeg))
	b, err := os.ReadFile(seg)
	require.NoError(t, err)
	b[first.Offset+30] ^= 0xff
	require.NoError(t, os.WriteFile(seg, b, 0o600))
	before := dirBytes(t, dir)

	_, err = storage.Open(dir, storage.Options{})
	require.ErrorIs(t, err, storage.ErrCorrupt, "an open without repair refuses the store")

	out := dryThenRepair(t, dir)
	requireRepaired(t, dir, before, map[string]int64{format.SegmentName(lastSeg): first.Offset}, rs[:first.Sequence])
	require.Contains(t, out, fmt.Sprintf("corruption met by recovery: segment %d: ", lastSeg))
	require.Contains(t, out, fmt.Sprintf("they hold %d event frames, 1 damaged frame;", n-1))
}

func TestRepairSetsASegmentWithADamagedHeaderAside(t *testing.T) {
	dir, rs := writeRepairStore(t, 100, false)
	seg3 := filepath.Join(dir, format.SegmentName(3))
	b, err := os.ReadFile(seg3)
	require.NoError(t, err)
	b[5] ^= 0xff
	require.NoError(t, os.WriteFile(seg3, b, 0o600))
	before := dirBytes(t, dir)
	last := rs[len(rs)-1].Segment

	out := dryThenRepair(t, dir)
	n := 0
	for _, r := range rs {
		if r.Segment < 3 {
			n++
		}
	}
	requireRepaired(t, dir, before, nil, rs[:n]) // nothing cut: set aside
	for id := uint64(3); id <= last; id++ {
		name := format.SegmentName(id)
		require.Contains(t, out, fmt.Sprintf("  %s: renamed %s.dropped (kept: its bytes stay there)\n", name, name))
		kept, err := os.ReadFile(filepath.Join(dir, name+".dropped"))
		require.NoError(t, err)
		require.Equal(t, before[name], kept)
	}
}

func TestRepairTwiceKeepsBothRecords(t *testing.T) {
	dir, rs := writeRepairStore(t, 60, true)
	last := rs[len(rs)-1]
	seg := filepath.Join(dir, format.SegmentName(last.Segment))
	require.NoError(t, os.Truncate(seg, last.Offset+10))
	first := dirBytes(t, dir)
	require.Equal(t, ExitOK, cli(t, "", "repair", dir).code)
	// A second damage right away: the last event's frame, cut mid-way again.
	prev := rs[len(rs)-2]
	require.NoError(t, os.Truncate(seg, prev.Offset+20))
	second := dirBytes(t, dir)
	out := cli(t, "", "repair", dir)
	require.Equal(t, ExitOK, out.code, out.stderr)
	sides, err := filepath.Glob(filepath.Join(dir, "repair-*"))
	require.NoError(t, err)
	require.Len(t, sides, 2) // sorted: repair-T1 < repair-T2, and repair-T < repair-T-2
	name := format.SegmentName(last.Segment)
	requireSideFiles(t, sides[0], first, map[string]int64{name: last.Offset})
	requireSideFiles(t, sides[1], second, map[string]int64{name: prev.Offset})
}

func TestSideDirOfARepairInTheSameSecondGetsASuffix(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	a, b := newSideDir(dir, now), newSideDir(dir, now)
	require.NoError(t, a.create())
	require.NoError(t, b.create())
	require.Equal(t, a.path+"-2", b.path)
	require.DirExists(t, b.path)
}

func TestRepairRefusesWhileAWriterHoldsTheStore(t *testing.T) {
	dir, _ := writeRepairStore(t, 3, false)
	e, err := storage.Open(dir, storage.Options{})
	require.NoError(t, err)
	defer e.Close()
	for _, args := range [][]string{{"repair", dir}, {"repair", dir, "--dry-run"}} {
		out := cli(t, "", args...)
		require.Equal(t, ExitError, out.code)
		require.Equal(t, "batpak: repair: "+dir+" is held by a running writer (its LOCK is taken): stop the application or batpak command that has it open, then try again\n", out.stderr)
		require.Empty(t, out.stdout)
	}
}

func TestRepairBadInput(t *testing.T) {
	empty := t.TempDir()
	file := filepath.Join(empty, "f")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"repair", filepath.Join(empty, "missing")}, ExitError, "no such file or directory"},
		{[]string{"repair", empty}, ExitError, "repair: " + empty + " is not a batpak store (no segment files)"},
		{[]string{"repair", file}, ExitError, "repair: " + file + " is not a directory"},
		{[]string{"repair"}, ExitUsage, "accepts 1 arg(s)"},
	} {
		out := cli(t, "", c.args...)
		require.Equal(t, c.code, out.code, "%v: %s", c.args, out.stderr)
		require.Contains(t, out.stderr, c.msg)
		require.True(t, strings.HasPrefix(out.stderr, "batpak: ") && strings.Count(out.stderr, "\n") == 1, out.stderr)
	}
	require.NoDirExists(t, filepath.Join(empty, "missing"))
}
