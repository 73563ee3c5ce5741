package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/batpak-go/batpak/storage"
)

func init() { register(newVerify) }

// verifyJSON is verify's --json output.
type verifyJSON struct {
	OK          bool          `json:"ok"`
	Dir         string        `json:"dir"`
	Segments    int           `json:"segments"`
	Events      int           `json:"events"`
	Entities    int           `json:"entities"`
	Bytes       int64         `json:"bytes"`
	Checkpoints int           `json:"checkpoints"`
	Errors      []faultJSON   `json:"errors"`
	Error       string        `json:"error,omitempty"` // an I/O error that stopped the check
	Truncated   bool          `json:"truncated,omitempty"`
	Notes       []segmentNote `json:"notes,omitempty"`
}

// faultJSON is one failed check.
type faultJSON struct {
	Segment uint64 `json:"segment"`
	Offset  int64  `json:"offset"`
	Entity  string `json:"entity"` // "" when the fault is not about one event
	Scope   string `json:"scope"`
	Part    string `json:"part"` // frame, chain, footer, checkpoint or segment
	Reason  string `json:"reason"`
}

// segmentNote is something verify found that is not damage (a torn tail a
// crash left, a footer not yet written).
type segmentNote struct {
	Segment uint64 `json:"segment"`
	Note    string `json:"note"`
}

func newVerify(e *env) *cobra.Command {
	var (
		asJSON    bool
		mode      string
		maxFaults int
	)
	cmd := &cobra.Command{
		Use:   "verify DIR",
		Short: "Check every frame, footer, index checkpoint and hash chain of a store",
		Long: `verify reads the whole store in DIR and checks everything it holds:

  frames       each frame's length word and crc32c, and that it decodes
  chains       each event's hash recomputed over its previous hash, header
               and payload; each entity's versions 1, 2, 3... and each
               prev_hash equal to the hash of the entity's previous event;
               global sequences strictly increasing
  footers      each sealed segment's footer against the frames it indexes
  checkpoints  each index checkpoint (NNNNNNNNNN.idx) against its segment
               and the events it describes

It reads the segment files in order with no lock, changing nothing, so it
can check a store a running writer holds (up to the last complete frame);
batches are judged as the store judges them (only committed ones count).
It goes on after a fault to report the others, up to --max-errors.

Damage to a footer or a checkpoint loses no event (the store rebuilds
either from the frames), but it is damage: verify reports it. Bytes after
the last frame of the last segment (a torn tail a crash left, which the
next open cuts, or the zeros a running writer has written ahead) are not
damage: they are listed as notes.

Output: a summary and one line per fault naming its segment, offset,
entity and reason; --json prints one JSON object instead: {"ok", "dir",
"segments", "events", "entities", "bytes", "checkpoints", "errors": [{"segment",
"offset", "entity", "scope", "part", "reason"}], "notes"}.

A progress bar is drawn on stderr when stderr is a terminal and the check
takes more than a moment (--progress).

Memory grows with the number of entities (each one's last version and
hash), not with the number of events.

Exit status: 0 the store is clean, 1 bad input (not a store, a missing
directory), 2 usage error, 3 corruption found, 4 an I/O error.`,
		Example: `  # Check a store (closed, or held by a running writer)
  batpak verify ./data && echo clean

  # For a script or a monitor
  batpak verify ./data --json | jq '.errors[] | "\(.segment)@\(.offset) \(.entity): \(.reason)"'

  # No progress bar, whatever stderr is
  batpak verify ./data --progress=never`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bar, err := newProgress(e.stderr, mode, "verify")
			if err != nil {
				return err
			}
			if maxFaults < 1 {
				return fmt.Errorf("--max-errors must be at least 1")
			}
			s, err := newScanner(args[0], storage.ScanOptions{Check: true, MaxFaults: maxFaults, Progress: bar.update})
			if err != nil {
				return err
			}
			scanErr := scanErr(s.Scan(nil))
			bar.finish()
			rep := s.Report()
			out := verifyOutput(args[0], rep, maxFaults)
			if scanErr != nil {
				out.OK, out.Error = false, oneLine(scanErr.Error())
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(out); err != nil {
					return err
				}
			} else {
				printVerify(e.stdout, out)
			}
			switch {
			case scanErr != nil:
				return scanErr
			case !out.OK:
				return corruptStatus(out.Errors)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&asJSON, "json", false, "print one JSON object (see above)")
	fl.StringVar(&mode, "progress", "auto", "progress bar on stderr: auto (a terminal, after a moment), always or never")
	fl.IntVar(&maxFaults, "max-errors", 100, "stop after this many faults")
	return cmd
}

// verifyOutput builds verify's result from a scan's report.
func verifyOutput(dir string, rep storage.ScanReport, max int) verifyJSON {
	out := verifyJSON{OK: len(rep.Faults) == 0, Dir: dir, Segments: len(rep.Segments), Events: rep.Events,
		Entities: rep.Entities, Bytes: rep.Bytes, Checkpoints: rep.Checkpoints, Errors: []faultJSON{},
		Truncated: len(rep.Faults) >= max}
	for _, f := range rep.Faults {
		out.Errors = append(out.Errors, faultJSON{Segment: f.Segment, Offset: f.Offset, Entity: f.Entity.Entity,
			Scope: f.Entity.Scope, Part: f.Part, Reason: f.Reason})
	}
	faulty := map[[2]int64]bool{}
	for _, f := range rep.Faults {
		faulty[[2]int64{int64(f.Segment), f.Offset}] = true
	}
	for _, s := range rep.Segments {
		switch {
		case faulty[[2]int64{int64(s.ID), s.DataEnd}]: // already a fault
		case s.Headerless:
			out.Notes = append(out.Notes, segmentNote{s.ID, "no header yet (being created; an open removes such a last segment)"})
		case s.Torn > 0 && s.TornZeros:
			out.Notes = append(out.Notes, segmentNote{s.ID, fmt.Sprintf("%d zero bytes after the last frame (written ahead by a running writer, or left by a crash)", s.Torn)})
		case s.Torn > 0:
			out.Notes = append(out.Notes, segmentNote{s.ID, fmt.Sprintf("torn tail: %d bytes at offset %d after the last complete frame (%s); the next open cuts them", s.Torn, s.DataEnd, s.TornReason)})
		case s.Footer == "not written":
			out.Notes = append(out.Notes, segmentNote{s.ID, "sealed, footer not written yet (a rotation in progress, or a crash while sealing)"})
		}
	}
	if rep.OpenBatch > 0 {
		out.Notes = append(out.Notes, segmentNote{rep.Last.Segment, fmt.Sprintf("%d events of a batch with no COMMIT yet at the end (being committed, or never committed)", rep.OpenBatch)})
	}
	return out
}

// corruptStatus is the one-line error and exit status 3 of a store with
// faults (the details are on stdout).
func corruptStatus(faults []faultJSON) error {
	f := faults[0]
	ent := ""
	if f.Entity != "" {
		ent = fmt.Sprintf(", entity %s/%s", esc(f.Scope), esc(f.Entity))
	}
	return &statusError{code: ExitCorrupt, err: fmt.Errorf("the store is corrupt: %d fault(s), the first a %s fault in segment %d at offset %d%s",
		len(faults), f.Part, f.Segment, f.Offset, ent)}
}

// faultText is one fault as a line.
func faultText(f faultJSON) string {
	ent := ""
	if f.Entity != "" {
		ent = fmt.Sprintf(", entity %s/%s", esc(f.Scope), esc(f.Entity))
	}
	return fmt.Sprintf("%s: segment %d at offset %d%s: %s", f.Part, f.Segment, f.Offset, ent, esc(f.Reason))
}

func printVerify(w io.Writer, out verifyJSON) {
	fmt.Fprintf(w, "store %s: %d segments, %d events, %d entities, %s, %d index checkpoints\n",
		out.Dir, out.Segments, out.Events, out.Entities, sizeText(out.Bytes), out.Checkpoints)
	for _, n := range out.Notes {
		fmt.Fprintf(w, "note: segment %d: %s\n", n.Segment, n.Note)
	}
	for _, f := range out.Errors {
		fmt.Fprintf(w, "FAULT %s\n", faultText(f))
	}
	switch {
	case out.Error != "":
		fmt.Fprintf(w, "check stopped: %s\n", out.Error)
	case out.OK:
		fmt.Fprintln(w, "ok: every frame, footer, index checkpoint and hash chain checks")
	case out.Truncated:
		fmt.Fprintf(w, "CORRUPT: stopped after %d faults (--max-errors)\n", len(out.Errors))
	default:
		fmt.Fprintf(w, "CORRUPT: %d fault(s)\n", len(out.Errors))
	}
}

// sizeText is a byte count for people.
func sizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
