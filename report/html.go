package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"path/filepath"
	"regexp"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/backlogbench/backlogbench/results"
)

// Files are the report files Render writes into a run folder.
var Files = []string{"report.md", "report.html", "backlog.png"}

// pngDPI is backlog.png's resolution: 720×300 pt at 144 dpi is
// 1440×600 pixels, sharp on high-density screens.
const pngDPI = 144

// Render re-renders every report file of the run folder dir (report.md,
// report.html, backlog.png) from its stored data, and returns the paths
// written. It needs no broker, and the same data always gives the same
// bytes.
func Render(dir string) ([]string, error) {
	r, err := Load(dir)
	if err != nil {
		return nil, err
	}
	files, err := r.Reports()
	if err != nil {
		return nil, err
	}
	var written []string
	for _, name := range Files {
		path := filepath.Join(dir, name)
		if err := results.WriteFile(path, files[name]); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}

// Reports returns the contents of every report file by name (see Files).
func (r *Run) Reports() (map[string][]byte, error) {
	var md bytes.Buffer
	RenderMarkdown(&md, &r.Summary)
	var page bytes.Buffer
	if err := r.WriteHTML(&page); err != nil {
		return nil, fmt.Errorf("report.html: %w", err)
	}
	png, err := r.BacklogPNG()
	if err != nil {
		return nil, fmt.Errorf("backlog.png: %w", err)
	}
	return map[string][]byte{"report.md": md.Bytes(), "report.html": page.Bytes(), "backlog.png": png}, nil
}

// BacklogPNG renders backlog.png: every group's backlog, predicted and
// observed, on one chart.
func (r *Run) BacklogPNG() ([]byte, error) {
	return pngOf(r.overviewChart(), overW, overH, pngDPI)
}

type pageView struct {
	Title     string
	Heading   string
	Subtitle  string
	Verdict   string
	Status    string // pass | fail | incomplete
	Meta      [][2]string
	Overview  template.HTML
	Producers template.HTML
	ProdRows  [][]string
	Groups    []groupView
	Notes     []string
	Problems  []string
	Scenario  string
}

type groupView struct {
	Name, ID, Status, Facts  string
	Backlog, TimeLag         template.HTML
	Rates, Latency           template.HTML
	Figures, Lag, Delivery   [][]string
	FigureHead, DeliveryHead []string
	LagHead                  []string
	NoLatency                bool
}

// WriteHTML writes report.html: a self-contained page (inline CSS and SVG,
// no script, nothing fetched) with, per group, the backlog chart
// (predicted line, observed points, offset lag), the time lag, the rates,
// the latency distribution, the predicted-versus-observed table with
// verdicts and the delivery figures; then the resolved scenario.
func (r *Run) WriteHTML(w io.Writer) error {
	s := &r.Summary
	v := pageView{
		Title:    "backlogbench: " + s.Scenario,
		Heading:  "backlogbench: " + s.Scenario,
		Verdict:  Verdict(s),
		Status:   status(s),
		Notes:    s.Notes,
		Problems: r.Problems,
		Scenario: string(r.ScenarioYAML),
	}
	if r.Scenario != nil {
		v.Subtitle = r.Scenario.Description
	}
	v.Meta = [][2]string{
		{"broker", s.Broker},
		{"speedup", "×" + fmtNum(s.Speedup) + " (figures in scenario units)"},
		{"tolerance", fmtNum(s.Tolerance*100) + "%"},
		{"complete", fmt.Sprint(s.Complete)},
		{"scenario time", fmtSeconds(r.lastT())},
		{"wall time", fmtSeconds(s.WallS)},
		{"samples", fmtNum(float64(r.Series.Len()))},
	}
	var err error
	svg := func(p *plot.Plot, w, h vg.Length) template.HTML {
		if err != nil {
			return ""
		}
		var out string
		out, err = svgOf(p, w, h)
		return template.HTML(out)
	}
	v.Overview = svg(r.overviewChart(), overW, overH)
	v.Producers = svg(r.producersChart(), wideW, smallH)
	for _, name := range r.Producers() {
		p := s.Producers[name]
		v.ProdRows = append(v.ProdRows, []string{name, fmtNum(float64(p.TargetEvents)), fmtNum(float64(p.Acked)), fmtNum(float64(p.Failed))})
	}
	rows := Rows(s)
	for _, g := range r.Groups() {
		gs := s.Groups[g]
		gv := groupView{Name: g, ID: "group-" + slug(g), Status: groupStatus(gs), Facts: r.facts(g)}
		gv.Backlog = svg(r.backlogChart(g), wideW, wideH)
		gv.TimeLag = svg(r.timeLagChart(g), smallW, wideH)
		gv.Rates = svg(r.ratesChart(g), wideW, smallH)
		if len(r.Latency[g]) > 0 {
			gv.Latency = svg(r.latencyChart(g), smallW, smallH)
		} else {
			gv.NoLatency = true
		}
		gv.FigureHead = rows[0][1:]
		for _, row := range rows[1:] {
			if row[0] == g {
				gv.Figures = append(gv.Figures, row[1:])
			}
		}
		o := gs.Observed
		gv.LagHead = []string{"p50 ms", "p99 ms", "max ms", "max offset lag", "max time lag s"}
		gv.Lag = [][]string{{fmtNum(o.LatencyMs.P50), fmtNum(o.LatencyMs.P99), fmtNum(o.LatencyMs.Max), fmtNum(float64(o.MaxOffsetLag)), fmtNum(o.MaxTimeLagS)}}
		gv.DeliveryHead = []string{"figure", "predicted", "observed", "verdict"}
		for _, d := range r.Delivery(g) {
			want := fmtPtr(d.Predicted)
			if d.AtMost {
				want = "≤ " + want
			}
			gv.Delivery = append(gv.Delivery, []string{d.Key, want, fmtPtr(d.Observed), d.Verdict})
		}
		v.Groups = append(v.Groups, gv)
	}
	if err != nil {
		return err
	}
	return pageTmpl.Execute(w, v)
}

// lastT returns the scenario time of the last sample.
func (r *Run) lastT() float64 {
	if n := len(r.Series.T); n > 0 {
		return r.Series.T[n-1]
	}
	return 0
}

// facts describes a group in one line: workers, capacity, topics.
func (r *Run) facts(group string) string {
	gs := r.Summary.Groups[group]
	f := fmt.Sprintf("%d workers (%d active)", gs.Workers, gs.ActiveWorkers)
	if r.Scenario != nil {
		if g, ok := r.Scenario.Groups[group]; ok {
			if len(g.Phases) > 0 {
				f += ", capacity in phases"
			} else {
				f += ", capacity " + fmtNum(g.Capacity) + "/s"
			}
			f += ", reads " + strings.Join(g.Topics, ", ")
		}
	}
	return f
}

func status(s *results.Summary) string {
	switch {
	case s.Passed:
		return "pass"
	case !s.Complete:
		return "incomplete"
	}
	return "fail"
}

func groupStatus(g results.GroupSummary) string {
	for _, v := range sortedKeys(g.Verdicts) {
		if g.Verdicts[v] != results.Pass {
			return "fail"
		}
	}
	return "pass"
}

var slugRE = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

func slug(s string) string { return slugRE.ReplaceAllString(s, "-") }

// css is the pages' stylesheet. Chart text uses Liberation Sans or a
// metric-compatible face, whatever the browser has.
const css = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif; color: #222; margin: 0 auto; max-width: 1200px; padding: 16px 24px 48px; background: #fff; }
h1 { font-size: 24px; margin: 8px 0 2px; }
h2 { font-size: 19px; margin: 32px 0 6px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
p.sub { color: #555; margin: 0 0 10px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; vertical-align: middle; color: #fff; }
.badge.pass { background: #2e7d32; } .badge.fail { background: #c62828; } .badge.incomplete { background: #ef6c00; }
dl.meta { display: flex; flex-wrap: wrap; gap: 4px 22px; margin: 10px 0; }
dl.meta div { display: flex; gap: 6px; } dl.meta dt { color: #666; } dl.meta dd { margin: 0; font-weight: 500; }
nav a { margin-right: 14px; }
.charts { display: grid; grid-template-columns: 7fr 5fr; gap: 8px 16px; align-items: start; }
figure.chart { margin: 0; min-width: 0; }
figure.chart svg { width: 100%; height: auto; display: block; }
figure.chart svg text { font-family: "Liberation Sans", Arial, Helvetica, sans-serif !important; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 9px; text-align: right; }
th { background: #f5f5f5; font-weight: 600; }
td:first-child, th:first-child { text-align: left; }
td.pass { color: #2e7d32; font-weight: 600; } td.fail { color: #c62828; font-weight: 600; }
.tables { display: flex; flex-wrap: wrap; gap: 0 28px; align-items: flex-start; }
pre { background: #f7f7f7; border: 1px solid #e3e3e3; padding: 10px 12px; overflow-x: auto; font-size: 12.5px; }
.note { color: #8a4b00; }
footer { margin-top: 36px; color: #777; font-size: 12px; }
@media (max-width: 900px) { .charts { grid-template-columns: 1fr; } }
`

var funcs = template.FuncMap{
	"verdictClass": func(col int, row []string) string {
		if col == len(row)-1 && (row[col] == results.Pass || row[col] == results.Fail) {
			return row[col]
		}
		return ""
	},
}

var pageTmpl = template.Must(template.New("report.html").Funcs(funcs).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>` + css + `</style>
</head>
<body>
<header>
<h1>{{.Heading}} <span class="badge {{.Status}}">{{.Status}}</span></h1>
{{if .Subtitle}}<p class="sub">{{.Subtitle}}</p>{{end}}
<p><strong>{{.Verdict}}</strong></p>
<dl class="meta">{{range .Meta}}<div><dt>{{index . 0}}</dt><dd>{{index . 1}}</dd></div>{{end}}</dl>
<nav>{{range .Groups}}<a href="#{{.ID}}">{{.Name}}</a>{{end}}<a href="#producers">producers</a><a href="#scenario">scenario</a></nav>
</header>
<main>
<section id="overview">
<h2>Backlog, every group</h2>
<figure class="chart" data-chart="overview">{{.Overview}}</figure>
</section>
{{range .Groups}}
<section class="group" id="{{.ID}}" data-group="{{.Name}}">
<h2>{{.Name}} <span class="badge {{.Status}}">{{.Status}}</span></h2>
<p class="sub">{{.Facts}}</p>
<div class="charts">
<figure class="chart" data-chart="backlog" data-group="{{.Name}}">{{.Backlog}}</figure>
<figure class="chart" data-chart="time-lag" data-group="{{.Name}}">{{.TimeLag}}</figure>
<figure class="chart" data-chart="rates" data-group="{{.Name}}">{{.Rates}}</figure>
{{if .NoLatency}}<p>No latency recorded.</p>{{else}}<figure class="chart" data-chart="latency" data-group="{{.Name}}">{{.Latency}}</figure>{{end}}
</div>
<div class="tables">
<div>
<h3>Predicted versus observed</h3>
<table class="figures">
<tr>{{range .FigureHead}}<th>{{.}}</th>{{end}}</tr>
{{range .Figures}}{{$row := .}}<tr>{{range $i, $c := .}}<td class="{{verdictClass $i $row}}">{{$c}}</td>{{end}}</tr>
{{end}}</table>
</div>
<div>
<h3>Latency and lag</h3>
<table class="lag">
<tr>{{range .LagHead}}<th>{{.}}</th>{{end}}</tr>
{{range .Lag}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}
</table>
</div>
{{if .Delivery}}<div>
<h3>Delivery</h3>
<table class="delivery">
<tr>{{range .DeliveryHead}}<th>{{.}}</th>{{end}}</tr>
{{range .Delivery}}{{$row := .}}<tr>{{range $i, $c := .}}<td class="{{verdictClass $i $row}}">{{$c}}</td>{{end}}</tr>
{{end}}</table>
</div>{{end}}
</div>
</section>
{{end}}
<section id="producers">
<h2>Producers</h2>
<div class="charts">
<figure class="chart" data-chart="producers">{{.Producers}}</figure>
<div>
<table>
<tr><th>producer</th><th>target events</th><th>acked</th><th>failed</th></tr>
{{range .ProdRows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
</div>
</div>
</section>
{{if or .Notes .Problems}}<section id="notes">
<h2>Notes</h2>
<ul>{{range .Notes}}<li>{{.}}</li>{{end}}{{range .Problems}}<li class="note">could not read {{.}}</li>{{end}}</ul>
</section>{{end}}
<section id="scenario">
<h2>Scenario</h2>
<pre>{{.Scenario}}</pre>
</section>
</main>
<footer>Rendered by backlogbench from the files of this run folder (summary.json, timeseries.csv, *.hgrm, scenario.yaml); <code>backlogbench report DIR</code> renders it again. All figures in scenario units.</footer>
</body>
</html>
`))
