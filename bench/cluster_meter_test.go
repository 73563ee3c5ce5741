//go:build !race

package main

import (
	"context"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// groupMeter reads the commit groups of the stores whose
// actors.Config.MeterProvider is its provider (OTel's SDK with a manual
// reader): how many groups, their events, and the time spent in their
// fsyncs, summed over the stores (the store's batpak.commit.group_size and
// batpak.commit.fsync histograms, one record per commit group).
type groupMeter struct {
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
}

func newGroupMeter() *groupMeter {
	r := sdkmetric.NewManualReader()
	return &groupMeter{reader: r, mp: sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))}
}

// groupCounts are cumulative commit-group figures.
type groupCounts struct {
	groups, events int64
	fsyncSeconds   float64
}

// read returns the figures so far (zero when the meter is nil or cannot
// be read).
func (g *groupMeter) read() groupCounts {
	var c groupCounts
	if g == nil {
		return c
	}
	var rm metricdata.ResourceMetrics
	if err := g.reader.Collect(context.Background(), &rm); err != nil {
		return c
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Histogram[int64]:
				if m.Name == "batpak.commit.group_size" {
					for _, p := range d.DataPoints {
						c.groups += int64(p.Count)
						c.events += p.Sum
					}
				}
			case metricdata.Histogram[float64]:
				if m.Name == "batpak.commit.fsync" {
					for _, p := range d.DataPoints {
						c.fsyncSeconds += p.Sum
					}
				}
			}
		}
	}
	return c
}

// sub is c - o.
func (c groupCounts) sub(o groupCounts) groupCounts {
	return groupCounts{groups: c.groups - o.groups, events: c.events - o.events, fsyncSeconds: c.fsyncSeconds - o.fsyncSeconds}
}

func (c *groupCounts) add(o groupCounts) {
	c.groups += o.groups
	c.events += o.events
	c.fsyncSeconds += o.fsyncSeconds
}
