package main

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// WriteChart draws durable appends/s by number of producers, one line per
// system (log-log), into a PNG at path. Systems not durable at ack are
// drawn dashed.
func (r *Results) WriteChart(path string) error {
	p := plot.New()
	p.Title.Text = "Appends/s by concurrent producers (256-B events)"
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
			return err
		}
		c := plotutil.Color(lines)
		l.Color, pts.Color = c, c
		pts.Shape = plotutil.Shape(lines)
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
		return fmt.Errorf("chart: no throughput to draw")
	}
	p.Legend.Padding = vg.Points(2)
	p.Legend.TextStyle.Color = color.Black
	p.Legend.YOffs = -vg.Points(4)
	return p.Save(9*vg.Inch, 6*vg.Inch, path)
}
