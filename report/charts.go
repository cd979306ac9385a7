package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The charts are drawn with gonum.org/v1/plot: SVG for the HTML pages
// (inlined, so a page needs nothing else), PNG for backlog.png. Both are
// deterministic for the same data.

// palette colours series: the first colour is the prediction, the second
// the observation; overview and compare charts take one per group or run.
var palette = []color.Color{
	rgb(0x1f77b4), rgb(0xff7f0e), rgb(0x2ca02c), rgb(0xd62728), rgb(0x9467bd),
	rgb(0x8c564b), rgb(0xe377c2), rgb(0x7f7f7f), rgb(0xbcbd22), rgb(0x17becf),
}

var (
	predColor = palette[0]
	obsColor  = palette[1]
	grey      = rgb(0x888888)
)

// fade returns c with opacity a.
func fade(c color.Color, a float64) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: uint8(a * 255)}
}

func rgb(x uint32) color.Color {
	return color.RGBA{R: uint8(x >> 16), G: uint8(x >> 8), B: uint8(x), A: 0xff}
}

// maxPoints bounds the points a chart draws per series; longer series are
// thinned (keeping the peak) so that pages stay small.
const maxPoints = 400

// sansFont is the charts' typeface. Browsers without Liberation Sans fall
// back to Arial or Helvetica, which have the same metrics.
var sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// newPlot returns a plot with the report's fonts and a light grid.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sansFont, 11)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sansFont, 9)
		a.Tick.Label.Font = font.From(sansFont, 8)
		a.Padding = vg.Points(2)
	}
	p.X.Tick.Marker = niceTicks{13}
	p.Y.Tick.Marker = niceTicks{6}
	p.Legend.TextStyle.Font = font.From(sansFont, 8)
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(8), vg.Points(-4)
	p.Legend.ThumbnailWidth = vg.Points(18)
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = rgb(0xe6e6e6), rgb(0xe6e6e6)
	g.Vertical.Width, g.Horizontal.Width = vg.Points(0.5), vg.Points(0.5)
	p.Add(g)
	return p
}

// NiceTicks returns a tick marker of about n labelled ticks (see
// niceTicks), for charts outside this package.
func NiceTicks(n int) plot.Ticker { return niceTicks{n} }

// niceTicks are about n labelled ticks, 1, 2, 2.5 or 5 times a power of
// ten apart, labelled with thousands separators.
type niceTicks struct{ n int }

func (t niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || !finite(lo) || !finite(hi) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	raw := (hi - lo) / float64(t.n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ts []plot.Tick
	first := math.Ceil(lo/step - 1e-9)
	for i := 0; ; i++ {
		v := (first + float64(i)) * step
		if v > hi+step*1e-9 {
			break
		}
		ts = append(ts, plot.Tick{Value: v, Label: tickLabel(v)})
	}
	return ts
}

func tickLabel(v float64) string {
	if math.Abs(v) < 1e-9 {
		return "0"
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return groupDigits(strconv.FormatFloat(v, 'f', 0, 64))
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// timeAxis maps scenario seconds to the unit of a chart's x axis: minutes
// for runs longer than five minutes, seconds otherwise.
type timeAxis struct {
	div   float64
	label string
}

func timeAxisFor(end float64) timeAxis {
	if end > 300 {
		return timeAxis{60, "scenario time (min)"}
	}
	return timeAxis{1, "scenario time (s)"}
}

// xy builds plot points from t (scenario seconds) and y, leaving out
// NaN and infinite values.
func (ta timeAxis) xy(t, y []float64) plotter.XYs {
	out := make(plotter.XYs, 0, len(t))
	for i := range t {
		if i >= len(y) || !finite(t[i]) || !finite(y[i]) {
			continue
		}
		out = append(out, plotter.XY{X: t[i] / ta.div, Y: y[i]})
	}
	return out
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// thin keeps at most maxPoints points: every k-th, plus the highest one,
// so that a peak is never thinned away.
func thin(pts plotter.XYs) plotter.XYs {
	if len(pts) <= maxPoints {
		return pts
	}
	k := (len(pts) + maxPoints - 1) / maxPoints
	peak := 0
	for i, p := range pts {
		if p.Y > pts[peak].Y {
			peak = i
		}
	}
	out := make(plotter.XYs, 0, maxPoints+1)
	for i, p := range pts {
		if i%k == 0 || i == peak || i == len(pts)-1 {
			out = append(out, p)
		}
	}
	return out
}

// smooth averages pts over buckets so that at most maxPoints remain: rates
// are noisy from one tick to the next.
func smooth(pts plotter.XYs) plotter.XYs {
	if len(pts) <= maxPoints {
		return pts
	}
	k := (len(pts) + maxPoints - 1) / maxPoints
	out := make(plotter.XYs, 0, maxPoints)
	for i := 0; i < len(pts); i += k {
		j := min(i+k, len(pts))
		var sx, sy float64
		for _, p := range pts[i:j] {
			sx += p.X
			sy += p.Y
		}
		n := float64(j - i)
		out = append(out, plotter.XY{X: sx / n, Y: sy / n})
	}
	return out
}

func lineStyle(c color.Color, width float64, dashed bool) draw.LineStyle {
	ls := draw.LineStyle{Color: c, Width: vg.Points(width)}
	if dashed {
		ls.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	}
	return ls
}

// addLine adds a line (nothing for no points) with a legend entry when
// name is set.
func addLine(p *plot.Plot, pts plotter.XYs, name string, ls draw.LineStyle) {
	if len(pts) == 0 {
		return
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return // no finite points
	}
	l.LineStyle = ls
	p.Add(l)
	if name != "" {
		p.Legend.Add(name, l)
	}
}

// addPoints adds a scatter of small dots.
func addPoints(p *plot.Plot, pts plotter.XYs, name string, c color.Color, radius float64) *plotter.Scatter {
	if len(pts) == 0 {
		return nil
	}
	s, err := plotter.NewScatter(pts)
	if err != nil {
		return nil
	}
	s.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(radius), Shape: draw.CircleGlyph{}}
	p.Add(s)
	if name != "" {
		p.Legend.Add(name, s)
	}
	return s
}

// floorY makes the y axis start at 0 and reach at least top, so that a
// flat zero series still gets a readable axis.
func floorY(p *plot.Plot, top float64) {
	p.Y.Min = 0
	if !(p.Y.Max*1.06 >= top) {
		p.Y.Max = top
	} else {
		p.Y.Max *= 1.06 // room above the peak
	}
}

// spanX makes a time chart cover [0, end], the same for every chart of a
// run.
func spanX(p *plot.Plot, ta timeAxis, end float64) {
	p.X.Min, p.X.Max = 0, end/ta.div
}

// column returns the named column of the run's timeseries, or nil.
func (r *Run) column(name string) []float64 {
	c, _ := r.Series.Column(name)
	return c
}

// predictedCurve returns a group's predicted backlog as times and values:
// the predicted_backlog column the run stored (what the run predicted, so
// that a later change of the model does not change an old run's report),
// or, for a folder without it, the model's curve from the stored scenario.
func (r *Run) predictedCurve(group string, end float64) (ts, ys []float64) {
	if c := r.column(group + ".predicted_backlog"); hasFinite(c) {
		return r.Series.T, c
	}
	pred, ok := r.prediction(group)
	if !ok {
		return nil, nil
	}
	ts = gridTimes(end, 600)
	for _, pc := range pred.Curve.Pieces {
		for _, t := range []float64{pc.T0, pc.T1} {
			if t > 0 && t < end {
				ts = append(ts, t)
			}
		}
	}
	sort.Float64s(ts)
	ys = make([]float64, len(ts))
	for i, t := range ts {
		ys[i] = pred.Curve.Backlog(t)
	}
	return ts, ys
}

func hasFinite(xs []float64) bool {
	for _, x := range xs {
		if finite(x) {
			return true
		}
	}
	return false
}

// predictedBacklog is predictedCurve as plot points.
func (r *Run) predictedBacklog(group string, ta timeAxis, end float64) plotter.XYs {
	ts, ys := r.predictedCurve(group, end)
	return ta.xy(ts, ys)
}

// predictedTimeLag returns the predicted age of a group's oldest
// unprocessed event, served first in, first out: with A(t) the events
// its topics receive by t (from the scenario's producer schedules) and
// B(t) the predicted backlog, the oldest unprocessed event is number
// A(t) − B(t), received at s with A(s) = A(t) − B(t), so the lag is t − s.
// The run's own per-worker prediction (the predicted_time_lag_s column)
// is used when stored, since a pooled FIFO is wrong for a group whose
// workers get uneven shares. Nil without either.
func (r *Run) predictedTimeLag(group string, ta timeAxis, end float64) plotter.XYs {
	if c := r.column(group + ".predicted_time_lag_s"); hasFinite(c) {
		return ta.xy(r.Series.T, c)
	}
	if r.Scenario == nil {
		return nil
	}
	g, ok := r.Scenario.Groups[group]
	if !ok {
		return nil
	}
	ins := r.Scenario.Inputs(g)
	arrived := func(t float64) float64 {
		var n float64
		for _, in := range ins {
			n += in.Count(t)
		}
		return n
	}
	ts, bs := r.predictedCurve(group, end)
	ys := make([]float64, len(ts))
	for i, t := range ts {
		b := bs[i]
		if !finite(b) {
			ys[i] = math.NaN()
			continue
		}
		if b < 0.5 {
			continue
		}
		head := arrived(t) - b
		lo, hi := 0.0, t
		for range 50 {
			mid := (lo + hi) / 2
			if arrived(mid) > head {
				hi = mid
			} else {
				lo = mid
			}
		}
		ys[i] = t - hi
	}
	return ta.xy(ts, ys)
}

// gridTimes returns n+1 evenly spaced times over [0, end].
func gridTimes(end float64, n int) []float64 {
	ts := make([]float64, 0, n+1)
	for i := 0; i <= n; i++ {
		ts = append(ts, end*float64(i)/float64(n))
	}
	return ts
}

// backlogChart is a group's backlog over scenario time: the prediction as
// a pale band, the observed backlog as points on it, and the offset lag
// (what an operator's lag dashboard shows) as a thin dashed line.
func (r *Run) backlogChart(group string) *plot.Plot {
	end := r.End()
	ta := timeAxisFor(end)
	p := newPlot(group+": backlog", ta.label, "events")
	addLine(p, thin(r.predictedBacklog(group, ta, end)), "predicted", lineStyle(fade(predColor, 0.45), 6, false))
	addPoints(p, thin(ta.xy(r.Series.T, r.column(group+".backlog"))), "observed", obsColor, 1.2)
	addLine(p, thin(ta.xy(r.Series.T, r.column(group+".offset_lag"))), "offset lag", lineStyle(grey, 0.8, true))
	floorY(p, 10)
	spanX(p, ta, end)
	return p
}

// timeLagChart is a group's time lag: the age of its oldest unprocessed
// event, observed and predicted. A run that stored them adds the time lag
// from the committed offsets (a lag exporter's view) and the fluid FIFO's
// beside the prediction of the workers serving their partitions; an older
// run's prediction was the FIFO's.
func (r *Run) timeLagChart(group string) *plot.Plot {
	end := r.End()
	ta := timeAxisFor(end)
	p := newPlot(group+": time lag", ta.label, "seconds (scenario)")
	if fifo := r.column(group + ".fifo_time_lag_s"); hasFinite(fifo) {
		addLine(p, thin(ta.xy(r.Series.T, fifo)), "FIFO (a lower bound)", lineStyle(fade(predColor, 0.45), 0.8, true))
		addLine(p, thin(r.predictedTimeLag(group, ta, end)), "predicted (worst phase)", lineStyle(predColor, 1.4, true))
	} else {
		addLine(p, thin(r.predictedTimeLag(group, ta, end)), "predicted (FIFO)", lineStyle(predColor, 1.4, true))
	}
	if c := r.column(group + ".commit_time_lag_s"); hasFinite(c) {
		addLine(p, thin(ta.xy(r.Series.T, c)), "from commits", lineStyle(grey, 0.8, true))
	}
	addLine(p, thin(ta.xy(r.Series.T, r.column(group+".time_lag_s"))), "observed", lineStyle(obsColor, 1.2, false))
	floorY(p, 1)
	spanX(p, ta, end)
	return p
}

// ratesChart is a group's input rate (acked on its topics), processed
// rate and effective capacity, in events per scenario second.
func (r *Run) ratesChart(group string) *plot.Plot {
	end := r.End()
	ta := timeAxisFor(end)
	p := newPlot(group+": rates", ta.label, "events/s")
	if r.Scenario != nil {
		if g, ok := r.Scenario.Groups[group]; ok {
			capy := r.Scenario.EffectiveCapacity(g)
			addLine(p, scheduleXY(ta, capy.Rate, capy.Breakpoints(), end), "capacity", lineStyle(predColor, 1.4, true))
			// Input: the acked rates of the producers on the group's topics.
			in := make([]float64, r.Series.Len())
			found := false
			for _, name := range r.Scenario.ProducerNames() {
				if !contains(g.Topics, r.Scenario.Producers[name].Topic) {
					continue
				}
				if c := r.column(name + ".acked_rate"); c != nil {
					found = true
					for i := range in {
						in[i] += c[i]
					}
				}
			}
			if found {
				addLine(p, smooth(ta.xy(r.Series.T, in)), "input (acked)", lineStyle(grey, 1, false))
			}
		}
	}
	addLine(p, smooth(ta.xy(r.Series.T, r.column(group+".processed_rate"))), "processed", lineStyle(obsColor, 1.2, false))
	floorY(p, 1)
	spanX(p, ta, end)
	return p
}

// producersChart is every producer's acked rate beside its schedule.
func (r *Run) producersChart() *plot.Plot {
	end := r.End()
	ta := timeAxisFor(end)
	p := newPlot("producers: acked rate", ta.label, "events/s")
	for i, name := range r.Producers() {
		c := palette[(i+2)%len(palette)]
		if r.Scenario != nil {
			if pr, ok := r.Scenario.Producers[name]; ok {
				s := pr.Schedule()
				addLine(p, scheduleXY(ta, s.Rate, s.Breakpoints(), end), name+" scheduled", lineStyle(c, 1.2, true))
			}
		}
		addLine(p, smooth(ta.xy(r.Series.T, r.column(name+".acked_rate"))), name+" acked", lineStyle(c, 1, false))
	}
	floorY(p, 1)
	spanX(p, ta, end)
	return p
}

// scheduleXY draws a piecewise-linear rate schedule over [0, end]
// exactly: at each breakpoint, the rate just before it and the rate from
// it on, joined by straight lines.
func scheduleXY(ta timeAxis, rate func(float64) float64, bps []float64, end float64) plotter.XYs {
	ts := []float64{0}
	for _, b := range bps {
		if b > 0 && b < end {
			ts = append(ts, b)
		}
	}
	ts = append(ts, end)
	var out plotter.XYs
	for i, t := range ts {
		if i > 0 {
			out = append(out, plotter.XY{X: t / ta.div, Y: rate(t - 1e-9*max(1, t))})
		}
		if i < len(ts)-1 {
			out = append(out, plotter.XY{X: t / ta.div, Y: rate(t)})
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// overviewChart is every group's backlog on one chart: each prediction as
// a pale band, the observations as points on it, one colour per group. It
// is backlog.png.
func (r *Run) overviewChart() *plot.Plot {
	end := r.End()
	ta := timeAxisFor(end)
	p := newPlot(fmt.Sprintf("%s: backlog per group, predicted (bands) and observed (points)", r.Summary.Scenario), ta.label, "backlog (events)")
	groups := r.Groups()
	// Draw the largest backlog last, so that groups flat at zero do not
	// hide it; keep the legend in name order.
	order := make([]int, len(groups))
	peak := make([]float64, len(groups))
	for i, g := range groups {
		order[i] = i
		peak[i] = r.Summary.Groups[g].Observed.PeakBacklog
	}
	sort.SliceStable(order, func(a, b int) bool { return peak[order[a]] < peak[order[b]] })
	thumbs := make([][]plot.Thumbnailer, len(groups))
	for _, i := range order {
		g := groups[i]
		c := palette[i%len(palette)]
		band := lineStyle(fade(c, 0.35), 4, false)
		addLine(p, thin(r.predictedBacklog(g, ta, end)), "", band)
		s := addPoints(p, thin(ta.xy(r.Series.T, r.column(g+".backlog"))), "", c, 1.1)
		if ln, err := plotter.NewLine(plotter.XYs{{}}); err == nil {
			ln.LineStyle = band
			thumbs[i] = append(thumbs[i], ln)
		}
		if s != nil {
			thumbs[i] = append(thumbs[i], s)
		}
	}
	for i, g := range groups {
		p.Legend.Add(g, thumbs[i]...)
	}
	floorY(p, 10)
	spanX(p, ta, end)
	return p
}

// Chart sizes.
var (
	wideW, wideH   = vg.Points(560), vg.Points(250)
	smallW, smallH = vg.Points(400), vg.Points(250)
	overW, overH   = vg.Points(720), vg.Points(300)
)

// svgOf renders a plot as an SVG fragment for inlining in a page: without
// the XML prolog, with a class and an accessible title.
func svgOf(p *plot.Plot, w, h vg.Length) (string, error) {
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return "", err
	}
	s := b.String()
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	title := "<title>" + htmlEscape(p.Title.Text) + "</title>\n"
	if i := strings.Index(s, ">\n"); i >= 0 {
		s = s[:i+2] + title + s[i+2:]
	}
	return s, nil
}

// pngOf renders a plot as a PNG at dpi.
func pngOf(p *plot.Plot, w, h vg.Length, dpi int) ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi))
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func htmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")
	return r.Replace(s)
}
