package format

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/batpak-go/batpak/messages"
	"github.com/stretchr/testify/require"
)

// mdEvent is a fixed event with every field set but Metadata.
func mdEvent(t *testing.T) messages.Event {
	id, err := messages.ParseID("0190f5b0-0000-7000-8000-00000000000a")
	require.NoError(t, err)
	corr, err := messages.ParseID("0190f5b0-0000-7000-8000-00000000000b")
	require.NoError(t, err)
	ev := messages.Event{ID: id, Sequence: 300, Coordinate: messages.Coordinate{Entity: "order/42", Scope: "tenant-7"},
		Kind: 0x1234, Version: 3, WallMS: 1_700_000_000_000, TimestampUS: 1_700_000_000_000_123,
		CorrelationID: corr, CausationID: corr, Payload: []byte(`{"total":42}`)}
	ev.PrevHash[0] = 7
	return ev
}

// mdGolden is the frame of mdEvent as the engine wrote it before events
// had metadata (taken from that version of AppendEventFrame).
const mdGolden = "b60000801c47007a9f01cd012cc4100190f5b000007000800000000000000aa86f726465722f3432a874656e616e742d37cd123403cf0000018bcfe56800cf00060a24181e407bc4100190f5b000007000800000000000000bc4100190f5b000007000800000000000000bc0c4200700000000000000000000000000000000000000000000000000000000000000c40c7b22746f74616c223a34327dc420b819a08cce4278a3abf8872fc7759c455c29671af7c8ec777a68d5cab20d526b"

// An event without metadata (nil or empty) is written byte for byte as
// before metadata existed, so old and new segments are the same format.
func TestEventWithoutMetadataIsByteIdentical(t *testing.T) {
	for _, md := range []messages.Metadata{nil, {}} {
		ev := mdEvent(t)
		ev.Metadata = md
		require.Equal(t, mdGolden, hex.EncodeToString(AppendEventFrame(nil, &ev, NewHasher())))
	}
	frame, err := hex.DecodeString(mdGolden)
	require.NoError(t, err)
	body, _, err := DecodeFrame(frame)
	require.NoError(t, err)
	ev := mdEvent(t)
	ev.Metadata = messages.Metadata{"stale": "x"}
	require.NoError(t, DecodeEvent(body, &ev, true))
	require.Nil(t, ev.Metadata, "an old frame reads with no metadata")
	require.Equal(t, `{"total":42}`, string(ev.Payload))
}

// Metadata is the 16th element, before the hash, which covers it; it
// round-trips through both decoders, sorted, whatever the map's order.
func TestEventMetadataRoundTrip(t *testing.T) {
	long := strings.Repeat("v", 300)
	for _, md := range []messages.Metadata{
		{"a": ""},
		{"b": "2", "a": "1", "batpak.bypass.reason": "incident"},
		{"k": long, strings.Repeat("k", 40): "x"},
		mdMany(20), // map16 header
	} {
		ev := mdEvent(t)
		ev.Metadata = md
		frame := AppendEventFrame(nil, &ev, NewHasher())
		body, _, err := DecodeFrame(frame)
		require.NoError(t, err)
		require.Equal(t, []byte{0xdc, 0, EventFieldsMeta}, body[:3], "an array16 header")
		items, minimal, ok := fzItems(body)
		require.True(t, ok && minimal)
		require.Len(t, items, EventFieldsMeta)
		require.Len(t, items[14], MetadataSize(md), "MetadataSize predicts the element's size")
		require.Equal(t, appendMetadata(nil, md), items[14])

		var got messages.Event
		require.NoError(t, DecodeEvent(body, &got, true))
		require.Equal(t, md, got.Metadata)
		require.Equal(t, ev.Hash, got.Hash)
		var v EventView
		var view messages.Event
		require.NoError(t, DecodeEventView(body, &view, &v))
		require.Equal(t, md, view.Metadata)
		vwCheck(t, body)

		plain := mdEvent(t)
		AppendEventFrame(nil, &plain, NewHasher())
		require.NotEqual(t, plain.Hash, ev.Hash, "the hash covers the metadata")
	}
}

func mdMany(n int) messages.Metadata {
	m := messages.Metadata{}
	for i := range n {
		m[string(rune('a'+i))] = strings.Repeat("x", i)
	}
	return m
}

// The decoder accepts only the canonical metadata: a non-empty map of str
// to str with strictly ascending keys.
func TestEventMetadataDecodeRejects(t *testing.T) {
	ev := mdEvent(t)
	ev.Metadata = messages.Metadata{"a": "1", "b": "2"}
	frame := AppendEventFrame(nil, &ev, NewHasher())
	body, _, err := DecodeFrame(frame)
	require.NoError(t, err)
	items, _, ok := fzItems(body)
	require.True(t, ok)
	rebuild := func(meta []byte) []byte {
		b := AppendArrayLen(nil, EventFieldsMeta)
		for _, it := range items[:14] {
			b = append(b, it...)
		}
		b = append(b, meta...)
		return append(b, items[15]...)
	}
	require.NoError(t, DecodeEvent(rebuild(items[14]), &messages.Event{}, false), "the rebuilt body decodes")
	for name, meta := range map[string][]byte{
		"empty map":      {0x80},
		"unsorted keys":  {0x82, 0xa1, 'b', 0xa1, '2', 0xa1, 'a', 0xa1, '1'},
		"duplicate keys": {0x82, 0xa1, 'a', 0xa1, '2', 0xa1, 'a', 0xa1, '1'},
		"bin value":      {0x81, 0xa1, 'a', 0xc4, 1, '1'},
		"int key":        {0x81, 0x01, 0xa1, '1'},
		"not a map":      {0xa1, 'a'},
		"huge count":     {0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'a', 0xa1, '1'},
		"truncated":      {0x82, 0xa1, 'a', 0xa1, '1'},
	} {
		body := rebuild(meta)
		var e messages.Event
		require.ErrorIs(t, DecodeEvent(body, &e, false), ErrMalformed, name)
		var v EventView
		require.Error(t, DecodeEventView(body, &e, &v), name)
	}
	// A 15-element header over a body with metadata, or a 16-element one
	// over a body without, is not an event either.
	short := []byte{0x90 | EventFields}
	for _, it := range items {
		short = append(short, it...)
	}
	require.ErrorIs(t, DecodeEvent(short, &messages.Event{}, false), ErrMalformed)
	long := AppendArrayLen(nil, EventFieldsMeta)
	for _, it := range items[:14] {
		long = append(long, it...)
	}
	long = append(long, items[15]...)
	require.ErrorIs(t, DecodeEvent(long, &messages.Event{}, false), ErrMalformed)
}
