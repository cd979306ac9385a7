package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/backlogbench/backlogbench/results"
)

// Comparison is two or more runs side by side. Groups and producers are
// matched by name, so runs of different scenarios compare too; Notes say
// what does not match.
type Comparison struct {
	Runs []*Run
	// Labels name the runs: their folders' base names, made unique.
	Labels []string
	// Groups and Producers are the names found in any run, in order.
	Groups, Producers []string
	// Notes say what differs between the runs beyond their figures:
	// scenarios, groups or producers present in some runs only, brokers,
	// speedups, incomplete runs.
	Notes []string
}

// Compare puts runs side by side; the first is the baseline of the
// differences.
func Compare(runs ...*Run) *Comparison {
	c := &Comparison{Runs: runs, Labels: labels(runs)}
	groups, prods := map[string]bool{}, map[string]bool{}
	for _, r := range runs {
		for g := range r.Summary.Groups {
			groups[g] = true
		}
		for p := range r.Summary.Producers {
			prods[p] = true
		}
	}
	c.Groups, c.Producers = sortedKeys(groups), sortedKeys(prods)

	distinct := func(f func(r *Run) string) []string {
		var vals []string
		seen := map[string]bool{}
		for _, r := range runs {
			if v := f(r); !seen[v] {
				seen[v] = true
				vals = append(vals, v)
			}
		}
		return vals
	}
	each := func(f func(r *Run) string) string {
		parts := make([]string, len(runs))
		for i, r := range runs {
			parts[i] = c.Labels[i] + " " + f(r)
		}
		return strings.Join(parts, ", ")
	}
	if len(distinct(func(r *Run) string { return r.Summary.Scenario })) > 1 {
		c.note("scenarios differ (%s); groups and producers are compared by name", each(func(r *Run) string { return r.Summary.Scenario }))
	}
	for _, kind := range []struct {
		what  string
		names []string
		has   func(r *Run, n string) bool
	}{
		{"group", c.Groups, func(r *Run, n string) bool { _, ok := r.Summary.Groups[n]; return ok }},
		{"producer", c.Producers, func(r *Run, n string) bool { _, ok := r.Summary.Producers[n]; return ok }},
	} {
		for _, n := range kind.names {
			var in, out []string
			for i, r := range runs {
				if kind.has(r, n) {
					in = append(in, c.Labels[i])
				} else {
					out = append(out, c.Labels[i])
				}
			}
			if len(out) > 0 {
				c.note("%s %s is only in %s (not in %s)", kind.what, n, strings.Join(in, ", "), strings.Join(out, ", "))
			}
		}
	}
	if len(distinct(func(r *Run) string { return r.Summary.Broker })) > 1 {
		c.note("brokers differ (%s)", each(func(r *Run) string { return r.Summary.Broker }))
	}
	if len(distinct(func(r *Run) string { return fmtNum(r.Summary.Speedup) })) > 1 {
		c.note("speedups differ (%s); every figure is in scenario units", each(func(r *Run) string { return "×" + fmtNum(r.Summary.Speedup) }))
	}
	if len(distinct(func(r *Run) string { return fmtNum(r.Summary.Tolerance) })) > 1 {
		c.note("tolerances differ (%s); verdicts are judged at each run's own", each(func(r *Run) string { return fmtNum(r.Summary.Tolerance*100) + "%" }))
	}
	for i, r := range runs {
		if !r.Summary.Complete {
			c.note("%s is incomplete: its figures cover what was measured", c.Labels[i])
		}
		for _, p := range r.Problems {
			c.note("%s: could not read %s", c.Labels[i], p)
		}
	}
	return c
}

func (c *Comparison) note(format string, args ...any) {
	c.Notes = append(c.Notes, fmt.Sprintf(format, args...))
}

// labels names runs by their folders' base names, falling back to the
// whole path, then to a number, where two would read the same.
func labels(runs []*Run) []string {
	out := make([]string, len(runs))
	count := map[string]int{}
	for i, r := range runs {
		out[i] = r.Name()
		count[out[i]]++
	}
	for i, r := range runs {
		if count[out[i]] > 1 {
			out[i] = filepath.Clean(r.Dir)
		}
	}
	seen := map[string]int{}
	for i := range out {
		seen[out[i]]++
		if n := seen[out[i]]; n > 1 {
			out[i] = fmt.Sprintf("%s#%d", out[i], n)
		}
	}
	return out
}

// cell is one value of a figure in one run; NaN when the run lacks it.
type figureRow struct {
	section, figure string
	text            []string  // shown value per run
	num             []float64 // numeric value per run (NaN when not a number)
}

// figureRows returns every figure of every run: the runs' own details,
// each producer's counts, and each group's configuration, predicted and
// observed figures, latency, lag and delivery figures.
func (c *Comparison) figureRows() []figureRow {
	n := len(c.Runs)
	var rows []figureRow
	text := func(section, figure string, f func(r *Run) (string, bool)) {
		row := figureRow{section: section, figure: figure, text: make([]string, n), num: make([]float64, n)}
		for i, r := range c.Runs {
			row.num[i] = math.NaN()
			if s, ok := f(r); ok {
				row.text[i] = s
			} else {
				row.text[i] = "—"
			}
		}
		rows = append(rows, row)
	}
	num := func(section, figure string, f func(r *Run) (float64, bool)) {
		row := figureRow{section: section, figure: figure, text: make([]string, n), num: make([]float64, n)}
		for i, r := range c.Runs {
			row.num[i] = math.NaN()
			row.text[i] = "—"
			if v, ok := f(r); ok {
				row.num[i], row.text[i] = v, fmtNum(v)
			}
		}
		rows = append(rows, row)
	}
	text("run", "scenario", func(r *Run) (string, bool) { return r.Summary.Scenario, true })
	text("run", "broker", func(r *Run) (string, bool) { return r.Summary.Broker, true })
	num("run", "speedup", func(r *Run) (float64, bool) { return r.Summary.Speedup, true })
	text("run", "verdict", func(r *Run) (string, bool) { return status(&r.Summary), true })
	num("run", "wall_s", func(r *Run) (float64, bool) { return math.Round(r.Summary.WallS*10) / 10, true })
	for _, p := range c.Producers {
		prod := func(f func(results.ProducerSummary) int64) func(r *Run) (float64, bool) {
			return func(r *Run) (float64, bool) {
				ps, ok := r.Summary.Producers[p]
				return float64(f(ps)), ok
			}
		}
		num("producer "+p, "target_events", prod(func(s results.ProducerSummary) int64 { return s.TargetEvents }))
		num("producer "+p, "acked", prod(func(s results.ProducerSummary) int64 { return s.Acked }))
		num("producer "+p, "failed", prod(func(s results.ProducerSummary) int64 { return s.Failed }))
	}
	for _, g := range c.Groups {
		grp := func(f func(gs results.GroupSummary) (float64, bool)) func(r *Run) (float64, bool) {
			return func(r *Run) (float64, bool) {
				gs, ok := r.Summary.Groups[g]
				if !ok {
					return 0, false
				}
				return f(gs)
			}
		}
		always := func(f func(gs results.GroupSummary) float64) func(r *Run) (float64, bool) {
			return grp(func(gs results.GroupSummary) (float64, bool) { return f(gs), true })
		}
		num(g, "workers", always(func(gs results.GroupSummary) float64 { return float64(gs.Workers) }))
		num(g, "active_workers", always(func(gs results.GroupSummary) float64 { return float64(gs.ActiveWorkers) }))
		num(g, "capacity", func(r *Run) (float64, bool) {
			if r.Scenario == nil {
				return 0, false
			}
			sg, ok := r.Scenario.Groups[g]
			if !ok || len(sg.Phases) > 0 {
				return 0, false
			}
			return sg.Capacity, true
		})
		for _, side := range []string{"predicted", "observed"} {
			for _, m := range figureNames {
				num(g, side+"."+m, grp(func(gs results.GroupSummary) (float64, bool) {
					if side == "observed" {
						o := gs.Observed
						return figure(m, o.Events, o.PeakBacklog, o.PeakAtS, o.GrowthRate, o.DrainedAtS), true
					}
					p := gs.Predicted
					return figure(m, p.Events, p.PeakBacklog, p.PeakAtS, p.GrowthRate, p.DrainedAtS), true
				}))
			}
		}
		num(g, "latency_ms.p50", always(func(gs results.GroupSummary) float64 { return gs.Observed.LatencyMs.P50 }))
		num(g, "latency_ms.p99", always(func(gs results.GroupSummary) float64 { return gs.Observed.LatencyMs.P99 }))
		num(g, "latency_ms.max", always(func(gs results.GroupSummary) float64 { return gs.Observed.LatencyMs.Max }))
		// From the lossless histograms (<group>.hdr), where the runs stored
		// them: percentiles re-computed, not read back from printed tables.
		if c.haveHistograms(g) {
			for _, q := range []float64{99.9, 99.99} {
				num(g, fmt.Sprintf("latency_ms.p%g (hdr)", q), func(r *Run) (float64, bool) {
					h, ok := r.Histograms[g]
					if !ok {
						return 0, false
					}
					return float64(h.ValueAtQuantile(q)) / 1000, true
				})
			}
		}
		num(g, "max_offset_lag", always(func(gs results.GroupSummary) float64 { return float64(gs.Observed.MaxOffsetLag) }))
		num(g, "max_time_lag_s", always(func(gs results.GroupSummary) float64 { return gs.Observed.MaxTimeLagS }))
		// Delivery figures: the union of every run's, by key.
		var keys []string
		seen := map[string]bool{}
		for _, r := range c.Runs {
			for _, d := range r.Delivery(g) {
				for _, side := range []string{"predicted", "observed"} {
					k := side + "." + d.Key
					if !seen[k] && ((side == "predicted" && d.Predicted != nil) || (side == "observed" && d.Observed != nil)) {
						seen[k] = true
						keys = append(keys, k)
					}
				}
			}
		}
		for _, k := range keys {
			side, key, _ := strings.Cut(k, ".")
			num(g, k, func(r *Run) (float64, bool) {
				for _, d := range r.Delivery(g) {
					if d.Key != key {
						continue
					}
					p := d.Observed
					if side == "predicted" {
						p = d.Predicted
					}
					if p != nil {
						return *p, true
					}
				}
				return 0, false
			})
		}
		text(g, "verdict", func(r *Run) (string, bool) {
			gs, ok := r.Summary.Groups[g]
			if !ok {
				return "", false
			}
			return groupStatus(gs), true
		})
	}
	return rows
}

var figureNames = []string{"events", "peak_backlog", "peak_at_s", "growth_rate", "drained_at_s"}

// figure picks one headline figure; a nil drain is +Inf (never).
func figure(m string, events, peak, peakAt, growth float64, drained *float64) float64 {
	switch m {
	case "events":
		return events
	case "peak_backlog":
		return peak
	case "peak_at_s":
		return peakAt
	case "growth_rate":
		return growth
	case "drained_at_s":
		if drained == nil {
			return math.Inf(1)
		}
		return *drained
	}
	return math.NaN()
}

// Table returns the comparison as rows: a header (group, figure, then per
// run its value and, after the first, the difference from the first),
// then one row per figure. A difference is "=" when the values read the
// same, "—" when a run lacks the figure, "≠" when non-numeric values
// differ.
func (c *Comparison) Table() [][]string {
	head := []string{"group", "figure"}
	for i, l := range c.Labels {
		head = append(head, l)
		if i > 0 {
			head = append(head, "Δ "+l)
		}
	}
	out := [][]string{head}
	for _, fr := range c.figureRows() {
		row := []string{fr.section, fr.figure}
		for i := range c.Runs {
			row = append(row, fr.text[i])
			if i > 0 {
				var d string
				switch {
				case fr.text[0] == "—" || fr.text[i] == "—":
					d = "—" // a run lacks the figure
				case fr.text[0] == fr.text[i]:
					d = "=" // equal as shown
				case math.IsNaN(fr.num[0]) || math.IsNaN(fr.num[i]):
					d = "≠" // text that differs
				default:
					d = fmtDelta(fr.num[0], fr.num[i])
				}
				row = append(row, d)
			}
		}
		out = append(out, row)
	}
	return out
}

// WriteText writes the comparison as an aligned text table, then the
// notes.
func (c *Comparison) WriteText(w io.Writer) {
	rows := c.Table()
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, cell := range r {
			widths[i] = max(widths[i], len([]rune(cell)))
		}
	}
	prev := ""
	for k, r := range rows {
		var b strings.Builder
		for i, cell := range r {
			if i == 0 && k > 0 && cell == prev {
				cell = "" // the section once per block
			}
			pad := strings.Repeat(" ", widths[i]-len([]rune(cell)))
			if i >= 2 {
				b.WriteString(pad + cell)
			} else {
				b.WriteString(cell + pad)
			}
			if i < len(r)-1 {
				b.WriteString("  ")
			}
		}
		if k > 0 {
			prev = r[0]
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	for _, n := range c.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}

// overlayChart overlays one group's backlog from every run: each run's
// observation as points and its prediction as a line, one colour per run.
func (c *Comparison) overlayChart(group string) *plot.Plot {
	end := 0.0
	for _, r := range c.Runs {
		end = max(end, r.End())
	}
	ta := timeAxisFor(end)
	p := newPlot(group+": backlog", ta.label, "events")
	for i, r := range c.Runs {
		if _, ok := r.Summary.Groups[group]; !ok {
			continue
		}
		col := palette[i%len(palette)]
		band := lineStyle(fade(col, 0.35), 4, false)
		addLine(p, thin(r.predictedBacklog(group, ta, r.End())), "", band)
		s := addPoints(p, thin(ta.xy(r.Series.T, r.column(group+".backlog"))), "", col, 1.1)
		var thumbs []plot.Thumbnailer
		if ln, err := plotter.NewLine(plotter.XYs{{}}); err == nil {
			ln.LineStyle = band
			thumbs = append(thumbs, ln)
		}
		if s != nil {
			thumbs = append(thumbs, s)
		}
		p.Legend.Add(c.Labels[i], thumbs...)
	}
	floorY(p, 10)
	spanX(p, ta, end)
	return p
}

// PNG renders compare.png: one overlay chart per group, two to a row.
func (c *Comparison) PNG() ([]byte, error) {
	n := len(c.Groups)
	if n == 0 {
		return pngOf(newPlot("no groups", "", ""), smallW, smallH, pngDPI)
	}
	cols := min(2, n)
	rows := (n + cols - 1) / cols
	w, h := vg.Length(cols)*smallW, vg.Length(rows)*smallH
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(pngDPI))
	dc := draw.New(img)
	plots := make([][]*plot.Plot, rows)
	for j := range plots {
		plots[j] = make([]*plot.Plot, cols)
		for i := range plots[j] {
			if k := j*cols + i; k < n {
				plots[j][i] = c.overlayChart(c.Groups[k])
			}
		}
	}
	t := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(12), PadY: vg.Points(12), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	canvases := plot.Align(plots, t, dc)
	for j := range plots {
		for i, p := range plots[j] {
			if p != nil {
				p.Draw(canvases[j][i])
			}
		}
	}
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

type compareView struct {
	Title  string
	Runs   [][]string
	Head   []string
	Rows   [][]string
	Charts []template.HTML
	Notes  []string
}

// WriteHTML writes compare.html: the runs, the notes, the backlog curves
// overlaid per group and the table of every figure. Like report.html it is
// self-contained.
func (c *Comparison) WriteHTML(w io.Writer) error {
	v := compareView{Title: "backlogbench: " + strings.Join(c.Labels, " vs "), Notes: c.Notes}
	for i, r := range c.Runs {
		v.Runs = append(v.Runs, []string{c.Labels[i], r.Summary.Scenario, r.Summary.Broker, "×" + fmtNum(r.Summary.Speedup), status(&r.Summary), filepath.ToSlash(r.Dir)})
	}
	for _, g := range c.Groups {
		s, err := svgOf(c.overlayChart(g), wideW, wideH)
		if err != nil {
			return err
		}
		v.Charts = append(v.Charts, template.HTML(s))
	}
	t := c.Table()
	v.Head, v.Rows = t[0], t[1:]
	return compareTmpl.Execute(w, v)
}

// CompareFiles are the files RenderCompare writes.
var CompareFiles = []string{"compare.html", "compare.png"}

// RenderCompare loads the run folders dirs, compares them, and writes
// compare.html and compare.png into out (created if need be). It returns
// the comparison and the paths written.
func RenderCompare(out string, dirs ...string) (*Comparison, []string, error) {
	runs := make([]*Run, len(dirs))
	for i, d := range dirs {
		r, err := Load(d)
		if err != nil {
			return nil, nil, err
		}
		runs[i] = r
	}
	c := Compare(runs...)
	var page bytes.Buffer
	if err := c.WriteHTML(&page); err != nil {
		return c, nil, fmt.Errorf("compare.html: %w", err)
	}
	png, err := c.PNG()
	if err != nil {
		return c, nil, fmt.Errorf("compare.png: %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return c, nil, err
	}
	var written []string
	for name, data := range map[string][]byte{"compare.html": page.Bytes(), "compare.png": png} {
		path := filepath.Join(out, name)
		if err := results.WriteFile(path, data); err != nil {
			return c, written, err
		}
	}
	for _, name := range CompareFiles {
		written = append(written, filepath.Join(out, name))
	}
	return c, written, nil
}

var compareTmpl = template.Must(template.New("compare.html").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>` + css + `
table.compare td:nth-child(2) { text-align: left; }
.charts.two { grid-template-columns: 1fr 1fr; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<table class="runs">
<tr><th>run</th><th>scenario</th><th>broker</th><th>speedup</th><th>verdict</th><th>folder</th></tr>
{{range .Runs}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
{{if .Notes}}<ul>{{range .Notes}}<li class="note">{{.}}</li>{{end}}</ul>{{end}}
<h2>Backlog, overlaid: observed (points) and predicted (bands)</h2>
<div class="charts two">
{{range .Charts}}<figure class="chart" data-chart="overlay">{{.}}</figure>
{{end}}</div>
<h2>Every figure</h2>
<table class="compare">
<tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
<footer>Rendered by backlogbench compare from the runs' stored files. Δ is each run minus the first. All figures in scenario units.</footer>
</body>
</html>
`))

// haveHistograms reports whether any run stored the group's lossless
// latency histogram.
func (c *Comparison) haveHistograms(group string) bool {
	for _, r := range c.Runs {
		if _, ok := r.Histograms[group]; ok {
			return true
		}
	}
	return false
}
