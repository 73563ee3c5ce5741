package main

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

// saga is a store holding one saga across entities and an event of another
// correlation that an event of the saga caused:
//
//	A (order-1) ─┬─> B (payment-7) ──> C (shipment-3) ──> F (invoice-9, its own correlation)
//	             └─> B2 (order-1)
//	D (order-2): unrelated
type saga struct {
	dir string
	ids map[string]messages.ID
	seq map[string]uint64
}

func writeSaga(t *testing.T) saga {
	t.Helper()
	s := saga{dir: filepath.Join(t.TempDir(), "store"), ids: map[string]messages.ID{}, seq: map[string]uint64{}}
	e, err := storage.Open(s.dir, storage.Options{})
	require.NoError(t, err)
	add := func(name, entity string, kind uint16, cause, corr string) {
		r, err := e.Append(&messages.Append{
			Coordinate:    messages.Coordinate{Entity: entity, Scope: "shop"},
			Kind:          messages.MustKind(1, kind),
			Payload:       []byte(name),
			CausationID:   s.ids[cause],
			CorrelationID: s.ids[corr],
		})
		require.NoError(t, err)
		s.ids[name], s.seq[name] = r.EventID, r.Sequence
	}
	add("A", "order-1", 1, "", "")
	add("D", "order-2", 1, "", "")
	add("B", "payment-7", 2, "A", "A")
	add("B2", "order-1", 4, "A", "A")
	add("C", "shipment-3", 3, "B", "A")
	add("F", "invoice-9", 5, "C", "")
	require.NoError(t, e.Commit())
	require.NoError(t, e.Close())
	return s
}

// dotGraph is a parsed DOT output: node labels and attributes by node
// name, and edges as "from -> to".
type dotGraph struct {
	labels map[string]string
	attrs  map[string]string // everything after the label
	edges  []string
}

var (
	dotNode = regexp.MustCompile(`^\t"([^"]+)" \[label="((?:[^"\\]|\\.)*)"(.*)\];$`)
	dotEdge = regexp.MustCompile(`^\t"([^"]+)" -> "([^"]+)";$`)
)

// parseDOT parses the DOT graph writes, failing on any line it does not
// expect.
func parseDOT(t *testing.T, out string) dotGraph {
	t.Helper()
	g := dotGraph{labels: map[string]string{}, attrs: map[string]string{}}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Equal(t, "digraph batpak {", lines[0])
	require.Equal(t, "}", lines[len(lines)-1])
	for _, l := range lines[1 : len(lines)-1] {
		if m := dotNode.FindStringSubmatch(l); m != nil {
			require.NotContains(t, g.labels, m[1], "node %s twice", m[1])
			g.labels[m[1]] = strings.ReplaceAll(m[2], `\n`, "\n")
			g.attrs[m[1]] = m[3]
		} else if m := dotEdge.FindStringSubmatch(l); m != nil {
			g.edges = append(g.edges, m[1]+" -> "+m[2])
		} else if !strings.HasPrefix(l, "\tgraph [") && !strings.HasPrefix(l, "\tnode [") {
			t.Fatalf("unexpected DOT line %q", l)
		}
	}
	return g
}

func (s saga) edge(from, to string) string { return s.ids[from].String() + " -> " + s.ids[to].String() }

func (s saga) nodes(names ...string) []string {
	var out []string
	for _, n := range names {
		out = append(out, s.ids[n].String())
	}
	slices.Sort(out)
	return out
}

func TestGraphCorrelationDrawsTheSagaWithKindNames(t *testing.T) {
	s := writeSaga(t)
	names := filepath.Join(t.TempDir(), "kinds.txt")
	require.NoError(t, os.WriteFile(names, []byte("# shop kinds\n1:001 order-placed\n0x1002 payment-taken\n\n"), 0o600))
	r := cli(t, "", "graph", s.dir, "--correlation", s.ids["A"].String(), "--kind-names", names)
	require.Equal(t, ExitOK, r.code, r.stderr)
	g := parseDOT(t, r.stdout)
	require.Equal(t, s.nodes("A", "B", "B2", "C"), slices.Sorted(maps.Keys(g.labels)))
	require.ElementsMatch(t, []string{s.edge("A", "B"), s.edge("A", "B2"), s.edge("B", "C")}, g.edges)
	a, b, c := s.ids["A"].String(), s.ids["B"].String(), s.ids["C"].String()
	require.Equal(t, "1:001 order-placed\nshop/order-1 v1\n#0 "+shortID(s.ids["A"]), g.labels[a])
	require.Equal(t, "1:002 payment-taken\nshop/payment-7 v1\n#2 "+shortID(s.ids["B"]), g.labels[b])
	require.Equal(t, "1:003\nshop/shipment-3 v1\n#4 "+shortID(s.ids["C"]), g.labels[c], "a kind without a name")
	require.Equal(t, "1:004\nshop/order-1 v2\n#3 "+shortID(s.ids["B2"]), g.labels[s.ids["B2"].String()])
	require.Contains(t, g.attrs[a], "filled", "the correlation's root is highlighted")
	for _, n := range []string{b, c} {
		require.Empty(t, g.attrs[n])
	}
}

func TestGraphEventDrawsAncestorsAndDescendantsAcrossCorrelations(t *testing.T) {
	s := writeSaga(t)
	r := cli(t, "", "graph", s.dir, "--event", s.ids["B"].String())
	require.Equal(t, ExitOK, r.code, r.stderr)
	g := parseDOT(t, r.stdout)
	require.Equal(t, s.nodes("A", "B", "C", "F"), slices.Sorted(maps.Keys(g.labels)), "B2 is a sibling, D unrelated")
	require.Equal(t, []string{s.edge("A", "B"), s.edge("B", "C"), s.edge("C", "F")}, g.edges)
	require.Contains(t, g.attrs[s.ids["B"].String()], "filled")
	require.Empty(t, g.attrs[s.ids["A"].String()])
}

func TestGraphDrawsACauseOutsideTheCorrelationDashed(t *testing.T) {
	s := writeSaga(t)
	r := cli(t, "", "graph", s.dir, "--correlation", s.ids["F"].String())
	require.Equal(t, ExitOK, r.code, r.stderr)
	g := parseDOT(t, r.stdout)
	c := s.ids["C"].String()
	require.Equal(t, s.nodes("C", "F"), slices.Sorted(maps.Keys(g.labels)))
	require.Equal(t, []string{s.edge("C", "F")}, g.edges)
	require.Equal(t, "1:003\nshop/shipment-3 v1\n#4 "+shortID(s.ids["C"])+"\n(outside this graph)", g.labels[c])
	require.Equal(t, ", style=dashed", g.attrs[c])
}

func TestGraphQuotesLabels(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	e, err := storage.Open(dir, storage.Options{})
	require.NoError(t, err)
	r, err := e.Append(&messages.Append{Coordinate: messages.Coordinate{Entity: `a "quoted" \ entity`, Scope: "s"}, Kind: testKind})
	require.NoError(t, err)
	require.NoError(t, e.Commit())
	require.NoError(t, e.Close())
	out := cli(t, "", "graph", dir, "--event", r.EventID.String())
	require.Equal(t, ExitOK, out.code, out.stderr)
	require.Contains(t, out.stdout, `label="1:001\ns/a \"quoted\" \\ entity v1\n#0 `)
}

func TestGraphBadInput(t *testing.T) {
	s := writeSaga(t)
	unknown := messages.NewID().String()
	for _, c := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"neither flag", []string{s.dir}, ExitUsage, "give exactly one of --correlation ID and --event ID"},
		{"both flags", []string{s.dir, "--event", unknown, "--correlation", unknown}, ExitUsage, "exactly one"},
		{"no directory", []string{"--event", unknown}, ExitUsage, "accepts 1 arg(s)"},
		{"bad id", []string{s.dir, "--event", "not-a-uuid"}, ExitError, `bad --event "not-a-uuid"`},
		{"unknown event", []string{s.dir, "--event", unknown}, ExitError, "not found: " + unknown},
		{"unknown correlation", []string{s.dir, "--correlation", unknown}, ExitError, "no event has correlation id " + unknown},
		{"over the limit", []string{s.dir, "--correlation", s.ids["A"].String(), "--limit", "3"}, ExitError, "4 events, more than --limit 3"},
		{"bad kind names", []string{s.dir, "--event", unknown, "--kind-names", filepath.Join(s.dir, "nope")}, ExitError, "kind names: open"},
		{"missing directory", []string{filepath.Join(t.TempDir(), "missing"), "--event", unknown}, ExitError, "not a store"},
		{"not a store", []string{t.TempDir(), "--event", unknown}, ExitError, "not a store"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := cli(t, "", append([]string{"graph"}, c.args...)...)
			require.Equal(t, c.code, r.code, r.stderr)
			require.Contains(t, r.stderr, c.msg)
			require.True(t, strings.HasPrefix(r.stderr, "batpak: ") && strings.Count(r.stderr, "\n") == 1, "one line: %q", r.stderr)
			require.Empty(t, r.stdout)
		})
	}
}

func TestGraphSVGWithoutDotSaysSo(t *testing.T) {
	s := writeSaga(t)
	t.Setenv("PATH", t.TempDir()) // no dot there
	out := filepath.Join(t.TempDir(), "g.svg")
	r := cli(t, "", "graph", s.dir, "--event", s.ids["A"].String(), "--svg", out)
	require.Equal(t, ExitError, r.code)
	require.Equal(t, "batpak: graph: --svg needs Graphviz's dot, which is not installed (not found in PATH): install Graphviz (e.g. apt-get install graphviz), or drop --svg and render the DOT output elsewhere\n", r.stderr)
	require.NoFileExists(t, out)
}

func TestGraphSVGWithDot(t *testing.T) {
	if _, err := exec.LookPath("dot"); err != nil {
		t.Skip("Graphviz's dot is not installed")
	}
	s := writeSaga(t)
	out := filepath.Join(t.TempDir(), "g.svg")
	r := cli(t, "", "graph", s.dir, "--correlation", s.ids["A"].String(), "--svg", out)
	require.Equal(t, ExitOK, r.code, r.stderr)
	require.Empty(t, r.stdout)
	require.Equal(t, "batpak: graph: 4 events, 3 causation links: wrote "+out+"\n", r.stderr)
	svg, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Contains(t, string(svg), "<svg")
	require.Contains(t, string(svg), ">shop/shipment&#45;3 v1<", "the labels are drawn")
}

// graph reads a store a running writer holds (storage.OpenReadOnly takes no
// lock): it draws what was committed, and the writer goes on.
func TestGraphWhileAWriterHoldsTheStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	e, err := storage.Open(dir, storage.Options{})
	require.NoError(t, err)
	defer e.Close()
	root, err := e.Append(&messages.Append{Coordinate: messages.Coordinate{Entity: "order-1", Scope: "shop"}, Kind: messages.MustKind(1, 1)})
	require.NoError(t, err)
	_, err = e.Append(&messages.Append{Coordinate: messages.Coordinate{Entity: "mail-1", Scope: "shop"}, Kind: messages.MustKind(1, 2),
		CausationID: root.EventID, CorrelationID: root.EventID})
	require.NoError(t, err)
	require.NoError(t, e.Commit())

	r := cli(t, "", "graph", dir, "--correlation", root.EventID.String())
	require.Equal(t, ExitOK, r.code, r.stderr)
	g := parseDOT(t, r.stdout)
	require.Len(t, g.labels, 2)
	require.Len(t, g.edges, 1)
	_, err = e.Append(&messages.Append{Coordinate: messages.Coordinate{Entity: "order-1", Scope: "shop"}, Kind: messages.MustKind(1, 1)})
	require.NoError(t, err, "the writer goes on")
	require.NoError(t, e.Commit())
}
