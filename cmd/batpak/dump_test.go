package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

func TestDumpJSONHasEveryField(t *testing.T) {
	dir, evs := writeSegmented(t, 300, 4)
	r := cli(t, "", "dump", dir, "--json")
	if r.code != ExitOK || r.stderr != "" {
		t.Fatalf("%+v", r)
	}
	lines := jsonLines(t, r.stdout)
	if len(lines) != len(evs) {
		t.Fatalf("%d lines, %d events", len(lines), len(evs))
	}
	for i, l := range lines {
		ev := evs[i]
		want := map[string]any{"sequence": float64(ev.Sequence), "id": ev.ID.String(), "entity": ev.Coordinate.Entity,
			"scope": ev.Coordinate.Scope, "kind": "1:001", "category": float64(1), "type": float64(1),
			"version": float64(ev.Version), "wall_ms": float64(ev.WallMS), "ts_us": float64(ev.TimestampUS),
			"correlation": ev.CorrelationID.String(), "causation": nil, "batch": nil, "hash": ev.Hash.String(),
			"prev_hash": ev.PrevHash.String(), "metadata": nil, "segment": float64(ev.Segment), "offset": float64(ev.Offset),
			"payload_bytes": float64(len(ev.Payload)), "payload_encoding": "msgpack",
			"payload": map[string]any{"n": float64(i)},
			"time":    time.UnixMicro(ev.TimestampUS).UTC().Format("2006-01-02T15:04:05.000000Z")}
		for k, v := range want {
			if fmt.Sprint(l[k]) != fmt.Sprint(v) {
				t.Fatalf("line %d: %s is %v, want %v", i, k, l[k], v)
			}
		}
		if len(l) != len(want) {
			t.Fatalf("line %d has %d fields, want %d: %v", i, len(l), len(want), l)
		}
	}
}

func TestDumpFilters(t *testing.T) {
	dir, evs := writeSegmented(t, 300, 4)
	seqs := func(args ...string) []uint64 {
		t.Helper()
		r := cli(t, "", append([]string{"dump", dir, "--json"}, args...)...)
		if r.code != ExitOK {
			t.Fatalf("%v: %+v", args, r)
		}
		var out []uint64
		for _, l := range jsonLines(t, r.stdout) {
			out = append(out, uint64(l["sequence"].(float64)))
		}
		return out
	}
	want := func(keep func(ev messages.Event) bool, limit int) []uint64 {
		var out []uint64
		for _, ev := range evs {
			if keep(ev) && (limit == 0 || len(out) < limit) {
				out = append(out, ev.Sequence)
			}
		}
		return out
	}
	all := func(messages.Event) bool { return true }
	cases := []struct {
		args []string
		want []uint64
	}{
		{[]string{"--entity", "entity-2"}, want(func(ev messages.Event) bool { return ev.Coordinate.Entity == "entity-2" }, 0)},
		{[]string{"--scope", "test", "--from", "250"}, want(func(ev messages.Event) bool { return ev.Sequence >= 250 }, 0)},
		{[]string{"--scope", "other"}, nil},
		{[]string{"--kind", "1:001", "--limit", "7"}, want(all, 7)},
		{[]string{"--kind", "1:*", "--from", "100", "--limit", "3"}, []uint64{100, 101, 102}},
		{[]string{"--kind", "1:002"}, nil},
		{[]string{"--kind", fmt.Sprint(uint16(testKind)), "--entity", "entity-0", "--limit", "2"}, []uint64{0, 4}},
		{[]string{"--from", "1000"}, nil},
	}
	for _, c := range cases {
		if got := seqs(c.args...); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Fatalf("%v: %v, want %v", c.args, got, c.want)
		}
	}
	oneLineErr(t, cli(t, "", "dump", dir, "--kind", "x:1"), ExitError, "--kind")
	oneLineErr(t, cli(t, "", "dump", dir, "--limit", "-1"), ExitError, "--limit")
	oneLineErr(t, cli(t, "", "dump", dir, "--bogus"), ExitUsage, "unknown flag")
}

// The readable form shows every header field and the payload.
func TestDumpText(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	e, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := messages.Coordinate{Entity: "order/1", Scope: "shop"}
	r0, err := e.Append(&messages.Append{Coordinate: c, Kind: messages.MustKind(2, 0x3a), Payload: []byte(`{"total": 42}`),
		Metadata: messages.Metadata{"user": "ann"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.AppendBatch(&messages.AppendBatch{Items: []messages.BatchItem{{Coordinate: c, Kind: messages.MustKind(2, 1),
		Payload: []byte{0xc1, 0xff}, Causation: messages.CausedBy(r0.EventID), CorrelationID: r0.EventID}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	r := cli(t, "", "dump", dir)
	if r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
	for _, want := range []string{"#0  ", "shop/order/1  v1  kind 2:03a", "metadata     user=\"ann\"", `(json, 13 bytes) {"total":42}`,
		"#1  ", "v2  kind 2:001", "causation    " + r0.EventID.String(), "correlation  " + r0.EventID.String(), "batch ",
		"2 bytes, base64 \"wf8=\"", "hash ", "prev_hash ", "segment 1 offset "} {
		if !strings.Contains(r.stdout, want) {
			t.Fatalf("no %q in\n%s", want, r.stdout)
		}
	}
}

// Payloads that are msgpack become JSON, however awkward the value.
func TestMsgpackPayloadsRenderAsJSON(t *testing.T) {
	enc := func(v any) []byte {
		b, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ts := time.Date(2026, 11, 30, 7, 0, 0, 123456789, time.UTC)
	cases := []struct {
		name    string
		payload []byte
		want    string
	}{
		{"map", enc(map[string]int{"n": 1}), `{"n":1}`},
		{"nested, non-string keys", enc(map[int]any{1: map[bool]string{true: "y"}}), `{"1":{"true":"y"}}`},
		{"array key", []byte{0x81, 0x92, 0x01, 0x02, 0xa1, 'x'}, `{"[1,2]":"x"}`},
		{"binary inside", enc(map[string]any{"b": []byte{1, 2, 3}}), `{"b":{"$bin":"AQID"}}`},
		{"ext", []byte{0xd4, 0x05, 0x2a}, `{"$ext":5,"$data":"Kg=="}`},
		{"timestamp", enc(ts), `{"$time":"2026-11-30T07:00:00.123456789Z"}`},
		{"numbers", enc([]any{-1, int64(-1 << 40), uint64(1 << 63), 1.5, float32(0.25), nil, true}),
			`[-1,-1099511627776,9223372036854775808,1.5,0.25,null,true]`},
		{"non-UTF-8 str", []byte{0xa2, 0xff, 0xfe}, `{"$bin":"//4="}`},
	}
	for _, c := range cases {
		enc, got := payloadJSON(c.payload)
		if enc != "msgpack" || string(got) != c.want || !json.Valid(got) {
			t.Fatalf("%s: %s %s, want msgpack %s", c.name, enc, got, c.want)
		}
	}
	for _, c := range []struct {
		payload []byte
		enc     string
		want    string
	}{
		{nil, "", "null"},
		{[]byte(`{"a": [1, 2]}`), "json", `{"a":[1,2]}`},
		{[]byte{0x92, 0x01}, "base64", `"` + base64.StdEncoding.EncodeToString([]byte{0x92, 0x01}) + `"`}, // a short array
		{[]byte{0x01, 0x02}, "base64", `"AQI="`},                                                          // two values
		{[]byte{0xdd, 0xff, 0xff, 0xff, 0xff}, "base64", `"3f////8="`},                                    // a huge claimed length
		{[]byte{0xc1}, "base64", `"wQ=="`},                                                                // never used
	} {
		enc, got := payloadJSON(c.payload)
		if enc != c.enc || string(got) != c.want {
			t.Fatalf("%x: %s %s, want %s %s", c.payload, enc, got, c.enc, c.want)
		}
	}
	deep := []byte{}
	for range maxDepth + 5 {
		deep = append(deep, 0x91)
	}
	deep = append(deep, 0x01)
	if enc, _ := payloadJSON(deep); enc != "base64" {
		t.Fatalf("a payload nested %d deep: %s", maxDepth+5, enc)
	}
}

// dump shows a batch only once it is committed, and stops at damage with
// what came before it printed.
func TestDumpStopsAtDamage(t *testing.T) {
	dir, evs := writeSegmented(t, 300, 4)
	d := copyStore(t, dir)
	mid := evs[150]
	flipByte(t, filepath.Join(d, fmt.Sprintf("%010d.seg", mid.Segment)), mid.Offset+20)
	r := cli(t, "", "dump", d, "--json")
	oneLineErr(t, r, ExitCorrupt, fmt.Sprintf("segment %d", mid.Segment))
	lines := jsonLines(t, r.stdout)
	if len(lines) == 0 || len(lines) >= 300 || uint64(lines[len(lines)-1]["sequence"].(float64)) >= mid.Sequence {
		t.Fatalf("%d lines before the damage at %d", len(lines), mid.Sequence)
	}
}
