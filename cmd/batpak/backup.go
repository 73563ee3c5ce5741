package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/batpak-go/batpak/storage"
)

func init() { register(newBackup) }

func newBackup(e *env) *cobra.Command {
	var (
		mode   string
		verify bool
	)
	cmd := &cobra.Command{
		Use:   "backup DIR DEST",
		Short: "Copy a store, live or closed, into a new directory that opens and verifies",
		Long: `backup makes a consistent copy of the store in DIR in DEST, a new or empty
directory: the segments the writer has moved past, whole, then the segment
being written up to its last complete commit. The copy holds every event
committed before backup started (and perhaps some committed while it ran),
never a part of an atomic batch; it is fsynced (files and directory), then
opened read-only and its events counted against the source. With --verify,
every event's hash chain in the copy is checked too.

backup takes no lock and changes nothing in DIR: it works on a closed store
and on one a running writer holds, without stopping the writer. A DEST that
is not empty is refused, and so is one inside DIR; a failed backup removes
what it created, and so does one interrupted (SIGINT, SIGTERM: a second
signal ends batpak at once), which exits with 130 or 143 as a shell shows a
command a signal ended. (A backup killed outright, SIGKILL or a power loss,
leaves a partial copy that opens: only the report line of a finished backup
says the copy is complete.)

Exit status: 0 the copy is complete, 1 bad input (DIR not a store, DEST not
empty or inside DIR), 2 usage error, 3 corruption in DIR, 4 an I/O error,
130 or 143 interrupted (nothing kept).`,
		Example: `  # Back up a running store, then check the copy
  batpak backup ./data /backups/data-2026-11-30
  batpak verify /backups/data-2026-11-30

  # Check every hash chain of the copy as part of the backup
  batpak backup ./data /backups/data-2026-11-30 --verify`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkDestOutside(args[0], args[1]); err != nil {
				return err
			}
			bar, err := newProgress(e.stderr, mode, "backup")
			if err != nil {
				return err
			}
			ctx, stop := interruptible()
			defer stop()
			rep, err := storage.Backup(args[0], args[1], storage.BackupOptions{Progress: bar.update, Verify: verify, Context: ctx})
			bar.finish()
			if ierr := interruptedError(ctx, "backup stopped, what it had copied removed"); ierr != nil && err != nil {
				return ierr
			}
			if err != nil {
				return scanErr(err)
			}
			checked := "opened and counted"
			if rep.Verified {
				checked = "opened, counted and every hash chain verified"
			}
			fmt.Fprintf(e.stdout, "backup of %s in %s: %d segments, %d index checkpoints, %s\n",
				args[0], args[1], rep.Segments, rep.Checkpoints, sizeText(rep.Bytes))
			last := "no events"
			if rep.Events > 0 {
				last = fmt.Sprintf("the last at sequence %d", rep.LastSequence)
			}
			fmt.Fprintf(e.stdout, "%d events, %s, up to segment %d offset %d; the copy was %s\n",
				rep.Events, last, rep.Position.Segment, rep.Position.Offset, checked)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&verify, "verify", false, "also check every event's hash chain in the copy")
	fl.StringVar(&mode, "progress", "auto", "progress bar on stderr: auto (a terminal, after a moment), always or never")
	return cmd
}
