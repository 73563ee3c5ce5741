package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/batpak-go/batpak/messages"
)

// importEvent is one line of import's input, parsed: the event as the
// source store held it.
type importEvent struct {
	line    int // 1 = the first line
	id      messages.ID
	coord   messages.Coordinate
	kind    messages.EventKind
	ts      time.Time
	corr    messages.ID
	cause   messages.ID // zero: a root event
	batch   messages.ID // zero: a single append
	meta    messages.Metadata
	bypass  *messages.Bypass // from the store's own metadata keys
	payload []byte
}

// parseLine parses one line of export's output. Unknown fields are an
// error (a line of another format is not imported half-understood).
func parseLine(n int, b []byte) (importEvent, error) {
	ev := importEvent{line: n}
	var l exportLine
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return ev, fmt.Errorf("not an event of batpak export: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return ev, errors.New("not an event of batpak export: more after the JSON object")
	}
	var err error
	if ev.id, err = lineID("id", l.ID, true); err != nil {
		return ev, err
	}
	if ev.corr, err = lineID("corr", l.Corr, true); err != nil {
		return ev, err
	}
	if ev.cause, err = lineID("cause", l.Cause, false); err != nil {
		return ev, err
	}
	if ev.batch, err = lineID("batch", l.Batch, false); err != nil {
		return ev, err
	}
	ev.coord = messages.Coordinate{Entity: l.Entity, Scope: l.Scope}
	if err := ev.coord.Validate(); err != nil {
		return ev, err
	}
	if l.Kind == "" {
		return ev, errors.New(`no "kind"`)
	}
	if ev.kind, err = kindFromArg(l.Kind); err != nil {
		return ev, err
	}
	if l.TsUS == nil {
		return ev, errors.New(`no "ts_us"`)
	}
	ev.ts = time.UnixMicro(*l.TsUS)
	if l.Payload == nil {
		return ev, errors.New(`no "payload"`)
	}
	if ev.payload, err = base64.StdEncoding.DecodeString(*l.Payload); err != nil {
		return ev, fmt.Errorf(`"payload" is not base64: %w`, err)
	}
	if ev.meta, err = lineMetadata(&l); err != nil {
		return ev, err
	}
	ev.bypass = takeBypass(ev.meta)
	return ev, nil
}

// lineID parses an id field; required says whether it may be absent.
func lineID(field, s string, required bool) (messages.ID, error) {
	if s == "" {
		if required {
			return messages.ID{}, fmt.Errorf("no %q", field)
		}
		return messages.ID{}, nil
	}
	id, err := messages.ParseID(s)
	if err != nil || id.IsZero() {
		return messages.ID{}, fmt.Errorf("%q is not a UUID: %q", field, s)
	}
	return id, nil
}

// lineMetadata returns the metadata of meta or meta_b64.
func lineMetadata(l *exportLine) (messages.Metadata, error) {
	switch {
	case len(l.Meta) > 0 && len(l.MetaB64) > 0:
		return nil, errors.New(`both "meta" and "meta_b64"`)
	case len(l.Meta) > 0:
		return messages.Metadata(l.Meta), nil
	case len(l.MetaB64) == 0:
		return nil, nil
	}
	md := make(messages.Metadata, len(l.MetaB64))
	for k, v := range l.MetaB64 {
		kb, err1 := base64.StdEncoding.DecodeString(k)
		vb, err2 := base64.StdEncoding.DecodeString(v)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf(`"meta_b64" entry %q: not base64`, k)
		}
		md[string(kb)] = string(vb)
	}
	return md, nil
}

// takeBypass removes the store's record of a gate bypass from md and
// returns it as the Bypass that makes the target store record the same
// (an append may not set those keys itself).
func takeBypass(md messages.Metadata) *messages.Bypass {
	reason, ok := md[messages.MetaBypassReason]
	if !ok {
		return nil
	}
	bp := &messages.Bypass{Reason: reason, Justification: md[messages.MetaBypassJustification]}
	delete(md, messages.MetaBypassReason)
	delete(md, messages.MetaBypassJustification)
	return bp
}
