package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
	"github.com/batpak-go/batpak/storage/fs"
)

func init() { register(newStats) }

// statsJSON is stats' --json output.
type statsJSON struct {
	Dir              string        `json:"dir"`
	Segments         int           `json:"segments"`
	Sealed           int           `json:"sealed_segments"`
	Events           int           `json:"events"`
	Entities         int           `json:"entities"`
	Bytes            int64         `json:"bytes"`
	IndexFiles       int           `json:"index_checkpoints"`
	IndexBytes       int64         `json:"index_bytes"` // the checkpoint files on disk
	Oldest           *eventRef     `json:"oldest"`      // null in an empty store
	Newest           *eventRef     `json:"newest"`
	OpenBatch        int           `json:"uncommitted_batch_events"`
	DiscardedBatches int           `json:"discarded_batches"`
	DiscardedEvents  int           `json:"discarded_events"`
	Recovery         []segmentJSON `json:"recovery"`
	Errors           []faultJSON   `json:"errors"`
	// Writer says whether a writer holds the store right now: "held",
	// "free" or "unknown" (a probe of its LOCK file that never blocks).
	Writer string `json:"writer"`
}

// eventRef names one event.
type eventRef struct {
	Sequence uint64 `json:"sequence"`
	Time     string `json:"time"`
	Entity   string `json:"entity"`
	Scope    string `json:"scope"`
	Segment  uint64 `json:"segment"`
}

// segmentJSON is the recovery state of one segment.
type segmentJSON struct {
	Segment    uint64 `json:"segment"`
	Bytes      int64  `json:"bytes"`
	Events     int    `json:"events"`
	DataEnd    int64  `json:"data_end"`
	Sealed     bool   `json:"sealed"`
	Footer     string `json:"footer"`      // ok, not written, none, or damaged: why
	TornBytes  int64  `json:"torn_bytes"`  // bytes after the last complete frame (not a footer)
	TornZeros  bool   `json:"torn_zeros"`  // those bytes are all zeros
	TornReason string `json:"torn_reason"` // why they were judged torn
	Checkpoint string `json:"checkpoint"`  // ok, none, or invalid: why
	Headerless bool   `json:"headerless,omitempty"`
}

func newStats(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats DIR",
		Short: "Show a store's size, oldest and newest event, and recovery state",
		Long: `stats describes the store in DIR: its segments, events, entities and bytes,
the size of its index checkpoints on disk, its oldest and newest event
(sequence, time, entity), and its recovery state: for each segment whether
it is sealed (its footer checks and covers it), how many bytes follow its
last complete frame (a torn tail that the next open cuts, or in a store
being written the zeros written ahead and a group being written), and
whether its index checkpoint is valid (it matches its segment and describes
exactly its events). It also counts the events of a batch still open at
the end (no COMMIT yet) and the batches an open would discard.

stats reads each sealed segment's footer instead of its frames (as the
store's open does) and the other segments frame by frame; it takes no lock
and changes nothing, so it works on a store a running writer holds.
Checks that fail on the way are listed; run batpak verify for the full
check (hashes, footers against frames).

The index size is what the checkpoint files take on disk; an open engine's
index takes about 61 bytes of memory per event.

--json prints one JSON object: dir, segments, sealed_segments, events,
entities, bytes, index_checkpoints, index_bytes, oldest and newest
({sequence, time, entity, scope, segment}, null when empty),
uncommitted_batch_events, discarded_batches, discarded_events, recovery
(one object per segment: segment, bytes, events, data_end, sealed, footer,
torn_bytes, torn_zeros, torn_reason, checkpoint) and errors (as verify's).

Exit status: 0 success, 1 bad input (not a store, a missing directory), 2
usage error, 3 a check failed on the way, 4 an I/O error.`,
		Example: `  # A summary for people
  batpak stats ./data

  # The newest sequence, for a script
  batpak stats ./data --json | jq .newest.sequence

  # Which segments have a torn tail
  batpak stats ./data --json | jq '.recovery[] | select(.torn_bytes > 0)'`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := newScanner(args[0], storage.ScanOptions{Summary: true})
			if err != nil {
				return err
			}
			if err := scanErr(s.Scan(nil)); err != nil {
				return err
			}
			out := statsOutput(args[0], s.Report())
			out.Writer = writerState(args[0])
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(out); err != nil {
					return err
				}
			} else {
				printStats(e.stdout, out)
			}
			if len(out.Errors) > 0 {
				return corruptStatus(out.Errors)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object (see above)")
	return cmd
}

func refOf(ev *messages.Event) *eventRef {
	return &eventRef{Sequence: ev.Sequence, Time: time.UnixMilli(ev.WallMS).UTC().Format("2006-01-02T15:04:05.000Z"),
		Entity: ev.Coordinate.Entity, Scope: ev.Coordinate.Scope, Segment: ev.Segment}
}

// statsOutput builds stats' result from a scan's report.
func statsOutput(dir string, rep storage.ScanReport) statsJSON {
	out := statsJSON{Dir: dir, Segments: len(rep.Segments), Events: rep.Events, Entities: rep.Entities, Bytes: rep.Bytes,
		IndexFiles: rep.Checkpoints, IndexBytes: rep.CheckpointBytes, OpenBatch: rep.OpenBatch,
		DiscardedBatches: rep.DiscardedBatches, DiscardedEvents: rep.DiscardedEvents,
		Recovery: []segmentJSON{}, Errors: verifyOutput(dir, rep, 1<<30).Errors}
	if rep.Events > 0 {
		out.Oldest, out.Newest = refOf(&rep.First), refOf(&rep.Last)
	}
	for _, s := range rep.Segments {
		if s.Sealed {
			out.Sealed++
		}
		ck := s.Checkpoint
		if ck == "" {
			ck = "none"
		}
		out.Recovery = append(out.Recovery, segmentJSON{Segment: s.ID, Bytes: s.Bytes, Events: s.Events, DataEnd: s.DataEnd,
			Sealed: s.Sealed, Footer: s.Footer, TornBytes: s.Torn, TornZeros: s.TornZeros, TornReason: s.TornReason,
			Checkpoint: ck, Headerless: s.Headerless})
	}
	return out
}

func printStats(w io.Writer, out statsJSON) {
	t := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(t, "store\t%s\n", out.Dir)
	fmt.Fprintf(t, "writer\t%s\n", writerText[out.Writer])
	fmt.Fprintf(t, "segments\t%d (%d sealed), %s\n", out.Segments, out.Sealed, sizeText(out.Bytes))
	fmt.Fprintf(t, "events\t%d\n", out.Events)
	fmt.Fprintf(t, "entities\t%d\n", out.Entities)
	fmt.Fprintf(t, "index\t%d checkpoint files, %s on disk\n", out.IndexFiles, sizeText(out.IndexBytes))
	for _, r := range []struct {
		name string
		ev   *eventRef
	}{{"oldest", out.Oldest}, {"newest", out.Newest}} {
		if r.ev == nil {
			fmt.Fprintf(t, "%s\t-\n", r.name)
			continue
		}
		fmt.Fprintf(t, "%s\tsequence %d, %s, %s/%s (segment %d)\n", r.name, r.ev.Sequence, r.ev.Time, esc(r.ev.Scope), esc(r.ev.Entity), r.ev.Segment)
	}
	fmt.Fprintf(t, "uncommitted\t%d events of a batch with no COMMIT at the end; %d batches (%d events) an open discards\n",
		out.OpenBatch, out.DiscardedBatches, out.DiscardedEvents)
	t.Flush()
	fmt.Fprintln(w, "\nrecovery state:")
	t = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(t, "segment\tbytes\tevents\tsealed\tfooter\tafter last frame\tcheckpoint")
	for _, s := range out.Recovery {
		tail := "-"
		switch {
		case s.Headerless:
			tail = "no header yet"
		case s.TornBytes > 0 && s.TornZeros:
			tail = fmt.Sprintf("%d zero bytes", s.TornBytes)
		case s.TornBytes > 0:
			tail = fmt.Sprintf("torn tail: %d bytes at %d", s.TornBytes, s.DataEnd)
		}
		fmt.Fprintf(t, "%d\t%d\t%d\t%s\t%s\t%s\t%s\n", s.Segment, s.Bytes, s.Events, yesNo(s.Sealed), s.Footer, tail, s.Checkpoint)
	}
	t.Flush()
	for _, f := range out.Errors {
		fmt.Fprintf(w, "FAULT %s\n", faultText(f))
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// writerState probes the store's LOCK file: "held" when a writer (in any
// process) holds the store, "free" when none does, "unknown" when the
// file system cannot tell.
func writerState(dir string) string {
	held, known, err := fs.LockHeld(fs.OS(), filepath.Join(dir, "LOCK"))
	switch {
	case err != nil || !known:
		return "unknown"
	case held:
		return "held"
	}
	return "free"
}

// writerText says what each writer state means.
var writerText = map[string]string{
	"held":    "a running store holds it (its LOCK is held): what follows is what was committed when read",
	"free":    "no running store holds it",
	"unknown": "unknown (the file system cannot tell whether its LOCK is held)",
}
