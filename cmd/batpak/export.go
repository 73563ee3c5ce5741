package main

import (
	"bufio"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

func init() { register(newExport) }

// exportFlags are export's filters.
type exportFlags struct {
	entity, entityPrefix, scope string
	kinds                       []string
	from                        uint64
	limit                       int
}

func newExport(env *env) *cobra.Command {
	var f exportFlags
	cmd := &cobra.Command{
		Use:   "export DIR [--entity E | --entity-prefix P] [--scope S] [--kind K]... [--from SEQ] [--limit N]",
		Short: "Write a store's events as JSON lines, to move them to another store",
		Long: `export writes the committed events of a store to standard output, one JSON
object per line, in global order: everything "batpak import" needs to append
them to another store (or to the same store after a format change).

Each line holds:
  seq       the event's global sequence in this store (from 0)
  id        its id (a UUID)
  entity, scope
            its coordinate
  kind      its kind, category:type in hex (1:001)
  version   its version in its entity's stream (from 1)
  wall_ms   its wall clock, milliseconds since the Unix epoch
  ts_us     the clock reading it was written at, microseconds
  corr      its correlation id (a root event's is its own id)
  cause     its causation id (left out for a root event)
  batch     the id of the atomic batch it was written in (left out for a
            single append); the events of a batch are consecutive lines
  meta      its metadata, an object of strings (left out when empty); if a
            key or value is not valid UTF-8, meta_b64 holds them in base64
  payload   its payload in standard base64
  hash      its hash-chain link in this store (hex)

The store keeps no idempotency key, only the event id derived from one, so
the lines carry none; import makes each line's id its idempotency key.

The filters select events the way dump's do: --entity keeps one entity
(exact match), --entity-prefix the entities starting with a prefix, --scope
one scope, --kind (repeatable) the given kinds, --from the sequences from
SEQ on, and --limit the first N events selected. Filtered output imports
fine, but an event whose cause or correlation root is left out names an
event the target store will not hold.

export reads the segment files in order, streaming, without taking the
store's lock: it works on a closed store and on one a running writer holds
(it writes the events committed by the time its reading reaches them, an
atomic batch only whole), and its memory does not grow with the store. It
never changes the store.`,
		Example: `  # move every event to a new store
  batpak export ./data > events.jsonl
  batpak import ./data-new --expect-empty < events.jsonl

  # one entity's events, readable
  batpak export ./data --entity order-42 --scope shop | jq .

  # the events of two kinds from sequence 1000000 on
  batpak export ./data --kind 1:001 --kind 1:002 --from 1000000 > recent.jsonl`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runExport(env, args[0], &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.entity, "entity", "", "only the events of entity `E` (exact match)")
	fl.StringVar(&f.entityPrefix, "entity-prefix", "", "only the events of entities starting with `P`")
	fl.StringVar(&f.scope, "scope", "", "only the events of scope `S`")
	fl.StringArrayVar(&f.kinds, "kind", nil, "only events of kind `K` (1:001, 0x1001 or 4097; repeatable)")
	fl.Uint64Var(&f.from, "from", 0, "start at global sequence `SEQ` (sequences start at 0)")
	fl.IntVar(&f.limit, "limit", 0, "stop after `N` events (0: no limit)")
	return cmd
}

// filter returns the read filter the flags ask for.
func (f *exportFlags) filter() (storage.Filter, error) {
	if f.entity != "" && f.entityPrefix != "" {
		return storage.Filter{}, &usageError{fmt.Errorf("export: give --entity or --entity-prefix, not both")}
	}
	if f.limit < 0 {
		return storage.Filter{}, fmt.Errorf("export: bad --limit %d: want 0 (no limit) or more", f.limit)
	}
	flt := storage.Filter{EntityPrefix: f.entityPrefix + f.entity, Scope: f.scope, FromSeq: f.from}
	for _, s := range f.kinds {
		k, err := kindFromArg(s)
		if err != nil {
			return storage.Filter{}, fmt.Errorf("export: --kind: %w", err)
		}
		flt.Kinds = append(flt.Kinds, k)
	}
	return flt, nil
}

func runExport(env *env, dir string, f *exportFlags) error {
	flt, err := f.filter()
	if err != nil {
		return err
	}
	// A streaming scan of the segment files (no lock, no index: memory
	// does not grow with the store), filtered here.
	s, err := newScanner(dir, storage.ScanOptions{FromSeq: flt.FromSeq})
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(env.stdout, 256<<10)
	var line []byte
	n := 0
	err = s.Scan(func(ev *messages.Event) error {
		if !flt.Match(ev) || (f.entity != "" && ev.Coordinate.Entity != f.entity) {
			return nil
		}
		if err := exportable(ev); err != nil {
			return err
		}
		line = appendExportLine(line[:0], ev)
		if _, err := w.Write(line); err != nil {
			return fmt.Errorf("export: write: %w", err)
		}
		if n++; f.limit > 0 && n == f.limit {
			return errEnough
		}
		return nil
	})
	if errors.Is(err, errEnough) {
		err = nil
	}
	if ferr := w.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("export: write: %w", ferr)
	}
	return scanErr(err)
}

// exportable checks that the event's strings can be written as JSON
// strings exactly (the store validates coordinates as UTF-8; this guards
// against writing a line import would read back differently).
func exportable(ev *messages.Event) error {
	if !utf8.ValidString(ev.Coordinate.Entity) || !utf8.ValidString(ev.Coordinate.Scope) {
		return fmt.Errorf("export: event %d (%s): its coordinate is not valid UTF-8", ev.Sequence, ev.ID)
	}
	return nil
}
