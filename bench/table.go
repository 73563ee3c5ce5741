package main

import (
	"fmt"
	"strings"
)

// CellText renders a cell for the table; footnote registers an n/a reason
// or an error and returns its number.
func (r *Results) CellText(row Row, col int, footnote func(string) int) string {
	c := r.Cells[row][col]
	if !c.Done {
		return "–"
	}
	if reason, ok := c.NA(); ok {
		return fmt.Sprintf("n/a [%d]", footnote(reason))
	}
	if c.Err != nil {
		return fmt.Sprintf("error [%d]", footnote(r.Systems[col]+": "+c.Err.Error()))
	}
	ratio := r.DiskRatio(row, col)
	switch {
	case isLatency(row):
		s := dur(c.P50) + " / " + dur(c.P99)
		if ratio > 0 {
			s += fmt.Sprintf(" (p50 %.2fx disk)", ratio)
		}
		return s
	case row == RowColdStart || row == RowColdCrash:
		return dur(c.Dur)
	case isDuration(row):
		s := fmt.Sprintf("%s (%s)", dur(c.Dur), rate(c.Rate))
		if ratio > 0 {
			s += ", " + ofDisk(ratio)
		}
		return s
	case isBytes(row):
		s := fmt.Sprintf("%.1f B", c.Bytes)
		if ratio > 0 {
			s += " (" + ofDisk(ratio) + ")"
		}
		return s
	}
	s := rate(c.Rate)
	if ratio > 0 {
		s += " (" + ofDisk(ratio) + ")"
	}
	return s
}

// ofDisk formats a ratio to the disk: "14% of disk", "3.4x disk".
func ofDisk(x float64) string {
	if x > 1 {
		return pct(x) + " disk"
	}
	return pct(x) + " of disk"
}

// pct formats a ratio as a percentage with 2 significant digits (or as
// "3.4x" above 1).
func pct(x float64) string {
	p := x * 100
	switch {
	case x > 1:
		return fmt.Sprintf("%.1fx", x)
	case p >= 10:
		return fmt.Sprintf("%.0f%%", p)
	case p >= 1:
		return fmt.Sprintf("%.1f%%", p)
	}
	return fmt.Sprintf("%.2f%%", p)
}

// Markdown renders the table and its footnotes.
func (r *Results) Markdown() string {
	var notes []string
	footnote := func(s string) int {
		for i, n := range notes {
			if n == s {
				return i + 1
			}
		}
		notes = append(notes, s)
		return len(notes)
	}
	var b strings.Builder
	b.WriteString("| workload |")
	for _, s := range r.Systems {
		b.WriteString(" " + s + " |")
	}
	b.WriteString("\n|---|")
	b.WriteString(strings.Repeat("---|", len(r.Systems)))
	b.WriteString("\n| durable at ack |")
	for _, d := range r.Durable {
		if d {
			b.WriteString(" **yes** |")
		} else {
			b.WriteString(" **no** (page cache only) |")
		}
	}
	b.WriteString("\n")
	for row := Row(0); row < numRows; row++ {
		b.WriteString("| " + r.Label(row) + " |")
		for col := range r.Systems {
			b.WriteString(" " + r.CellText(row, col, footnote) + " |")
		}
		b.WriteString("\n")
	}
	b.WriteString("\nNotes:\n\n")
	for i, n := range notes {
		fmt.Fprintf(&b, "- [%d] %s\n", i+1, n)
	}
	for _, n := range r.fixedNotes() {
		b.WriteString("- " + n + "\n")
	}
	return b.String()
}

// fixedNotes explain how the cells were measured.
func (r *Results) fixedNotes() []string {
	notes := []string{
		fmt.Sprintf("Every event has a %d-byte payload; appends go round robin over %d entities. Each timed cell runs %s in a fresh directory; the timed rows run workload by workload with all systems back to back, so the disk limit is measured next to the stores; every system writes to the same file system; acknowledged counts are checked against the store afterwards.", payloadSize, entities, r.CellDur),
		"disk: 256-byte records, pwrite(2) + fdatasync(2) into a preallocated, zero-filled file (grown 16 MiB at a time, synced; batpak zero-fills its segments 4 MiB ahead the same way). Producers hand records to one writer goroutine that writes everything queued with one write + one fdatasync, so N producers give groups of up to N records per fsync (and a batch of 100 is 100 records). It is the hardware's limit, not a store.",
		"batpak engine: storage.Engine with SyncEveryCommit and segments zero-filled 4 MiB ahead (Preallocate, the store's default); producers hand requests to one committing goroutine that stages everything queued (≤ 1024 events) and commits it with one write + one fsync before answering.",
		"batpak actors: actors.Spawn with defaults (which zero-fill segments 4 MiB ahead); the durable-append rows use N requesting actors (ctx.Request to the writer, next request after the receipt), the other rows goroutines calling Store.Append / AppendBatch.",
		"JetStream: nats-server v2.15.2 embedded (DontListen, in-process connection), file storage, R1, one stream ev.> with subject ev.<entity>, sync js.Publish per producer goroutine on one connection. \"sync always\" = SyncAlways (sync_interval: always): fsync per message, durable at ack. \"no fsync at ack\" = default sync_interval (2 min): acks come from the page cache. Atomic batches use the Nats-Batch-Id/-Sequence/-Commit headers (nats.go v1.55 has no helper). Expected version = Nats-Expected-Last-Subject-Sequence; idempotency = Nats-Msg-Id (dedupe window 2 min).",
		"bbolt v1.5.0: buckets log (seq → payload), idx (entity+version → seq), heads (entity → version), keys (idempotency key → seq); default options (two fdatasyncs per commit). \"tx per append\" = one db.Update per append (and one tx per batch of 100); \"batched\" = db.Batch with MaxBatchSize = the number of producers, MaxBatchDelay 10 ms.",
		"Expected version: each producer owns 1/16 of the entities, so there are no conflicts; the version check is still made on every append. Idempotent: each append is sent twice with the same key; the retry must be reported as a duplicate/replay and the store must hold each event once.",
		"Cold start: the store is filled, closed cleanly, then opened again: batpak engine = storage.Open; actors = actors.Spawn until Stats answers; JetStream = server start until the stream info is available; bbolt = bolt.Open + a read. Reads run on that reopened store (entity 0; the median of up to 21 reads); JetStream reads with an ordered consumer.",
		fmt.Sprintf("Cold start after a kill -9: the closed store gets %s more events (a tenth: at 1M, about half of a 64 MiB segment), acknowledged, and is left as a killed process leaves it, then opened as above and checked to hold every acknowledged event. batpak engine: in process, Engine.Abandon instead of Close (no footer, no seal, no fsync). Every other system appends in a child process (this binary) killed with SIGKILL once its appends are acknowledged; JetStream's child runs without SyncAlways (same files).", count(crashExtra(r.ColdN))),
		"Reads: batpak reads with its streaming iterators (Engine.Read / ReadStream, Store.Read / ReadStream; every frame's crc32c checked, payloads copied out of the segment files), forward or backward (StreamRange.Backward); bbolt walks its index cursor (backward for the backward row) and reads values in place, unchecked. Paged read: the whole log through the actors as messages: messages.ReadQuery requests to the store's reader actor, pages of 1,000 events, each starting at the previous reply's Next.",
		"Index memory: the live heap (after a GC) an engine holds once storage.Open has loaded the closed store, minus the heap before, per event. Bytes on disk: after the clean close; batpak counts its segment files (frames, headers, footers), the others every file of the store, the disk its 256-B records.",
	}
	if r.Quick {
		notes = append(notes, fmt.Sprintf("QUICK MODE: %s per cell and a cold-start store of %s events (the full run uses 1M), so its entity streams hold %d events, not 1,000.", r.CellDur, count(r.ColdN), r.ColdN/entities))
	}
	return notes
}
