package main

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/batpak-go/batpak/messages"
	"github.com/batpak-go/batpak/storage"
)

func init() { register(newGraph) }

// graphFlags are graph's options.
type graphFlags struct {
	correlation, event string
	svg, kindNames     string
	limit              int
}

func newGraph(env *env) *cobra.Command {
	var f graphFlags
	cmd := &cobra.Command{
		Use:   "graph DIR (--correlation ID | --event ID) [--svg FILE]",
		Short: "Draw the causal graph of a saga or of one event as Graphviz DOT",
		Long: `graph draws causation links as a Graphviz digraph.

With --correlation ID it draws every event whose correlation id is ID (the
events of one saga or conversation; a root event's correlation is its own
id), and highlights the event whose id is ID if it is stored. With --event
ID it draws that event (highlighted), its ancestors (its cause, the cause's
cause, ... up to a root, across entities) and its descendants (every event
it caused, directly or not).

Each event is a node named by its id and labelled with its kind (and the
kind's name when --kind-names gives one), its scope/entity and version, its
global sequence and the first characters of its id. Each causation link is
an edge from the cause to the effect. A cause that is not among the drawn
events is a dashed node: labelled in full when it is stored (an event of
another correlation), "(not stored)" when it is not.

The DOT text goes to standard output. With --svg FILE, graph runs Graphviz's
dot (found in PATH) to write FILE as SVG instead; if dot is not installed it
says so and exits with status 1 (install the graphviz package, or render the
DOT output elsewhere).

graph only reads the store.`,
		Example: `  # the saga that event 0190f3c2-... started, rendered by Graphviz
  batpak graph ./data --correlation 0190f3c2-7a4e-7d1b-9c3a-2b4d6e8f0a1c | dot -Tpng -o saga.png

  # one event's causes and consequences, as SVG, with kind names
  batpak graph ./data --event 0190f3c2-7a4e-7d1b-9c3a-2b4d6e8f0a1c --kind-names kinds.txt --svg event.svg

  # kinds.txt holds one "KIND NAME" per line:
  #   1:001 shop.order-placed
  #   1:002 shop.payment-taken`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runGraph(env, args[0], &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.correlation, "correlation", "", "draw the events of this correlation id")
	fl.StringVar(&f.event, "event", "", "draw this event with its ancestors and descendants")
	fl.StringVar(&f.svg, "svg", "", "write SVG to `FILE` with Graphviz's dot instead of DOT to stdout")
	fl.StringVar(&f.kindNames, "kind-names", "", "read kind names from `FILE` (lines \"KIND NAME\", e.g. \"1:001 order-placed\")")
	fl.IntVar(&f.limit, "limit", 5000, "refuse to draw more than `N` events (0: no limit)")
	return cmd
}

func runGraph(env *env, dir string, f *graphFlags) (err error) {
	if (f.correlation == "") == (f.event == "") {
		return &usageError{errors.New("graph: give exactly one of --correlation ID and --event ID")}
	}
	if f.limit < 0 {
		return fmt.Errorf("graph: bad --limit %d: want 0 (no limit) or more", f.limit)
	}
	var dotPath string
	if f.svg != "" {
		if dotPath, err = findDot(); err != nil {
			return err
		}
	}
	names, err := loadKindNames(f.kindNames)
	if err != nil {
		return err
	}
	e, err := openRead(dir)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := e.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	g, err := loadGraph(e, f)
	if err != nil {
		return err
	}
	g.names = names
	if f.limit > 0 && len(g.events) > f.limit {
		return fmt.Errorf("graph: %d events, more than --limit %d: raise the limit (Graphviz is slow on large graphs)", len(g.events), f.limit)
	}
	if f.svg == "" {
		return g.writeDOT(env.stdout)
	}
	var dot bytes.Buffer
	if err := g.writeDOT(&dot); err != nil {
		return err
	}
	if err := renderSVG(dotPath, &dot, f.svg); err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "batpak: graph: %d events, %d causation links: wrote %s\n", len(g.events), len(g.edges()), f.svg)
	return nil
}

// loadGraph reads the events the flags select and the causes they name
// outside them.
func loadGraph(e *storage.Engine, f *graphFlags) (*causalGraph, error) {
	var g causalGraph
	if f.correlation != "" {
		corr, err := idFromArg("correlation", f.correlation)
		if err != nil {
			return nil, err
		}
		if g.events, err = e.ByCorrelation(corr); err != nil {
			return nil, err
		}
		if len(g.events) == 0 {
			return nil, fmt.Errorf("graph: no event has correlation id %s", corr)
		}
		g.title, g.highlight = "correlation "+corr.String(), corr
	} else {
		id, err := idFromArg("event", f.event)
		if err != nil {
			return nil, err
		}
		if g.events, err = eventFamily(e, id); err != nil {
			return nil, err
		}
		g.title, g.highlight = "event "+id.String(), id
	}
	return &g, g.findOutside(e)
}

// eventFamily returns the event id, its ancestors and its descendants, in
// global order.
func eventFamily(e *storage.Engine, id messages.ID) ([]messages.Event, error) {
	ev, err := e.Get(id)
	if err != nil {
		return nil, err
	}
	up, err := e.Ancestors(id, 0)
	if err != nil {
		return nil, err
	}
	down, err := e.Descendants(id)
	if err != nil {
		return nil, err
	}
	out := make([]messages.Event, 0, len(up)+1+len(down))
	for i := len(up) - 1; i >= 0; i-- { // Ancestors is nearest first
		out = append(out, up[i])
	}
	out = append(out, ev)
	out = append(out, down...)
	// Causes come before their effects in the log, except with forged ids.
	slices.SortFunc(out, func(a, b messages.Event) int { return cmp.Compare(a.Sequence, b.Sequence) })
	return out, nil
}

// findOutside looks up the causes the events name that are not among
// them.
func (g *causalGraph) findOutside(e *storage.Engine) error {
	in := make(map[messages.ID]bool, len(g.events))
	for i := range g.events {
		in[g.events[i].ID] = true
	}
	g.outside = map[messages.ID]*messages.Event{}
	for _, edge := range g.edges() {
		c := edge[0]
		if in[c] {
			continue
		}
		if _, done := g.outside[c]; done {
			continue
		}
		ev, err := e.Get(c)
		switch {
		case errors.Is(err, messages.ErrNotFound):
			g.outside[c] = nil
		case err != nil:
			return err
		default:
			g.outside[c] = &ev
		}
	}
	return nil
}
