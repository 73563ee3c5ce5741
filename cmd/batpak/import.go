package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/batpak-go/batpak/storage"
)

func init() { register(newImport) }

// importFlags are import's options.
type importFlags struct {
	expectEmpty bool
	commitEvery int
}

// maxImportLine is the longest line import reads: a payload at the
// engine's largest limit (64 MiB) in base64, and room for the rest.
const maxImportLine = storage.MaxPayloadLimit/3*4 + 1<<20

func newImport(env *env) *cobra.Command {
	var f importFlags
	cmd := &cobra.Command{
		Use:   "import DIR [--expect-empty] < events.jsonl",
		Short: "Append the events of an export (JSON lines on stdin) to a store",
		Long: `import reads the JSON lines "batpak export" writes from standard input and
appends their events to the store in DIR, creating it if it does not exist
or is empty (a directory that holds other files is refused).
It takes the store's lock: while a writer (an application, another batpak)
holds the store, import refuses with exit status 1.

What an imported event keeps: its coordinate, kind, payload, metadata (a
gate bypass recorded in it is recorded again), its time (ts_us, and wall_ms
as the store derives it: import gives the engine a clock that reads each
event's ts_us), its place in the log (events are appended in the order of
the lines; with --expect-empty and a whole export, every event gets its
original sequence and version), and its atomic batch (the lines of one
batch are appended as one batch).

What it cannot keep: the event's id. The store's append API gives an event
a fresh id, or the id derived from its idempotency key; import makes the
original id the idempotency key, so the new id is IDFromKey(original id)
(messages.IDFromKey), the same on every import. Causation ids are mapped
the same way, and so are correlation ids that name an imported event, so
the causal graph is the same graph under the new ids; a correlation id that
names no event (an external saga id) is kept. The source's idempotency keys
are not in the export (the store keeps only the ids derived from them), so
a client retrying an old append with its old key is not recognised by the
new store. The hash chain is recomputed (the hashes cover the ids), and
batch ids are new.

Importing twice is safe: every event carries its idempotency key, so lines
already imported are replays that write nothing (counted as "already
present"). --expect-empty refuses to start unless the store holds no event
at all: use it when a store must hold exactly the export. (Importing a
store's export into that same store would append a copy of every event,
under the new ids: --expect-empty guards against that too.)

Events are committed in groups of --commit-every events (a group never
splits an atomic batch). A bad line stops the import: the error names the
line, the group in progress is rolled back, and the lines up to the last
commit stay imported (the error says up to which line). Fix the line and
run the same import again: the committed lines replay as no-ops.

For the length of the import the store's per-append limits are the
engine's largest (64 MiB payloads, 64 KiB metadata), so that no event an
export holds is refused for its size.`,
		Example: `  # copy a store into a new one
  batpak export ./data > events.jsonl
  batpak import ./data-copy --expect-empty < events.jsonl

  # pipe one store into another
  batpak export ./old | batpak import ./new

  # resume an import that stopped at a bad line, after fixing it
  batpak import ./new < events.jsonl`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runImport(env, args[0], &f) },
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.expectEmpty, "expect-empty", false, "refuse to import into a store that holds any event")
	fl.IntVar(&f.commitEvery, "commit-every", 4096, "commit (fsync) after about `N` events")
	return cmd
}

func runImport(env *env, dir string, f *importFlags) (err error) {
	if f.commitEvery < 1 {
		return fmt.Errorf("import: bad --commit-every %d: want 1 or more", f.commitEvery)
	}
	if err := checkImportDir(dir); err != nil {
		return err
	}
	clock := &importClock{}
	e, err := openWrite("import", dir, storage.Options{
		Clock:            clock.now,
		MaxPayloadBytes:  storage.MaxPayloadLimit,
		MaxMetadataBytes: storage.MaxMetadataLimit,
		MaxBatchItems:    1 << 30,
		MaxBatchBytes:    1 << 62,
	})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := e.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if n := e.Stats().Events; f.expectEmpty && n > 0 {
		return fmt.Errorf("import: --expect-empty: %s already holds %d events; nothing imported", dir, n)
	}
	im := newImporter(e, clock, f.commitEvery)
	if err := im.run(env.stdin); err != nil {
		e.Rollback()
		return im.failure(err)
	}
	fmt.Fprintf(env.stdout, "imported %d lines into %s: %d events appended, %d already present; %s\n",
		im.lines, dir, im.appended, im.replayed, countOf(im.commits, "commit"))
	return nil
}

// run reads the lines and imports them.
func (im *importer) run(in interface{ Read([]byte) (int, error) }) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), maxImportLine)
	n := 0
	for sc.Scan() {
		n++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		ev, err := parseLine(n, b)
		if err != nil {
			return &lineError{line: n, err: err}
		}
		if err := im.add(ev); err != nil {
			return err
		}
		im.lines = n
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &lineError{line: n + 1, err: fmt.Errorf("longer than %d bytes", maxImportLine)}
		}
		return fmt.Errorf("import: read standard input: %w", err)
	}
	if err := im.flush(); err != nil {
		return err
	}
	return im.commit()
}

// lineError is an import failure caused by one line.
type lineError struct {
	line int
	err  error
}

func (l *lineError) Error() string { return fmt.Sprintf("line %d: %v", l.line, l.err) }
func (l *lineError) Unwrap() error { return l.err }

// failure explains a failed import: what failed, and what stays imported.
func (im *importer) failure(err error) error {
	done := "nothing was imported"
	if im.committedLine > 0 {
		done = fmt.Sprintf("lines 1-%d are imported (committed), nothing after line %d", im.committedLine, im.committedLine)
	}
	var le *lineError
	if errors.As(err, &le) {
		// A bad line is bad input (exit 1), whatever the cause's type.
		return &statusError{code: ExitError, err: fmt.Errorf("import stopped at %v; %s", err, done)}
	}
	return fmt.Errorf("import stopped: %w; %s", err, done)
}
