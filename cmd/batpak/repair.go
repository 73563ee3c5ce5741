package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/batpak-go/batpak/storage/fs"
)

func init() { register(newRepair) }

func newRepair(env *env) *cobra.Command {
	var dry bool
	cmd := &cobra.Command{
		Use:   "repair DIR [--dry-run]",
		Short: "Cut a damaged store back to its last good event, saving what it cuts",
		Long: `repair is the operator's action for real corruption (a damaged disk, a file
changed by hand): it cuts the log just before the first damaged frame, so
that the store opens and verifies again with every event before the
damage. It is point-in-time recovery: the events after the damage are
lost to the store, including those in later segments, and so are the
earlier events of an atomic batch the damage falls into (a batch is all
or nothing).

Before it cuts or removes any byte of a segment, repair saves those bytes,
exactly, in a side directory of the store, DIR/repair-<UTC time>/:
NAME.from-OFFSET.cut holds the bytes of segment file NAME from OFFSET to
where it ended (the whole file from offset 0 for a removed segment), synced
to disk before the cut is made. repair.json lists every change for
machines, README.txt for people. A segment whose header is damaged is not
cut: it is set aside whole with every later segment, each renamed
NAME.dropped in DIR, as the engine's repair does (their bytes stay there).
Index checkpoints (*.idx) are derived from the segments: repair lists the
ones it removes or rewrites but does not save them.

How it finds the damage: it opens the store with the engine's repair
option (which cuts what recovery meets: a torn tail, a corrupt frame in a
segment without a footer, a bad header), then reads every event in log
order (checking every frame's checksum, also in sealed segments) and
verifies every entity's hash chain. Damage found that way is cut at the
damaged frame on the next open, and the rounds go on until the store reads
and verifies clean.

It says what it found and what it did, file by file: each cut with its
segment, offsets, length and the frames the cut bytes held, each removal
and rename; then the events before (when known) and after.

--dry-run does the same on a copy-on-write view of the store held in
memory: it shows what repair would do and changes nothing on the disk.

repair takes the store's lock for the whole run (a dry run too, unless the
store has no LOCK file: a dry run creates none): while a writer (an
application, another batpak) holds the store, it refuses with exit status 1. Stop the writer first; run "batpak verify DIR" to see the
damage and a dry run to see its cost before repairing.`,
		Example: `  # what would be cut, without changing anything
  batpak repair ./data --dry-run

  # repair, then check
  batpak repair ./data
  batpak verify ./data

  # the bytes cut are kept beside the store
  ls ./data/repair-*/`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runRepair(env, args[0], dry) },
	}
	cmd.Flags().BoolVar(&dry, "dry-run", false, "show what repair would do; change nothing")
	return cmd
}

func runRepair(env *env, arg string, dry bool) (err error) {
	dir := filepath.Clean(arg)
	files, err := storeFiles(dir)
	if errors.Is(err, errEmptyStore) {
		printRepair(env.stdout, &repairReport{Store: arg, DryRun: dry}, true)
		return nil
	} else if err != nil {
		return err
	}
	lockPath := filepath.Join(dir, "LOCK")
	lock, err := repairLock(dir, lockPath, dry)
	if err != nil {
		return err
	}
	defer lock.Close()
	now := time.Now()
	t := &tracker{dir: dir, dry: dry, files: files, side: newSideDir(dir, now)}
	fsys := newRepairFS(t, lockPath)
	defer fsys.close()
	rep := &repairReport{Store: arg, Time: now.UTC().Format(time.RFC3339), DryRun: dry}
	err = repairRounds(dir, fsys, rep)
	rep.Actions = t.actions
	if !dry && len(t.actions) > 0 {
		if cerr := t.side.create(); err == nil {
			err = cerr
		}
	}
	if t.side.created {
		rep.SideDir = filepath.Base(t.side.path)
	}
	if ierr := t.side.writeIndex(rep); err == nil {
		err = ierr
	}
	printRepair(env.stdout, rep, err == nil)
	if err != nil {
		return fmt.Errorf("repair stopped: %w (the changes listed above were made%s)", err, savedNote(rep))
	}
	return nil
}

// savedNote says where the bytes cut so far are, if anywhere.
func savedNote(rep *repairReport) string {
	if rep.SideDir == "" {
		return ""
	}
	return "; what they cut is in " + rep.SideDir
}

// printRepair writes the report for people; done says whether the repair
// finished (else only what it found and did so far).
func printRepair(w io.Writer, rep *repairReport, done bool) {
	if rep.DryRun {
		fmt.Fprintf(w, "repair of %s: dry run, nothing changed\n", rep.Store)
	} else {
		fmt.Fprintf(w, "repair of %s\n", rep.Store)
	}
	if done && len(rep.Found) == 0 && len(rep.Actions) == 0 {
		fmt.Fprintf(w, "nothing to repair: the store opens and verifies: %d events in %d streams\n", rep.EventsAfter, rep.StreamsAfter)
		return
	}
	fmt.Fprintf(w, "found:\n")
	for _, f := range rep.Found {
		fmt.Fprintf(w, "  %s\n", f)
	}
	fmt.Fprintf(w, "changes:\n")
	for _, l := range describeActions(rep.Actions, rep.DryRun) {
		fmt.Fprintf(w, "  %s\n", l)
	}
	if !done {
		return
	}
	if rep.EventsBefore != nil {
		fmt.Fprintf(w, "events: %d before, %d after (%d lost)\n", *rep.EventsBefore, rep.EventsAfter, *rep.EventsBefore-rep.EventsAfter)
	}
	if rep.DryRun {
		fmt.Fprintf(w, "the store would open and verify: %d events in %d streams\n", rep.EventsAfter, rep.StreamsAfter)
		return
	}
	fmt.Fprintf(w, "the store opens and verifies: %d events in %d streams\n", rep.EventsAfter, rep.StreamsAfter)
	if rep.SideDir != "" {
		fmt.Fprintf(w, "the record of this repair, with the bytes it cut, is in %s%c%s (README.txt, repair.json)\n",
			strings.TrimRight(rep.Store, string(filepath.Separator)), filepath.Separator, rep.SideDir)
	}
}

// repairLock takes the store's lock for the whole repair. A dry run of a
// directory without a LOCK file (a copy of the segment files) takes none:
// taking it would create the file, and a dry run changes nothing; no
// writer holds a store without its LOCK file.
func repairLock(dir, lockPath string, dry bool) (io.Closer, error) {
	if _, err := os.Lstat(lockPath); dry && errors.Is(err, os.ErrNotExist) {
		return io.NopCloser(nil), nil
	}
	lock, err := fs.OS().Lock(lockPath)
	if errors.Is(err, fs.ErrLocked) {
		return nil, lockedError("repair", dir)
	} else if err != nil {
		return nil, fmt.Errorf("repair: lock %s: %w", dir, err)
	}
	return lock, nil
}
