package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/batpak-go/batpak/messages"
)

// An event as dump and tail print it with --json: one object a line with
// the fields, in this order, sequence, id, entity, scope, kind (category:type
// in hex, as messages.EventKind prints it), category, type, version, time
// (TimestampUS in RFC 3339, UTC), wall_ms, ts_us, correlation, causation
// (null for a root event), batch (null for a single append), prev_hash,
// hash, metadata (an object, null when none), segment, offset,
// payload_bytes, payload_encoding (msgpack, json, base64, or "" when the
// payload is empty) and payload (its JSON, its base64 as a string, or null).

// appendPayload appends the payload as JSON: the JSON of its msgpack value,
// the payload itself if it is JSON text, else its base64 as a JSON string;
// it returns the encoding used.
func appendPayload(j *jbuf, p []byte) string {
	switch {
	case len(p) == 0:
		j.raw("null")
		return ""
	case appendMsgpackJSON(j, p):
		return "msgpack"
	case json.Valid(p):
		n := len(j.b)
		j.b = append(j.b, p...)
		if c, err := compactJSON(j.b[n:]); err == nil {
			j.b = append(j.b[:n], c...)
			return "json"
		}
		j.b = j.b[:n]
	}
	j.b64(p)
	return "base64"
}

// payloadJSON returns a payload's encoding and JSON (see appendPayload).
func payloadJSON(p []byte) (string, []byte) {
	var j jbuf
	enc := appendPayload(&j, p)
	return enc, j.b
}

// compactJSON returns JSON text p without insignificant space.
func compactJSON(p []byte) ([]byte, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, p); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// eventTime is the event's timestamp (microseconds) in RFC 3339, UTC.
func eventTime(ev *messages.Event) string {
	return time.UnixMicro(ev.TimestampUS).UTC().Format("2006-01-02T15:04:05.000000Z")
}

// appendEvent appends ev as one JSON line; scratch is reused for its
// payload.
func appendEvent(j, scratch *jbuf, ev *messages.Event) {
	id := func(x messages.ID) { j.uuid(x) }
	optID := func(x messages.ID) {
		if x.IsZero() {
			j.raw("null")
			return
		}
		id(x)
	}
	j.raw("{")
	j.key("sequence", true)
	j.uint(ev.Sequence)
	j.key("id", false)
	id(ev.ID)
	j.key("entity", false)
	j.strs(ev.Coordinate.Entity)
	j.key("scope", false)
	j.strs(ev.Coordinate.Scope)
	j.key("kind", false)
	j.kind(uint16(ev.Kind))
	j.key("category", false)
	j.uint(uint64(ev.Kind.Category()))
	j.key("type", false)
	j.uint(uint64(ev.Kind.Type()))
	j.key("version", false)
	j.uint(ev.Version)
	j.key("time", false)
	j.timeUS(ev.TimestampUS)
	j.key("wall_ms", false)
	j.int(ev.WallMS)
	j.key("ts_us", false)
	j.int(ev.TimestampUS)
	j.key("correlation", false)
	id(ev.CorrelationID)
	j.key("causation", false)
	optID(ev.CausationID)
	j.key("batch", false)
	optID(ev.BatchID)
	j.key("prev_hash", false)
	j.hexStr(ev.PrevHash[:])
	j.key("hash", false)
	j.hexStr(ev.Hash[:])
	j.key("metadata", false)
	if len(ev.Metadata) == 0 {
		j.raw("null")
	} else {
		j.raw("{")
		for i, k := range sortedKeys(ev.Metadata) {
			if i > 0 {
				j.raw(",")
			}
			j.strs(k)
			j.raw(":")
			j.strs(ev.Metadata[k])
		}
		j.raw("}")
	}
	j.key("segment", false)
	j.uint(ev.Segment)
	j.key("offset", false)
	j.int(ev.Offset)
	j.key("payload_bytes", false)
	j.uint(uint64(len(ev.Payload)))
	scratch.b = scratch.b[:0]
	enc := appendPayload(scratch, ev.Payload)
	j.key("payload_encoding", false)
	j.strs(enc)
	j.key("payload", false)
	j.b = append(j.b, scratch.b...)
	j.raw("}\n")
}

func sortedKeys(m messages.Metadata) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// eventPrinter prints events as JSON lines or as readable text.
type eventPrinter struct {
	w    io.Writer
	json bool
	j, p jbuf
}

func newEventPrinter(w io.Writer, asJSON bool) *eventPrinter {
	return &eventPrinter{w: w, json: asJSON}
}

// print prints one event.
func (p *eventPrinter) print(ev *messages.Event) error {
	p.j.b = p.j.b[:0]
	if p.json {
		appendEvent(&p.j, &p.p, ev)
		_, err := p.w.Write(p.j.b)
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#%d  %s  %s/%s  v%d  kind %s\n", ev.Sequence, eventTime(ev), esc(ev.Coordinate.Scope), esc(ev.Coordinate.Entity), ev.Version, ev.Kind)
	field := func(name, value string) { fmt.Fprintf(&b, "  %-12s %s\n", name, value) }
	field("id", ev.ID.String())
	if ev.CorrelationID != ev.ID {
		field("correlation", ev.CorrelationID.String())
	} else {
		field("correlation", ev.CorrelationID.String()+" (itself: a root)")
	}
	if !ev.CausationID.IsZero() {
		field("causation", ev.CausationID.String())
	}
	if !ev.BatchID.IsZero() {
		field("batch", ev.BatchID.String())
	}
	field("hash", ev.Hash.String())
	field("prev_hash", ev.PrevHash.String())
	if len(ev.Metadata) > 0 {
		var kv []string
		for _, k := range sortedKeys(ev.Metadata) {
			kv = append(kv, fmt.Sprintf("%s=%q", esc(k), ev.Metadata[k]))
		}
		field("metadata", strings.Join(kv, " "))
	}
	field("at", fmt.Sprintf("segment %d offset %d", ev.Segment, ev.Offset))
	switch enc, payload := payloadJSON(ev.Payload); enc {
	case "":
		field("payload", "(empty)")
	case "base64":
		field("payload", fmt.Sprintf("%d bytes, base64 %s", len(ev.Payload), payload))
	default:
		field("payload", fmt.Sprintf("(%s, %d bytes) %s", enc, len(ev.Payload), payload))
	}
	_, err := io.WriteString(p.w, b.String())
	return err
}
