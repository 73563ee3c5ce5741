package format

import (
	"bytes"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// vwEvents are events whose frames exercise every field shape: empty and
// long strings (str8, str16), an empty and a large payload, a root and a
// reaction (correlation nil or present), batch and causation set or not,
// metadata or none.
func vwEvents() []messages.Event {
	long := string(bytes.Repeat([]byte("e"), 300))
	return []messages.Event{
		{ID: messages.NewID(), Sequence: 0, Coordinate: messages.Coordinate{Entity: "a", Scope: ""}, Kind: 1},
		{ID: messages.NewID(), Sequence: 1 << 40, Coordinate: messages.Coordinate{Entity: long, Scope: "s"},
			Kind: 0xFFFF, Version: 7, WallMS: -1, TimestampUS: 1 << 50, CorrelationID: messages.NewID(),
			CausationID: messages.NewID(), BatchID: messages.NewID(), Payload: bytes.Repeat([]byte{9}, 70_000)},
		{ID: messages.NewID(), Sequence: 3, Coordinate: messages.Coordinate{Entity: "order/1", Scope: long + long},
			Kind: 2, Version: 1, Payload: []byte{}},
		{ID: messages.NewID(), Sequence: 4, Coordinate: messages.Coordinate{Entity: "order/1", Scope: "s"},
			Kind: 3, Version: 2, Payload: []byte("p"), Metadata: messages.Metadata{"b": long, "a": ""}},
	}
}

func vwBody(t testing.TB, e messages.Event) []byte {
	if e.CorrelationID.IsZero() {
		e.CorrelationID = e.ID
	}
	frame := AppendEventFrame(nil, &e, NewHasher())
	body, _, err := DecodeFrame(frame)
	require.NoError(t, err)
	return body
}

// DecodeEventView must agree with DecodeEvent on every body: the same
// error or the same event, its coordinate and payload as sub-slices of the
// body.
func TestDecodeEventViewMatchesDecodeEvent(t *testing.T) {
	for i, e := range vwEvents() {
		body := vwBody(t, e)
		vwCheck(t, body)
		var got messages.Event
		var v EventView
		require.NoError(t, DecodeEventView(body, &got, &v), "event %d", i)
		require.Equal(t, e.Coordinate.Entity, string(v.Entity))
		require.Equal(t, e.Coordinate.Scope, string(v.Scope))
		require.Equal(t, len(e.Payload), len(v.Payload))
		for cut := range len(body) {
			vwCheck(t, body[:cut])
		}
	}
}

func FuzzDecodeEventView(f *testing.F) {
	for _, e := range vwEvents() {
		f.Add(vwBody(f, e))
	}
	f.Fuzz(func(t *testing.T, body []byte) { vwCheck(t, body) })
}

// vwCheck decodes body both ways and compares the outcomes.
func vwCheck(t *testing.T, body []byte) {
	t.Helper()
	var want, got messages.Event
	var v EventView
	werr := DecodeEvent(body, &want, true)
	gerr := DecodeEventView(body, &got, &v)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("DecodeEvent: %v, DecodeEventView: %v", werr, gerr)
	}
	if werr != nil {
		return
	}
	for _, p := range [][]byte{v.Entity, v.Scope, v.Payload} {
		if len(p) > 0 && !vwWithin(p, body) {
			t.Fatalf("a view slice does not point into the body")
		}
	}
	got.Coordinate = messages.Coordinate{Entity: string(v.Entity), Scope: string(v.Scope)}
	got.Payload = append([]byte{}, v.Payload...)
	require.Equal(t, want, got)
}

// vwWithin reports whether p (not empty) is a sub-slice of body: a
// sub-slice starting at i has the capacity that is left after i.
func vwWithin(p, body []byte) bool {
	i := cap(body) - cap(p)
	return i >= 0 && i+len(p) <= len(body) && &body[i] == &p[0]
}
