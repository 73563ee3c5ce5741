package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

func init() { register(newTail) }

// errDone ends tail once --count or --until-seq is met.
var errDone = errors.New("done")

// tailOptions are tail's flags.
type tailOptions struct {
	n        int
	follow   bool
	asJSON   bool
	poll     time.Duration
	untilSeq int64 // -1: none
	count    int   // 0: none
}

func newTail(e *env) *cobra.Command {
	o := tailOptions{}
	cmd := &cobra.Command{
		Use:   "tail DIR",
		Short: "Print a store's last events, and follow new ones as they are committed",
		Long: `tail prints the last -n events of the store in DIR (10 by default), in log
order, as dump prints them (readable text, or JSON lines with --json).

With -f it then follows the store: it reads the directory read-only, with
no lock, while a running store writes it, and prints each new event once
its frame is written and, for an atomic batch, once its COMMIT is (never a
batch that is not committed). It polls the files every --poll, reading
only what was added since; it never holds the writer up. It runs until it
is interrupted (SIGINT or SIGTERM: exit status 0), or until --count events
have been printed, or until it has printed an event with a sequence of at
least --until-seq.

An event is seen as soon as its frame is in the file, which in a running
store can be a moment before the writer's fsync returns and it
acknowledges the event. If the writer then crashes, its recovery cuts the
events it wrote but never acknowledged (and batpak repair cuts a damaged
log at the damage). tail -f notices: it prints one line on stderr saying
from which sequence the events it printed are gone, and goes on following
from the first event the log holds that it has not printed: the first one
the writer commits after its recovery, whose sequence may be one tail
printed before, for another event. Nothing the log still holds is skipped or printed
twice. (A cut that removes several segments can be seen half done, between
its steps: each step that cuts printed events gets its own line.)

Exit status: 0 success or interrupted, 1 bad input (not a store, a missing
directory), 2 usage error, 3 a damaged frame, 4 an I/O error.`,
		Example: `  # The last 10 events
  batpak tail ./data

  # Follow a running store as JSON lines
  batpak tail -f ./data --json

  # In a script: wait until sequence 5000 is committed, then go on
  batpak tail -f -n 0 ./data --until-seq 5000 >/dev/null`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.n < 0 || o.count < 0 || o.poll <= 0 {
				return errors.New("-n and --count must not be negative, --poll must be positive")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return runTail(ctx, e, args[0], o)
		},
	}
	fl := cmd.Flags()
	fl.IntVarP(&o.n, "lines", "n", 10, "print the last N events first")
	fl.BoolVarP(&o.follow, "follow", "f", false, "then follow the store, printing events as they are committed")
	fl.BoolVar(&o.asJSON, "json", false, "print one JSON object a line (see batpak dump --help)")
	fl.DurationVar(&o.poll, "poll", 100*time.Millisecond, "with -f: how often to look for new events")
	fl.Int64Var(&o.untilSeq, "until-seq", -1, "stop once an event with this sequence or a later one is printed")
	fl.IntVar(&o.count, "count", 0, "stop once this many events are printed (0: no limit)")
	return cmd
}

// runTail prints the last events, then follows.
func runTail(ctx context.Context, e *env, dir string, o tailOptions) error {
	s, err := newScanner(dir, storage.ScanOptions{})
	if err != nil {
		return err
	}
	w := bufio.NewWriter(e.stdout)
	defer w.Flush()
	p := newEventPrinter(w, o.asJSON)
	printed := 0
	var lastSeq uint64 // of the last event printed
	show := func(ev *messages.Event) error {
		if err := p.print(ev); err != nil {
			return err
		}
		printed++
		lastSeq = ev.Sequence
		if o.count > 0 && printed >= o.count || o.untilSeq >= 0 && ev.Sequence >= uint64(o.untilSeq) {
			return errDone
		}
		return nil
	}
	// The last n events: a ring of copies while the log is read once; it
	// grows with the events read, never to a huge -n up front.
	ring := make([]messages.Event, 0, min(o.n, 1024))
	next := 0
	err = s.Scan(func(ev *messages.Event) error {
		if o.n == 0 {
			return nil
		}
		c := *ev
		c.Payload, c.Metadata = bytes.Clone(ev.Payload), maps.Clone(ev.Metadata)
		if len(ring) < o.n {
			ring = append(ring, c)
		} else {
			ring[next] = c
			next = (next + 1) % o.n
		}
		return nil
	})
	if err != nil {
		return scanErr(err)
	}
	for i := range ring {
		if err := show(&ring[(next+i)%len(ring)]); err != nil {
			return tailEnd(w, err)
		}
	}
	if err := w.Flush(); err != nil || !o.follow {
		return err
	}
	t := time.NewTimer(o.poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil // interrupted: a normal end
		case <-t.C:
		}
		err := s.Scan(show)
		var lc *storage.LogChangedError
		if errors.As(err, &lc) {
			err = changed(e, w, lc, printed > 0 && lastSeq >= lc.FromSeq)
		}
		if err != nil {
			return tailEnd(w, err)
		}
		if err := w.Flush(); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		t.Reset(o.poll)
	}
}

// tailEnd flushes what tail printed and maps errDone to success.
func tailEnd(w *bufio.Writer, err error) error {
	ferr := w.Flush()
	if errors.Is(err, errDone) {
		return ferr
	}
	return scanErr(err)
}

// changed tells, once, that the log changed under tail (lc) if events it
// printed are gone; the scanner goes on from what the log still holds.
func changed(e *env, w *bufio.Writer, lc *storage.LogChangedError, printed bool) error {
	if !printed {
		return nil
	}
	if err := w.Flush(); err != nil { // the events before the notice
		return fmt.Errorf("write: %w", err)
	}
	fmt.Fprintf(e.stderr, "batpak: the log changed under tail: the events it printed from sequence %d on were cut "+
		"(by a writer's recovery after a crash, or by a repair); following the log from sequence %d "+
		"(the events that follow may reuse those sequences)\n", lc.FromSeq, lc.FromSeq)
	return nil
}
