package watch

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"image/color"
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

	"github.com/backlogbench/backlogbench/report"
	"github.com/backlogbench/backlogbench/results"
)

// OutDir writes a watch's folder: samples.jsonl, one report a line as it
// comes, and at Close report.html, rendered from those reports alone.
type OutDir struct {
	dir     string
	f       *os.File
	w       *bufio.Writer
	reports []Report
	err     error
}

// NewOutDir creates dir (and its parents) and samples.jsonl in it.
func NewOutDir(dir string) (*OutDir, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(dir, "samples.jsonl"))
	if err != nil {
		return nil, err
	}
	return &OutDir{dir: dir, f: f, w: bufio.NewWriter(f)}, nil
}

// Observe appends a report to samples.jsonl (flushed at once, so an
// interrupted watch keeps every line). The page is rendered from the
// reports as stored, read back, so that it is the same page RenderHTML
// makes of samples.jsonl later.
func (o *OutDir) Observe(r Report) {
	b, err := json.Marshal(r)
	if err == nil {
		var stored Report
		if err = json.Unmarshal(b, &stored); err == nil {
			o.reports = append(o.reports, stored)
		}
	}
	if o.err == nil {
		o.err = err
	}
	if o.err == nil {
		_, o.err = o.w.Write(append(b, '\n'))
	}
	if o.err == nil {
		o.err = o.w.Flush()
	}
}

// Close finishes samples.jsonl and writes report.html.
func (o *OutDir) Close() error {
	err := o.err
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	page, herr := RenderHTML(o.reports)
	if herr == nil {
		herr = results.WriteFile(filepath.Join(o.dir, "report.html"), page)
	}
	return errors.Join(err, herr)
}

// ReadSamples reads the reports of a samples.jsonl.
func ReadSamples(r io.Reader) ([]Report, error) {
	var out []Report
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 256<<20)
	for n := 1; sc.Scan(); n++ {
		var rep Report
		if err := json.Unmarshal(sc.Bytes(), &rep); err != nil {
			return out, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, rep)
	}
	return out, sc.Err()
}

// RenderHTML renders the reports of a watch as a self-contained page: per
// group its last state, and a chart (an inline PNG) of the observed lag
// with the forecasts made along the way.
func RenderHTML(reports []Report) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`<!doctype html><html><head><meta charset="utf-8"><title>backlogbench watch</title>
<style>body{font-family:"Liberation Sans",Arial,Helvetica,sans-serif;margin:2em;max-width:70em}
table{border-collapse:collapse}td,th{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:left}
td.n{text-align:right}.note{color:#666}img{max-width:100%}</style></head><body>
<h1>backlogbench watch</h1>
`)
	if len(reports) == 0 {
		b.WriteString("<p>No sample was taken.</p></body></html>\n")
		return b.Bytes(), nil
	}
	first, last := reports[0], reports[len(reports)-1]
	fmt.Fprintf(&b, "<p>%d samples from %s to %s (%s).</p>\n", len(reports),
		html.EscapeString(first.Time.Format("2006-01-02 15:04:05")), html.EscapeString(last.Time.Format("15:04:05")),
		fmtDur(float64(last.T)-float64(first.T)))
	groups := groupNames(reports)
	b.WriteString("<table><tr><th>group</th><th>state</th><th>lag</th><th>time lag</th><th>input</th><th>processing</th><th>forecast</th></tr>\n")
	for _, g := range groups {
		gr, ok := lastOf(reports, g)
		if !ok {
			continue
		}
		lag, fc := "—", ""
		if gr.Lag != nil {
			lag = fmtCount(float64(*gr.Lag))
		}
		if l := tableLine(gr); strings.Contains(l, "  ") {
			fc = l[strings.LastIndex(l, "  ")+2:]
		}
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td class=n>%s</td><td class=n>%s</td><td class=n>%s</td><td class=n>%s</td><td>%s</td></tr>\n",
			html.EscapeString(g), gr.State, lag, fmtDur(float64(gr.TimeLag)),
			html.EscapeString(fmtRate(gr.InputRate, gr.InputLow, gr.InputHigh, false)),
			html.EscapeString(fmtRate(gr.ProcRate, gr.ProcLow, gr.ProcHigh, gr.ProcAtLeast)), html.EscapeString(fc))
	}
	b.WriteString("</table>\n")
	for _, g := range groups {
		png, err := chartPNG(reports, g)
		if err != nil {
			return nil, fmt.Errorf("chart of %s: %w", g, err)
		}
		fmt.Fprintf(&b, "<h2>%s</h2>\n<img alt=\"lag of %s, observed and forecast\" src=\"data:image/png;base64,%s\">\n",
			html.EscapeString(g), html.EscapeString(g), base64.StdEncoding.EncodeToString(png))
		if gr, ok := lastOf(reports, g); ok && len(gr.Notes) > 0 {
			b.WriteString("<ul class=note>")
			for _, n := range gr.Notes {
				fmt.Fprintf(&b, "<li>%s</li>", html.EscapeString(n))
			}
			b.WriteString("</ul>\n")
		}
	}
	b.WriteString(`<p class=note>The thick line is the observed offset lag; each thin line is the forecast made at one sample
(the fluid model from the backlog measured then), drawn from where it was made.</p></body></html>
`)
	return b.Bytes(), nil
}

func groupNames(reports []Report) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range reports {
		for _, g := range r.Groups {
			if !seen[g.Group] {
				seen[g.Group] = true
				out = append(out, g.Group)
			}
		}
	}
	return out
}

func lastOf(reports []Report, group string) (GroupReport, bool) {
	for i := len(reports) - 1; i >= 0; i-- {
		for _, g := range reports[i].Groups {
			if g.Group == group {
				return g, true
			}
		}
	}
	return GroupReport{}, false
}

// maxForecastLines bounds the forecasts a chart draws.
const maxForecastLines = 40

// chartPNG draws a group's observed lag and the forecasts made over time.
func chartPNG(reports []Report, group string) ([]byte, error) {
	p := plot.New()
	p.Title.Text = group + ": lag, observed and forecast"
	p.X.Label.Text = "time since the watch started (s)"
	p.Y.Label.Text = "events"
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = color.Gray{0xe6}, color.Gray{0xe6}
	p.Add(grid)
	var obs plotter.XYs
	type fc struct {
		t    float64
		path [][2]Num
	}
	var fcs []fc
	for _, r := range reports {
		for _, g := range r.Groups {
			if g.Group != group || g.Lag == nil {
				continue
			}
			obs = append(obs, plotter.XY{X: float64(r.T), Y: float64(*g.Lag)})
			if g.Forecast != nil && len(g.Forecast.Path) > 1 {
				fcs = append(fcs, fc{float64(r.T), g.Forecast.Path})
			}
		}
	}
	end, top := 1.0, 1.0
	for _, o := range obs {
		end, top = max(end, o.X), max(top, o.Y)
	}
	t0 := 0.0
	if len(obs) > 0 {
		t0 = obs[0].X
	}
	xMax := end + 0.25*(end-t0) + 1
	forecast := color.NRGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0x70}
	step := max(1, (len(fcs)+maxForecastLines-1)/maxForecastLines)
	for i := 0; i < len(fcs); i += step {
		var pts plotter.XYs
		for _, q := range fcs[i].path {
			x, y := fcs[i].t+float64(q[0]), float64(q[1])
			if math.IsNaN(x) || math.IsNaN(y) {
				continue
			}
			if x > xMax { // cut at the chart's edge, on the line
				if n := len(pts); n > 0 && x > pts[n-1].X {
					prev := pts[n-1]
					y = prev.Y + (y-prev.Y)*(xMax-prev.X)/(x-prev.X)
				}
				x = xMax
			}
			pts = append(pts, plotter.XY{X: x, Y: y})
			if x >= xMax {
				break
			}
		}
		if len(pts) < 2 {
			continue
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			continue
		}
		l.LineStyle = draw.LineStyle{Color: forecast, Width: vg.Points(0.7)}
		p.Add(l)
		if i == 0 {
			p.Legend.Add("forecast at a sample", l)
		}
	}
	if len(obs) > 0 {
		l, err := plotter.NewLine(obs)
		if err == nil {
			l.LineStyle = draw.LineStyle{Color: color.NRGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}, Width: vg.Points(2)}
			p.Add(l)
			p.Legend.Add("observed lag", l)
		}
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.X.Tick.Marker, p.Y.Tick.Marker = report.NiceTicks(10), report.NiceTicks(6)
	p.X.Min, p.X.Max = t0, xMax
	p.Y.Min, p.Y.Max = 0, top*1.5
	c := vgimg.NewWith(vgimg.UseWH(8*vg.Inch, 3.5*vg.Inch), vgimg.UseDPI(96))
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
