package main

import (
	"bufio"
	"errors"

	"github.com/spf13/cobra"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

func init() { register(newDump) }

// errEnough ends a scan once --limit events are printed.
var errEnough = errors.New("enough events")

func newDump(e *env) *cobra.Command {
	var (
		f      eventFilter
		from   uint64
		limit  int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "dump DIR",
		Short: "Print a store's events as text or JSON lines",
		Long: `dump prints the committed events of the store in DIR in log order (their
global sequence), as readable text or, with --json, one JSON object a line.

Each event shows every header field: its sequence, id, entity and scope,
kind (category:type in hex), version, time, correlation, causation, batch,
previous hash and hash, metadata, the segment and offset of its frame, and
its payload. A payload that is exactly one msgpack value is shown as JSON
(maps in stored order; a key that is not a string as the JSON text of its
value; binary data as {"$bin": base64}; an extension type as {"$ext": type,
"$data": base64}; a msgpack timestamp as {"$time": RFC 3339}); a payload
that is JSON text as itself; anything else as base64.

dump reads the segment files in order, with no lock and without building
the store's index: it works on a closed store and on one a running store
holds (up to the last complete frame), at the speed of reading the files,
with memory that does not grow with the store. Events of an atomic batch
are shown only once its COMMIT is read, as the store itself would.

A JSON line has the fields sequence, id, entity, scope, kind, category,
type, version, time, wall_ms, ts_us, correlation, causation (null for a
root event), batch (null for a single append), prev_hash, hash, metadata
(null when none), segment, offset, payload_bytes, payload_encoding
(msgpack, json, base64, or "" when empty) and payload.

Exit status: 0 success, 1 bad input (not a store, a missing directory, a
bad flag value), 2 usage error, 3 a damaged frame met on the way (the
events before it are printed), 4 an I/O error.`,
		Example: `  # Every event, readable
  batpak dump ./data

  # One entity's events as JSON lines, from sequence 1000 on, at most 50
  batpak dump ./data --entity order/42 --from 1000 --limit 50 --json

  # The events of one kind (category 1, type 0x002) in scope "shop"
  batpak dump ./data --scope shop --kind 1:002

  # Every kind of category 1, piped to jq
  batpak dump ./data --kind '1:*' --json | jq .payload`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.parse(); err != nil {
				return err
			}
			if limit < 0 {
				return errors.New("--limit must not be negative")
			}
			s, err := newScanner(args[0], storage.ScanOptions{FromSeq: from})
			if err != nil {
				return err
			}
			w := bufio.NewWriterSize(e.stdout, 256<<10)
			p := newEventPrinter(w, asJSON)
			printed := 0
			err = s.Scan(func(ev *messages.Event) error {
				if !f.match(ev) {
					return nil
				}
				if err := p.print(ev); err != nil {
					return err
				}
				if printed++; limit > 0 && printed >= limit {
					return errEnough
				}
				return nil
			})
			if ferr := w.Flush(); err == nil || errors.Is(err, errEnough) {
				err = ferr
			}
			return scanErr(err)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.entity, "entity", "", "only the events of this entity (exact match)")
	fl.StringVar(&f.scope, "scope", "", "only the events of this scope (exact match)")
	fl.StringVar(&f.kind, "kind", "", "only the events of this kind: CATEGORY:TYPE in hex (1:002), CATEGORY:* (1:*), or the kind's number")
	fl.Uint64Var(&from, "from", 0, "start at this global sequence (the first event is 0)")
	fl.IntVar(&limit, "limit", 0, "print at most this many events (0: all)")
	fl.BoolVar(&asJSON, "json", false, "print one JSON object a line")
	return cmd
}
