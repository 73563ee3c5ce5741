package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// importedID is the id import gives the event whose id was s.
func importedID(t *testing.T, s string) string {
	t.Helper()
	id, err := messages.ParseID(s)
	require.NoError(t, err)
	return messages.IDFromKey(id).String()
}

// requireSameEvents checks that the export b of an imported store holds
// the events of the export a it was imported from: the same fields, ids
// (and causation ids, and correlation ids that name an event) mapped as
// import documents, batches grouped the same under new ids, hashes
// recomputed.
func requireSameEvents(t *testing.T, a, b []exportLine) {
	t.Helper()
	require.Len(t, b, len(a))
	ids := map[string]bool{}
	for _, l := range a {
		ids[l.ID] = true
	}
	for i := range a {
		x, y := a[i], b[i]
		require.Equal(t, importedID(t, x.ID), y.ID, "line %d: id", i+1)
		if x.Cause != "" {
			require.Equal(t, importedID(t, x.Cause), y.Cause, "line %d: cause", i+1)
		} else {
			require.Empty(t, y.Cause)
		}
		if ids[x.Corr] {
			require.Equal(t, importedID(t, x.Corr), y.Corr, "line %d: corr names an event", i+1)
		} else {
			require.Equal(t, x.Corr, y.Corr, "line %d: an external corr is kept", i+1)
		}
		require.Equal(t, x.Batch == "", y.Batch == "", "line %d: batch", i+1)
		if i > 0 {
			require.Equal(t, x.Batch == a[i-1].Batch, y.Batch == b[i-1].Batch, "line %d: batch boundary", i+1)
		}
		require.NotEqual(t, x.Hash, y.Hash, "line %d: the hash covers the id", i+1)
		x.ID, x.Cause, x.Corr, x.Batch, x.Hash = "", "", "", "", ""
		y.ID, y.Cause, y.Corr, y.Batch, y.Hash = "", "", "", "", ""
		require.Equal(t, x, y, "line %d: every other field", i+1)
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	r := writeRich(t)
	first := cli(t, "", "export", r.dir)
	require.Equal(t, ExitOK, first.code, first.stderr)
	dst := filepath.Join(t.TempDir(), "new", "store") // import creates it
	imp := cli(t, first.stdout, "import", dst, "--expect-empty", "--commit-every", "2")
	require.Equal(t, ExitOK, imp.code, imp.stderr)
	require.Equal(t, fmt.Sprintf("imported 9 lines into %s: 9 events appended, 0 already present; 4 commits\n", dst), imp.stdout)
	second := cli(t, "", "export", dst)
	require.Equal(t, ExitOK, second.code, second.stderr)
	requireSameEvents(t, parseExport(t, first.stdout), parseExport(t, second.stdout))

	e, err := storage.Open(dst, storage.Options{})
	require.NoError(t, err)
	defer e.Close()
	rep, err := e.Verify()
	require.NoError(t, err)
	require.Equal(t, 9, rep.Events)
	root := parseExport(t, first.stdout)[0]
	desc, err := e.Descendants(messages.IDFromKey(mustParse(messages.ParseID(root.ID))))
	require.NoError(t, err)
	require.Len(t, desc, 3, "the causal graph is the same graph under the new ids")
}

func mustParse[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestImportTwiceWritesNothing(t *testing.T) {
	r := writeRich(t)
	export := cli(t, "", "export", r.dir).stdout
	dst := filepath.Join(t.TempDir(), "dst")
	require.Equal(t, ExitOK, cli(t, export, "import", dst).code)
	before := cli(t, "", "export", dst).stdout

	again := cli(t, export, "import", dst, "--commit-every", "1")
	require.Equal(t, ExitOK, again.code, again.stderr)
	require.Equal(t, fmt.Sprintf("imported 9 lines into %s: 0 events appended, 9 already present; 0 commits\n", dst), again.stdout)
	require.Equal(t, before, cli(t, "", "export", dst).stdout, "the store is unchanged")

	guarded := cli(t, export, "import", dst, "--expect-empty")
	require.Equal(t, ExitError, guarded.code)
	require.Equal(t, fmt.Sprintf("batpak: import: --expect-empty: %s already holds 9 events; nothing imported\n", dst), guarded.stderr)
}

func TestImportStopsAtABadLineKeepingWhatItCommitted(t *testing.T) {
	r := writeRich(t)
	lines := strings.SplitAfter(cli(t, "", "export", r.dir).stdout, "\n")
	bad := append([]string{}, lines...)
	bad[5] = strings.Replace(bad[5], `"payload":"`, `"payload":"!`, 1) // line 6: a single append
	dst := filepath.Join(t.TempDir(), "dst")
	out := cli(t, strings.Join(bad, ""), "import", dst, "--commit-every", "2")
	require.Equal(t, ExitError, out.code)
	require.Equal(t, `batpak: import stopped at line 6: "payload" is not base64: illegal base64 data at input byte 0; lines 1-2 are imported (committed), nothing after line 2`+"\n", out.stderr)
	require.Empty(t, out.stdout)
	// Lines 1-2 were committed; line 3-5 (a batch) were staged and rolled back.
	got := parseExport(t, cli(t, "", "export", dst).stdout)
	requireSameEvents(t, parseExport(t, strings.Join(lines[:2], "")), got)

	fixed := cli(t, strings.Join(lines, ""), "import", dst)
	require.Equal(t, ExitOK, fixed.code, fixed.stderr)
	require.Contains(t, fixed.stdout, "7 events appended, 2 already present")
	requireSameEvents(t, parseExport(t, strings.Join(lines, "")), parseExport(t, cli(t, "", "export", dst).stdout))
}

func TestImportBadLines(t *testing.T) {
	good := `{"seq":0,"id":"0190f3c2-7a4e-7d1b-9c3a-2b4d6e8f0a1c","entity":"e","scope":"s","kind":"1:001","version":1,"wall_ms":1,"ts_us":1000,"corr":"0190f3c2-7a4e-7d1b-9c3a-2b4d6e8f0a1c","payload":""}`
	with := func(old, new string) string { return strings.Replace(good, old, new, 1) }
	for _, c := range []struct{ name, line, msg string }{
		{"not json", "{", "not an event of batpak export: unexpected EOF"},
		{"two objects", good + good, "more after the JSON object"},
		{"unknown field", with(`"seq"`, `"sequence"`), `json: unknown field "sequence"`},
		{"no payload", with(`,"payload":""`, ``), `no "payload"`},
		{"no ts_us", with(`"ts_us":1000,`, ``), `no "ts_us"`},
		{"no id", with(`"id":"0190f3c2-7a4e-7d1b-9c3a-2b4d6e8f0a1c",`, ``), `no "id"`},
		{"bad corr", with(`"corr":"0190`, `"corr":"x190`), `"corr" is not a UUID`},
		{"bad kind", with(`"1:001"`, `"1-001"`), `bad event kind "1-001"`},
		{"reserved kind", with(`"1:001"`, `"0:001"`), "reserved"},
		{"empty entity", with(`"entity":"e"`, `"entity":""`), "entity"},
		{"reserved metadata", with(`"payload":""`, `"payload":"","meta":{"batpak.x":"y"}`), `key "batpak.x"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "dst")
			out := cli(t, good+"\n\n"+c.line+"\n", "import", dst)
			require.Equal(t, ExitError, out.code, out.stderr)
			require.True(t, strings.HasPrefix(out.stderr, "batpak: import stopped at line 3: "), out.stderr)
			require.Contains(t, out.stderr, c.msg)
			require.True(t, strings.HasSuffix(out.stderr, "; nothing was imported\n"), out.stderr)
			require.Equal(t, 1, strings.Count(out.stderr, "\n"))
		})
	}
}

func TestImportNamesTheBadItemOfABatch(t *testing.T) {
	r := writeRich(t)
	lines := strings.SplitAfter(cli(t, "", "export", r.dir).stdout, "\n")
	lines[3] = strings.Replace(lines[3], `"kind":"1:003"`, `"kind":"d:003"`, 1) // line 4: the batch's second item
	out := cli(t, strings.Join(lines, ""), "import", filepath.Join(t.TempDir(), "dst"), "--commit-every", "1")
	require.Equal(t, ExitError, out.code)
	require.Contains(t, out.stderr, "batpak: import stopped at line 4: ")
	require.Contains(t, out.stderr, "lines 1-2 are imported (committed), nothing after line 2")
}

func TestImportRefusesWhileAWriterHoldsTheStore(t *testing.T) {
	r := writeRich(t)
	export := cli(t, "", "export", r.dir).stdout
	dst := filepath.Join(t.TempDir(), "dst")
	e, err := storage.Open(dst, storage.Options{})
	require.NoError(t, err)
	defer e.Close()
	out := cli(t, export, "import", dst)
	require.Equal(t, ExitError, out.code)
	require.Equal(t, "batpak: import: "+dst+" is held by a running writer (its LOCK is taken): stop the application or batpak command that has it open, then try again\n", out.stderr)
	require.Equal(t, 0, e.Stats().Events)
}
