package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// importer appends parsed lines to the target store: a line of a single
// append as one Append, the consecutive lines of one batch as one
// AppendBatch, each event keyed by its original id (see idMapper), and
// commits every commitEvery events or so.
type importer struct {
	e           *storage.Engine
	clock       *importClock
	ids         *idMapper
	commitEvery int

	unit        []importEvent // the lines of the batch being gathered
	staged      int           // events staged since the last commit
	stagedBytes int
	lastLine    int // the last line staged

	lines, appended, replayed, commits int
	committedLine                      int // the last line committed
}

// stageBytesLimit makes import commit once this many payload bytes are
// staged, whatever commitEvery says.
const stageBytesLimit = 32 << 20

func newImporter(e *storage.Engine, clock *importClock, commitEvery int) *importer {
	return &importer{e: e, clock: clock, ids: newIDMapper(e), commitEvery: commitEvery}
}

// add takes the next line: a batch's lines are gathered until the batch
// ends.
func (im *importer) add(ev importEvent) error {
	if len(im.unit) > 0 && ev.batch != im.unit[0].batch {
		if err := im.flush(); err != nil {
			return err
		}
	}
	im.unit = append(im.unit, ev)
	if ev.batch.IsZero() {
		return im.flush()
	}
	return nil
}

// flush appends the gathered lines, and commits when enough is staged.
func (im *importer) flush() error {
	if len(im.unit) == 0 {
		return nil
	}
	unit := im.unit
	im.unit = im.unit[:0]
	times := make([]time.Time, len(unit))
	for i := range unit {
		times[i] = unit[i].ts
	}
	im.clock.next(times)
	var receipts []messages.Receipt
	var err error
	if unit[0].batch.IsZero() {
		var r messages.Receipt
		if r, err = im.appendOne(&unit[0]); err == nil {
			receipts = []messages.Receipt{r}
		}
	} else {
		receipts, err = im.appendBatch(unit)
	}
	reads := im.clock.taken()
	if err != nil {
		return err
	}
	if err := im.count(receipts, reads, unit[0].line); err != nil {
		return err
	}
	for i := range unit {
		if !receipts[i].Replayed {
			im.stagedBytes += len(unit[i].payload)
		}
	}
	im.lastLine = unit[len(unit)-1].line
	if im.e.Staged() == 0 { // replays only: every line so far is in the store
		im.committedLine = im.lastLine
		im.ids.committed()
		return nil
	}
	if im.staged >= im.commitEvery || im.stagedBytes >= stageBytesLimit {
		return im.commit()
	}
	return nil
}

// count adds up the receipts of one append and checks that the engine
// read its clock once per event it wrote (so each kept its time).
func (im *importer) count(rs []messages.Receipt, reads, line int) error {
	written := 0
	for _, r := range rs {
		if r.Replayed {
			im.replayed++
		} else {
			written++
		}
	}
	if reads != written {
		return fmt.Errorf("import: line %d: the store read its clock %d times for %d new events, so their times cannot be kept (a storage change broke import's clock)", line, reads, written)
	}
	im.appended += written
	im.staged += written
	return nil
}

func (im *importer) appendOne(ev *importEvent) (messages.Receipt, error) {
	corr, err := im.ids.corr(ev)
	if err != nil {
		return messages.Receipt{}, err
	}
	r, err := im.e.Append(&messages.Append{
		Coordinate: ev.coord, Kind: ev.kind, Payload: ev.payload,
		CorrelationID: corr, CausationID: im.ids.cause(ev), IdempotencyKey: ev.id,
		Metadata: ev.meta, Bypass: ev.bypass,
	})
	if err != nil {
		return r, &lineError{line: ev.line, err: err}
	}
	im.ids.stage(ev.id)
	return r, nil
}

func (im *importer) appendBatch(unit []importEvent) ([]messages.Receipt, error) {
	b := &messages.AppendBatch{Items: make(messages.BatchItems, len(unit)), Bypass: unit[0].bypass}
	for i := range unit {
		ev := &unit[i]
		if !sameBypass(ev.bypass, b.Bypass) {
			return nil, &lineError{line: ev.line, err: errors.New("the gate bypass recorded in its metadata differs from the first event's of its batch")}
		}
		im.ids.stage(ev.id) // an item's correlation may name an earlier item
		corr, err := im.ids.corr(ev)
		if err != nil {
			return nil, err
		}
		b.Items[i] = messages.BatchItem{
			Coordinate: ev.coord, Kind: ev.kind, Payload: ev.payload,
			CorrelationID: corr, IdempotencyKey: ev.id, Metadata: ev.meta,
		}
		if c := im.ids.cause(ev); !c.IsZero() {
			b.Items[i].Causation = messages.CausedBy(c)
		}
	}
	rs, err := im.e.AppendBatch(b)
	if err != nil {
		line := unit[0].line
		var be *messages.BatchError
		if errors.As(err, &be) && be.Item >= 0 && be.Item < len(unit) {
			line = unit[be.Item].line
		}
		return nil, &lineError{line: line, err: err}
	}
	return rs, nil
}

func sameBypass(a, b *messages.Bypass) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// commit commits what is staged.
func (im *importer) commit() error {
	if im.e.Staged() > 0 {
		if err := im.e.Commit(); err != nil {
			return err
		}
		im.commits++
	}
	im.staged, im.stagedBytes = 0, 0
	im.committedLine = im.lastLine
	im.ids.committed()
	return nil
}
