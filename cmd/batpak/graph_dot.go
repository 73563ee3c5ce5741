package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/batpak-go/batpak/messages"
)

// causalGraph is what graph draws: events (in global order), the event to
// highlight, and the causes that the events name but that are not among
// them (drawn dashed: an event outside the correlation, or one not
// stored).
type causalGraph struct {
	title     string
	events    []messages.Event
	highlight messages.ID
	outside   map[messages.ID]*messages.Event // nil value: not stored
	names     kindNames
}

// edges returns the causation edges (cause, effect), in the effects'
// global order.
func (g *causalGraph) edges() [][2]messages.ID {
	var out [][2]messages.ID
	for i := range g.events {
		if c := g.events[i].CausationID; !c.IsZero() {
			out = append(out, [2]messages.ID{c, g.events[i].ID})
		}
	}
	return out
}

// writeDOT writes g as a Graphviz digraph: one node per event (id as the
// node name; kind, coordinate, version, sequence and a short id as its
// label), one edge per causation link, cause to effect.
func (g *causalGraph) writeDOT(w io.Writer) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "digraph batpak {\n")
	fmt.Fprintf(b, "\tgraph [rankdir=TB, labelloc=t, label=%s];\n", dotQuote(g.title))
	fmt.Fprintf(b, "\tnode [shape=box, style=rounded, fontname=\"Helvetica\"];\n")
	for i := range g.events {
		ev := &g.events[i]
		attrs := ""
		if ev.ID == g.highlight {
			attrs = `, style="rounded,filled,bold", fillcolor="#ffd966"`
		}
		fmt.Fprintf(b, "\t%s [label=%s%s];\n", dotQuote(ev.ID.String()), dotQuote(g.eventLabel(ev)), attrs)
	}
	for _, id := range g.outsideIDs() {
		label := id.String() + "\n(not stored)"
		if ev := g.outside[id]; ev != nil {
			label = g.eventLabel(ev) + "\n(outside this graph)"
		}
		fmt.Fprintf(b, "\t%s [label=%s, style=dashed];\n", dotQuote(id.String()), dotQuote(label))
	}
	for _, e := range g.edges() {
		fmt.Fprintf(b, "\t%s -> %s;\n", dotQuote(e[0].String()), dotQuote(e[1].String()))
	}
	fmt.Fprintf(b, "}\n")
	return b.Flush()
}

// outsideIDs returns the outside causes in the order the events name them.
func (g *causalGraph) outsideIDs() []messages.ID {
	var out []messages.ID
	seen := map[messages.ID]bool{}
	for _, e := range g.edges() {
		if _, ok := g.outside[e[0]]; ok && !seen[e[0]] {
			seen[e[0]] = true
			out = append(out, e[0])
		}
	}
	return out
}

// eventLabel is "KIND [NAME]\nSCOPE/ENTITY vVERSION\n#SEQ …IDEND".
func (g *causalGraph) eventLabel(ev *messages.Event) string {
	return fmt.Sprintf("%s\n%s v%d\n#%d %s", g.names.label(ev.Kind), ev.Coordinate, ev.Version,
		ev.Sequence, shortID(ev.ID))
}

// shortID is "…" and the last 8 hex digits of id: the random end of a
// UUIDv7 (its start is a timestamp that neighbouring events share).
func shortID(id messages.ID) string {
	s := id.String()
	return "…" + s[len(s)-8:]
}

// dotQuote returns s as a DOT quoted string; a newline becomes the \n
// escape (a centred line break in a label).
func dotQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
