package main

import (
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/batpak-go/batpak/messages"
)

// exportLine is one line of export's output (and import's input): one
// event, as JSON. Fields with omitempty are left out when zero or empty.
//
// seq, version, wall_ms, batch and hash describe the event in the store
// it was exported from; import does not take seq, version and hash from
// the line (the target store assigns them), derives wall_ms from ts_us as
// the store does, and groups consecutive lines of one batch into one
// atomic batch.
type exportLine struct {
	// Seq is the event's global sequence in the source store.
	Seq uint64 `json:"seq"`
	// ID is the event's id (a UUID).
	ID string `json:"id"`
	// Entity and Scope are the event's coordinate.
	Entity string `json:"entity"`
	Scope  string `json:"scope"`
	// Kind is the event's kind as category:type in hex ("1:001").
	Kind string `json:"kind"`
	// Version is the event's version in its entity's stream.
	Version uint64 `json:"version"`
	// WallMS is the event's wall clock (ms since the Unix epoch), never
	// decreasing along an entity's stream.
	WallMS int64 `json:"wall_ms"`
	// TsUS is the clock reading the event was written at (µs since the
	// Unix epoch).
	TsUS *int64 `json:"ts_us"`
	// Corr is the correlation id (the event's own id for a root event).
	Corr string `json:"corr"`
	// Cause is the causation id; left out for a root event.
	Cause string `json:"cause,omitempty"`
	// Batch is the id of the atomic batch the event was written in; left
	// out for a single append.
	Batch string `json:"batch,omitempty"`
	// Meta is the event's metadata when every key and value is valid
	// UTF-8; left out when it has none.
	Meta map[string]string `json:"meta,omitempty"`
	// MetaB64 is the metadata with keys and values in base64, used instead
	// of Meta when one of them is not valid UTF-8 (JSON strings cannot
	// hold such bytes exactly).
	MetaB64 map[string]string `json:"meta_b64,omitempty"`
	// Payload is the event's payload in standard base64 ("" when empty).
	Payload *string `json:"payload"`
	// Hash is the event's hash-chain link (hex) in the source store.
	Hash string `json:"hash,omitempty"`
}

// appendExportLine appends ev as an exportLine in JSON, and a newline, to
// b. It writes the same JSON encoding/json would decode into exportLine,
// without reflection (export writes millions of lines).
func appendExportLine(b []byte, ev *messages.Event) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, ev.Sequence, 10)
	b = appendIDField(b, `,"id":`, ev.ID)
	b = append(b, `,"entity":`...)
	b = appendJSONString(b, ev.Coordinate.Entity)
	b = append(b, `,"scope":`...)
	b = appendJSONString(b, ev.Coordinate.Scope)
	b = append(b, `,"kind":"`...)
	b = appendKind(b, ev.Kind)
	b = append(b, `","version":`...)
	b = strconv.AppendUint(b, ev.Version, 10)
	b = append(b, `,"wall_ms":`...)
	b = strconv.AppendInt(b, ev.WallMS, 10)
	b = append(b, `,"ts_us":`...)
	b = strconv.AppendInt(b, ev.TimestampUS, 10)
	b = appendIDField(b, `,"corr":`, ev.CorrelationID)
	if !ev.CausationID.IsZero() {
		b = appendIDField(b, `,"cause":`, ev.CausationID)
	}
	if !ev.BatchID.IsZero() {
		b = appendIDField(b, `,"batch":`, ev.BatchID)
	}
	b = appendMetadata(b, ev.Metadata)
	b = append(b, `,"payload":"`...)
	b = base64.StdEncoding.AppendEncode(b, ev.Payload)
	b = append(b, `","hash":"`...)
	b = hex.AppendEncode(b, ev.Hash[:])
	return append(b, "\"}\n"...)
}

// appendMetadata appends the "meta" (or "meta_b64") field of md, if any,
// keys in ascending byte order (the same store exports the same bytes).
func appendMetadata(b []byte, md messages.Metadata) []byte {
	if len(md) == 0 {
		return b
	}
	var small [8]string
	keys := small[:0]
	text := true
	for k, v := range md {
		keys = append(keys, k)
		text = text && utf8.ValidString(k) && utf8.ValidString(v)
	}
	slices.Sort(keys)
	if text {
		b = append(b, `,"meta":{`...)
	} else {
		b = append(b, `,"meta_b64":{`...)
	}
	for i, k := range keys {
		v := md[k]
		if i > 0 {
			b = append(b, ',')
		}
		if text {
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, v)
			continue
		}
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, []byte(k))
		b = append(b, `":"`...)
		b = base64.StdEncoding.AppendEncode(b, []byte(v))
		b = append(b, '"')
	}
	return append(b, '}')
}

// appendIDField appends name and the canonical UUID form of id in quotes.
func appendIDField(b []byte, name string, id messages.ID) []byte {
	b = append(b, name...)
	b = append(b, '"')
	b = hex.AppendEncode(b, id[0:4])
	b = append(b, '-')
	b = hex.AppendEncode(b, id[4:6])
	b = append(b, '-')
	b = hex.AppendEncode(b, id[6:8])
	b = append(b, '-')
	b = hex.AppendEncode(b, id[8:10])
	b = append(b, '-')
	b = hex.AppendEncode(b, id[10:16])
	return append(b, '"')
}

// appendKind appends k as EventKind.String does ("1:001").
func appendKind(b []byte, k messages.EventKind) []byte {
	t := k.Type()
	return append(b, hexDigits[k.Category()], ':', hexDigits[t>>8], hexDigits[t>>4&0xF], hexDigits[t&0xF])
}

// appendJSONString appends s as a JSON string (appendJSONStr: the same
// escapes as dump's JSON).
func appendJSONString(b []byte, s string) []byte { return appendJSONStr(b, s) }
