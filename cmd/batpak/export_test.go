package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// rich is a store holding every kind of event export must carry: single
// appends and batches (with causation to an earlier item), causation
// across entities, a correlation id that names no event, metadata (one
// value not valid UTF-8), a recorded gate bypass, empty and binary
// payloads, strings that need escaping, and a clock that goes back (so
// that wall_ms is raised above ts_us).
type rich struct {
	dir    string
	events int
	saga   messages.ID // an external correlation id
}

func writeRich(t *testing.T) rich {
	t.Helper()
	r := rich{dir: filepath.Join(t.TempDir(), "src"), saga: messages.NewID()}
	now := time.UnixMicro(1_700_000_000_123_456)
	at := func(d time.Duration) { now = time.UnixMicro(1_700_000_000_123_456).Add(d) }
	e, err := storage.Open(r.dir, storage.Options{Clock: func() time.Time { return now }})
	require.NoError(t, err)
	c := func(entity string) messages.Coordinate { return messages.Coordinate{Entity: entity, Scope: "shop"} }
	a1, err := e.Append(&messages.Append{Coordinate: c("order-1"), Kind: messages.MustKind(1, 1), Payload: []byte{0, 1, 0xff}})
	require.NoError(t, err)
	at(1500 * time.Microsecond)
	_, err = e.Append(&messages.Append{Coordinate: c(`odd "entity"` + "\t\\\u00e9\u2028"), Kind: messages.MustKind(2, 0xabc),
		Metadata: messages.Metadata{"trace": "t-1", "bin": "\xff\xfe", "multi\nline": "v"}})
	require.NoError(t, err)
	at(-5 * time.Millisecond) // the clock goes back: order-1's next wall_ms is raised
	rs, err := e.AppendBatch(&messages.AppendBatch{Items: messages.BatchItems{
		{Coordinate: c("payment-7"), Kind: messages.MustKind(1, 2), Payload: []byte("pay"), CorrelationID: a1.EventID, Causation: messages.CausedBy(a1.EventID)},
		{Coordinate: c("order-1"), Kind: messages.MustKind(1, 3), CorrelationID: a1.EventID, Causation: messages.CausedByItem(0),
			Metadata: messages.Metadata{"step": "2"}},
		{Coordinate: c("ledger"), Kind: messages.MustKind(1, 4), Payload: []byte("{}"), CorrelationID: r.saga},
	}})
	require.NoError(t, err)
	require.NoError(t, e.Commit())
	at(7 * time.Second)
	_, err = e.Append(&messages.Append{Coordinate: c("order-1"), Kind: messages.MustKind(1, 5), CausationID: rs[1].EventID,
		CorrelationID: a1.EventID, Bypass: &messages.Bypass{Reason: "incident-4711", Justification: "manual fix"}})
	require.NoError(t, err)
	at(9*time.Second + 17*time.Microsecond)
	_, err = e.Append(&messages.Append{Coordinate: c("ledger"), Kind: messages.MustKind(1, 4), CorrelationID: r.saga,
		IdempotencyKey: messages.NewID(), Payload: []byte("keyed")})
	require.NoError(t, err)
	_, err = e.AppendBatch(&messages.AppendBatch{Bypass: &messages.Bypass{Reason: "migration"}, Items: messages.BatchItems{
		{Coordinate: c("order-2"), Kind: messages.MustKind(1, 1)},
		{Coordinate: c("order-2"), Kind: messages.MustKind(1, 2), Causation: messages.CausedByItem(0)},
	}})
	require.NoError(t, err)
	require.NoError(t, e.Commit())
	r.events = 9
	require.NoError(t, e.Close())
	return r
}

// parseExport decodes export's output.
func parseExport(t *testing.T, out string) []exportLine {
	t.Helper()
	var ls []exportLine
	for i, s := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if s == "" {
			continue
		}
		var l exportLine
		d := json.NewDecoder(strings.NewReader(s))
		d.DisallowUnknownFields()
		require.NoError(t, d.Decode(&l), "line %d: %s", i+1, s)
		ls = append(ls, l)
	}
	return ls
}

func TestExportWritesEveryFieldOfEveryEvent(t *testing.T) {
	r := writeRich(t)
	out := cli(t, "", "export", r.dir)
	require.Equal(t, ExitOK, out.code, out.stderr)
	require.Empty(t, out.stderr)
	lines := parseExport(t, out.stdout)
	e, err := storage.Open(r.dir, storage.Options{})
	require.NoError(t, err)
	defer e.Close()
	evs, err := e.Query(storage.Filter{})
	require.NoError(t, err)
	require.Len(t, lines, r.events)
	require.Len(t, evs, r.events)
	for i, ev := range evs {
		l := lines[i]
		require.Equal(t, ev.Sequence, l.Seq)
		require.Equal(t, ev.ID.String(), l.ID)
		require.Equal(t, ev.Coordinate, messages.Coordinate{Entity: l.Entity, Scope: l.Scope})
		require.Equal(t, ev.Kind.String(), l.Kind)
		require.Equal(t, ev.Version, l.Version)
		require.Equal(t, ev.WallMS, l.WallMS)
		require.Equal(t, ev.TimestampUS, *l.TsUS)
		require.Equal(t, ev.CorrelationID.String(), l.Corr)
		require.Equal(t, ev.CausationID.String(), l.Cause)
		require.Equal(t, ev.BatchID.String(), l.Batch)
		require.Equal(t, hex.EncodeToString(ev.Hash[:]), l.Hash)
		payload, err := base64.StdEncoding.DecodeString(*l.Payload)
		require.NoError(t, err)
		require.Equal(t, string(ev.Payload), string(payload))
		md, err := lineMetadata(&l)
		require.NoError(t, err)
		require.Equal(t, ev.Metadata, md)
	}
	require.NotEmpty(t, lines[1].MetaB64, "metadata with bytes that are not UTF-8 goes in base64")
	require.Empty(t, lines[1].Meta)
	require.Equal(t, map[string]string{"step": "2"}, lines[3].Meta)
	require.Greater(t, lines[3].WallMS, *lines[3].TsUS/1000, "the clock went back: wall_ms was raised")
}

func TestExportFilters(t *testing.T) {
	r := writeRich(t)
	seqs := func(args ...string) []uint64 {
		t.Helper()
		out := cli(t, "", append([]string{"export", r.dir}, args...)...)
		require.Equal(t, ExitOK, out.code, out.stderr)
		var s []uint64
		for _, l := range parseExport(t, out.stdout) {
			s = append(s, l.Seq)
		}
		return s
	}
	require.Equal(t, []uint64{0, 3, 5}, seqs("--entity", "order-1"))
	require.Equal(t, []uint64{0, 3}, seqs("--entity", "order-1", "--limit", "2"))
	require.Equal(t, []uint64{0, 3, 5, 7, 8}, seqs("--entity-prefix", "order-"))
	require.Equal(t, []uint64{0, 3, 5}, seqs("--entity-prefix", "order-", "--limit", "3"))
	require.Equal(t, []uint64{2, 8}, seqs("--kind", "1:002"))
	require.Equal(t, []uint64{2, 4, 6, 8}, seqs("--kind", "0x1002", "--kind", "4100"))
	require.Equal(t, []uint64{7, 8}, seqs("--from", "7"))
	require.Nil(t, seqs("--scope", "other"))
	require.Len(t, seqs("--scope", "shop"), r.events)
}

func TestExportBadInput(t *testing.T) {
	r := writeRich(t)
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{r.dir, "--kind", "x:1"}, ExitError, `export: --kind: bad event kind "x:1"`},
		{[]string{r.dir, "--limit", "-1"}, ExitError, "export: bad --limit -1"},
		{[]string{r.dir, "--entity", "a", "--entity-prefix", "b"}, ExitUsage, "give --entity or --entity-prefix, not both"},
		{[]string{r.dir, "--from", "x"}, ExitError, `invalid argument "x"`},
		{[]string{}, ExitUsage, "accepts 1 arg(s)"},
		{[]string{filepath.Join(t.TempDir(), "missing")}, ExitError, "missing"},
		{[]string{t.TempDir()}, ExitError, "not a store"},
	} {
		out := cli(t, "", append([]string{"export"}, c.args...)...)
		require.Equal(t, c.code, out.code, "%v: %s", c.args, out.stderr)
		require.Contains(t, out.stderr, c.msg)
		require.Equal(t, 1, strings.Count(out.stderr, "\n"), out.stderr)
		require.Empty(t, out.stdout)
	}
}

func TestExportLineEscapesLikeEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"b\s`, "\x00\x01\x1f\x7f", "tab\tnl\nrc\r", "é€😀", "\u2028\u2029", "<&>"} {
		ev := messages.Event{ID: messages.NewID(), Coordinate: messages.Coordinate{Entity: s, Scope: "x"}, Kind: testKind,
			CorrelationID: messages.NewID(), Metadata: messages.Metadata{s + "k": s}}
		b := appendExportLine(nil, &ev)
		require.True(t, json.Valid(b), "%q", b)
		var l exportLine
		require.NoError(t, json.Unmarshal(b, &l))
		require.Equal(t, s, l.Entity)
		require.Equal(t, map[string]string{s + "k": s}, l.Meta)
		require.Equal(t, ev.ID.String(), l.ID)
	}
}

// export reads a store a running writer holds (it takes no lock): it
// writes every event committed before it started.
func TestExportWhileAWriterHoldsTheStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	e, err := storage.Open(dir, storage.Options{})
	require.NoError(t, err)
	defer e.Close()
	appendEvents(t, e, 0, 300, 7)
	out := cli(t, "", "export", dir)
	require.Equal(t, ExitOK, out.code, out.stderr)
	require.Equal(t, 300, strings.Count(out.stdout, "\n"))
}
