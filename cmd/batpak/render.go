package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/batpak-go/batpak/messages"
)

// eventJSON is one event as dump, tail and their --json print it: every
// header field, and the payload as JSON when it can be.
type eventJSON struct {
	Sequence    uint64            `json:"sequence"`
	ID          string            `json:"id"`
	Entity      string            `json:"entity"`
	Scope       string            `json:"scope"`
	Kind        string            `json:"kind"`     // category:type in hex, as messages.EventKind prints it
	Category    uint8             `json:"category"` // the kind's category (0x0-0xF)
	Type        uint16            `json:"type"`     // the kind's type (0x000-0xFFF)
	Version     uint64            `json:"version"`
	Time        string            `json:"time"`    // TimestampUS as RFC 3339, UTC
	WallMS      int64             `json:"wall_ms"` // the entity's monotonic wall clock
	TimestampUS int64             `json:"ts_us"`
	Correlation string            `json:"correlation"`
	Causation   *string           `json:"causation"` // null for a root event
	Batch       *string           `json:"batch"`     // null for a single append
	PrevHash    string            `json:"prev_hash"`
	Hash        string            `json:"hash"`
	Metadata    map[string]string `json:"metadata"` // null when none
	Segment     uint64            `json:"segment"`
	Offset      int64             `json:"offset"`
	Size        int               `json:"payload_bytes"`
	Encoding    string            `json:"payload_encoding"` // msgpack, json or base64 (or empty: no payload)
	Payload     json.RawMessage   `json:"payload"`          // the payload as JSON, or its base64 as a string; null when empty
}

// payloadJSON renders a payload: the JSON of its msgpack value, the
// payload itself if it is JSON text, else its base64 as a JSON string.
func payloadJSON(p []byte) (string, json.RawMessage) {
	switch {
	case len(p) == 0:
		return "", json.RawMessage("null")
	}
	if j, err := msgpackJSON(p); err == nil {
		return "msgpack", j
	}
	if json.Valid(p) {
		var b bytes.Buffer
		if json.Compact(&b, p) == nil {
			return "json", b.Bytes()
		}
	}
	s, _ := json.Marshal(base64.StdEncoding.EncodeToString(p))
	return "base64", s
}

func optID(id messages.ID) *string {
	if id.IsZero() {
		return nil
	}
	s := id.String()
	return &s
}

// eventTime is the event's timestamp (microseconds) in RFC 3339, UTC.
func eventTime(ev *messages.Event) string {
	return time.UnixMicro(ev.TimestampUS).UTC().Format("2006-01-02T15:04:05.000000Z")
}

func toJSON(ev *messages.Event) eventJSON {
	enc, payload := payloadJSON(ev.Payload)
	j := eventJSON{Sequence: ev.Sequence, ID: ev.ID.String(), Entity: ev.Coordinate.Entity, Scope: ev.Coordinate.Scope,
		Kind: ev.Kind.String(), Category: ev.Kind.Category(), Type: ev.Kind.Type(), Version: ev.Version,
		Time: eventTime(ev), WallMS: ev.WallMS, TimestampUS: ev.TimestampUS, Correlation: ev.CorrelationID.String(),
		Causation: optID(ev.CausationID), Batch: optID(ev.BatchID), PrevHash: ev.PrevHash.String(), Hash: ev.Hash.String(),
		Segment: ev.Segment, Offset: ev.Offset, Size: len(ev.Payload), Encoding: enc, Payload: payload}
	if len(ev.Metadata) > 0 {
		j.Metadata = ev.Metadata
	}
	return j
}

// eventPrinter prints events as JSON lines or as readable text.
type eventPrinter struct {
	w    io.Writer
	json bool
	enc  *json.Encoder
}

func newEventPrinter(w io.Writer, asJSON bool) *eventPrinter {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &eventPrinter{w: w, json: asJSON, enc: enc}
}

// print prints one event.
func (p *eventPrinter) print(ev *messages.Event) error {
	if p.json {
		return p.enc.Encode(toJSON(ev))
	}
	j := toJSON(ev)
	var b strings.Builder
	fmt.Fprintf(&b, "#%d  %s  %s/%s  v%d  kind %s\n", j.Sequence, j.Time, j.Scope, j.Entity, j.Version, j.Kind)
	field := func(name, value string) { fmt.Fprintf(&b, "  %-12s %s\n", name, value) }
	field("id", j.ID)
	if j.Correlation != j.ID {
		field("correlation", j.Correlation)
	} else {
		field("correlation", j.Correlation+" (itself: a root)")
	}
	if j.Causation != nil {
		field("causation", *j.Causation)
	}
	if j.Batch != nil {
		field("batch", *j.Batch)
	}
	field("hash", j.Hash)
	field("prev_hash", j.PrevHash)
	if len(j.Metadata) > 0 {
		keys := make([]string, 0, len(j.Metadata))
		for k := range j.Metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			keys[i] = fmt.Sprintf("%s=%q", k, j.Metadata[k])
		}
		field("metadata", strings.Join(keys, " "))
	}
	field("at", fmt.Sprintf("segment %d offset %d", j.Segment, j.Offset))
	switch j.Encoding {
	case "":
		field("payload", "(empty)")
	case "base64":
		field("payload", fmt.Sprintf("%d bytes, base64 %s", j.Size, j.Payload))
	default:
		field("payload", fmt.Sprintf("(%s, %d bytes) %s", j.Encoding, j.Size, j.Payload))
	}
	_, err := io.WriteString(p.w, b.String())
	return err
}
