package report

import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// latencyChart is a group's end-to-end latency percentile distribution,
// HdrHistogram style: the x axis is 1/(1−q) on a log scale, labelled in
// percentiles.
func (r *Run) latencyChart(group string) *plot.Plot {
	unit, div := "ms", 1.0
	for _, pc := range r.Latency[group] {
		if pc.ValueMs >= 10000 {
			unit, div = "s", 1000
		}
	}
	p := newPlot(group+": latency by percentile", "percentile", "end-to-end latency ("+unit+", scenario)")
	var pts plotter.XYs
	for _, pc := range r.Latency[group] {
		if pc.Quantile >= 1 {
			continue
		}
		pts = append(pts, plotter.XY{X: 1 / (1 - pc.Quantile), Y: pc.ValueMs / div})
	}
	addLine(p, pts, "", lineStyle(obsColor, 1.4, false))
	addPoints(p, pts, "", obsColor, 1.2)
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = percentileTicks{}
	p.X.Min = 1
	if len(pts) > 0 {
		p.X.Max = max(pts[len(pts)-1].X, 10)
	} else {
		p.X.Max = 100
	}
	floorY(p, 1)
	return p
}

// percentileTicks label 1/(1−q) = 1, 10, 100, … as 0%, 90%, 99%, ….
type percentileTicks struct{}

func (percentileTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	labels := []string{"0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"}
	for i, v := 0, 1.0; i < len(labels) && v <= hi*1.0001; i, v = i+1, v*10 {
		if v >= lo {
			ts = append(ts, plot.Tick{Value: v, Label: labels[i]})
		}
	}
	return ts
}
