package main

import (
	"fmt"
	"image/color"
	"math"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// WriteChart draws four panels into a PNG at path: durable appends/s by
// number of producers (log-log, one line per system, dashed when not
// durable at ack, with the legend); the reads (events/s); the cold starts;
// the bytes per event. A system keeps its colour and marker in every panel.
func (r *Results) WriteChart(path string) error {
	appends, err := r.appendsPanel()
	if err != nil {
		return err
	}
	panels := [][]*plot.Plot{
		{appends, r.pointPanel("Reads of the cold-start store", "events/s (log)", true, readGroups)},
		{r.pointPanel("Cold start: open until ready", "ms (log)", true, coldGroups), r.pointPanel("Bytes per event", "bytes per event", false, bytesGroups)},
	}
	img := vgimg.New(14*vg.Inch, 10*vg.Inch)
	tiles := draw.Tiles{Rows: 2, Cols: 2, PadX: vg.Points(24), PadY: vg.Points(24),
		PadTop: vg.Points(8), PadBottom: vg.Points(8), PadLeft: vg.Points(8), PadRight: vg.Points(8)}
	canvases := plot.Align(panels, tiles, draw.New(img))
	for i := range panels {
		for j := range panels[i] {
			panels[i][j].Draw(canvases[i][j])
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// style gives a system's column its colour and marker.
func style(col int) (color.Color, draw.GlyphDrawer) { return plotutil.Color(col), plotutil.Shape(col) }

// appendsPanel draws durable appends/s by number of producers.
func (r *Results) appendsPanel() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Durable appends/s by concurrent producers (256-B events)"
	p.X.Label.Text = "concurrent producers"
	p.Y.Label.Text = "events/s (log)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.X.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 1, Label: "1"}, {Value: 16, Label: "16"}, {Value: 256, Label: "256"}})
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	lines := 0
	for col, name := range r.Systems {
		var xys plotter.XYs
		for _, n := range producerCounts {
			if c := r.Cells[appendRows[n][0]][col]; c.Done && c.Err == nil && c.Rate > 0 {
				xys = append(xys, plotter.XY{X: float64(n), Y: c.Rate})
			}
		}
		if len(xys) == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		l.Color, pts.Shape = style(col)
		pts.Color = l.Color
		l.Width = vg.Points(1.5)
		label := name
		if !r.Durable[col] {
			l.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
			label += " — not durable at ack"
		}
		p.Add(l, pts)
		p.Legend.Add(label, l, pts)
		lines++
	}
	if lines == 0 {
		return nil, fmt.Errorf("chart: no throughput to draw")
	}
	p.Legend.Padding = vg.Points(2)
	p.Legend.TextStyle.Color = color.Black
	p.Legend.YOffs = -vg.Points(4)
	return p, nil
}

// chartGroup is one workload of a point panel: a row and the figure drawn.
type chartGroup struct {
	label string
	row   Row
	value func(Cell) float64
}

func cellRate(c Cell) float64  { return c.Rate }
func cellMs(c Cell) float64    { return c.Dur.Seconds() * 1e3 }
func cellBytes(c Cell) float64 { return c.Bytes }

// The point panels' workloads.
var (
	readGroups = []chartGroup{
		{"one entity", RowReadEntity, cellRate}, {"one entity backward", RowReadEntityBack, cellRate},
		{"full scan", RowScan, cellRate}, {"paged, actors", RowPagedScan, cellRate},
	}
	coldGroups  = []chartGroup{{"clean close", RowColdStart, cellMs}, {"kill -9 mid-segment", RowColdCrash, cellMs}}
	bytesGroups = []chartGroup{{"on disk", RowDiskBytes, cellBytes}, {"index in memory", RowIndexMemory, cellBytes}}
)

// points returns, for each system's column, one point per group it has a
// positive figure for, at x = the group's index shifted by the column.
func (r *Results) points(groups []chartGroup) []plotter.XYs {
	out := make([]plotter.XYs, len(r.Systems))
	spread := 0.7 / float64(max(len(r.Systems), 1))
	for col := range r.Systems {
		shift := (float64(col) - float64(len(r.Systems)-1)/2) * spread
		for g, grp := range groups {
			c := r.Cells[grp.row][col]
			if v := grp.value(c); c.Done && c.Err == nil && v > 0 {
				out[col] = append(out[col], plotter.XY{X: float64(g) + shift, Y: v})
			}
		}
	}
	return out
}

// pointPanel draws each system's figures for the groups, side by side.
func (r *Results) pointPanel(title, ylabel string, logY bool, groups []chartGroup) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	labels := make([]string, len(groups))
	for i, g := range groups {
		labels[i] = g.label
	}
	p.NominalX(labels...)
	p.X.Min, p.X.Max = -0.5, float64(len(groups))-0.5
	p.Add(plotter.NewGrid())
	lo, hi := math.Inf(1), math.Inf(-1)
	for col, xys := range r.points(groups) {
		if len(xys) == 0 {
			continue
		}
		s, err := plotter.NewScatter(xys)
		if err != nil {
			continue // only NaN or infinite figures
		}
		s.Color, s.Shape = style(col)
		s.Radius = vg.Points(4)
		p.Add(s)
		for _, xy := range xys {
			lo, hi = min(lo, xy.Y), max(hi, xy.Y)
		}
	}
	switch {
	case math.IsInf(lo, 1): // nothing drawn
	case logY: // margins of a factor 2, so the points clear the frame and a power of ten shows
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		p.Y.Min, p.Y.Max = lo/2, hi*2
	default:
		p.Y.Min, p.Y.Max = 0, hi*1.1
	}
	return p
}
