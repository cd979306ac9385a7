package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden report files in testdata/mini-3w")

// dataFiles are the stored results of a run folder, from which every
// report is derived.
func dataFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		n := e.Name()
		if n == "summary.json" || n == "timeseries.csv" || n == "scenario.yaml" || strings.HasSuffix(n, ".hgrm") {
			out = append(out, n)
		}
	}
	return out
}

// copyRun copies a fixture run's stored data (not its reports) into a
// temporary folder.
func copyRun(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range dataFiles(t, src) {
		b, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestGolden renders the fixture run's reports from its stored data alone
// and compares them byte for byte with the committed ones. After an
// intended change to a report, run `go test ./report -run Golden -update`.
func TestGolden(t *testing.T) {
	const fixture = "testdata/mini-3w"
	dir := copyRun(t, fixture)
	written, err := Render(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != len(Files) {
		t.Fatalf("wrote %v, want %v", written, Files)
	}
	for _, name := range Files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join(fixture, name)
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (%d bytes, want %d): %s; if the change is intended, run go test ./report -run Golden -update",
				name, golden, len(got), len(want), firstDiff(got, want))
		}
	}
}

func firstDiff(a, b []byte) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			lo, hi := max(0, i-40), min(len(a), i+40)
			return fmt.Sprintf("first difference at byte %d, near %q", i, a[lo:hi])
		}
	}
	return "one is a prefix of the other"
}

// TestRenderDeterministic renders the same data twice, through separate
// loads, and gets the same bytes.
func TestRenderDeterministic(t *testing.T) {
	var prev map[string][]byte
	for range 2 {
		r, err := Load("testdata/mini-4w")
		if err != nil {
			t.Fatal(err)
		}
		files, err := r.Reports()
		if err != nil {
			t.Fatal(err)
		}
		if prev != nil {
			for n, b := range files {
				if !bytes.Equal(b, prev[n]) {
					t.Errorf("%s: two renderings differ", n)
				}
			}
		}
		prev = files
	}
}

// TestHTMLSelfContained checks that report.html has every chart of every
// group and fetches nothing: no script or stylesheet links, no remote
// URLs (SVG namespace declarations aside), no timestamps.
func TestHTMLSelfContained(t *testing.T) {
	r, err := Load("testdata/mini-3w")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, g := range []string{"analytics", "email"} {
		for _, c := range []string{"backlog", "time-lag", "rates", "latency"} {
			want := `data-chart="` + c + `" data-group="` + g + `"><svg`
			if !strings.Contains(page, want) {
				t.Errorf("no %s chart for %s (%q)", c, g, want)
			}
		}
	}
	for _, s := range []string{`data-chart="overview"><svg`, `data-chart="producers"><svg`, "predicted versus observed", "peak_backlog", "duplicates_delivered", "name: mini", "PASS"} {
		if !strings.Contains(strings.ToLower(page), strings.ToLower(s)) {
			t.Errorf("page lacks %q", s)
		}
	}
	namespaces := regexp.MustCompile(`xmlns(:xlink)?="http://www\.w3\.org/[^"]*"`)
	rest := namespaces.ReplaceAllString(page, "")
	for _, bad := range []string{"<script", "<link", "http://", "https://", "@import", "<img"} {
		if strings.Contains(rest, bad) {
			t.Errorf("page contains %q: it must open offline with nothing else", bad)
		}
	}
}

// TestLoadTolerant reads a run folder whose timeseries has extra and empty
// columns and whose summary has figures this version does not know; a
// missing scenario.yaml is noted, not fatal.
func TestLoadTolerant(t *testing.T) {
	dir := copyRun(t, "testdata/mini-3w")
	// An extra column in the middle, and a nested unknown figure.
	ts, err := os.ReadFile(filepath.Join(dir, "timeseries.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(ts), "\n"), "\n")
	for i := range lines {
		cells := strings.Split(lines[i], ",")
		extra := ""
		if i == 0 {
			extra = "analytics.duplicates"
		} else if i%2 == 0 {
			extra = "3"
		}
		cells = append(cells[:2], append([]string{extra}, cells[2:]...)...)
		lines[i] = strings.Join(cells, ",")
	}
	write(t, filepath.Join(dir, "timeseries.csv"), strings.Join(lines, "\n")+"\n")
	var sum map[string]any
	readJSON(t, filepath.Join(dir, "summary.json"), &sum)
	obs := sum["groups"].(map[string]any)["analytics"].(map[string]any)["observed"].(map[string]any)
	obs["reordered"] = 7
	obs["audit"] = map[string]any{"gaps": 2, "note": "text is left out"}
	b, _ := json.Marshal(sum)
	write(t, filepath.Join(dir, "summary.json"), string(b))
	if err := os.Remove(filepath.Join(dir, "scenario.yaml")); err != nil {
		t.Fatal(err)
	}

	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Scenario != nil || len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "scenario.yaml") {
		t.Errorf("problems = %q, want one about scenario.yaml", r.Problems)
	}
	d, ok := r.Series.Column("analytics.duplicates")
	if !ok || len(d) != r.Series.Len() || d[0] == d[0] || d[1] != 3 {
		t.Errorf("analytics.duplicates = %v, want NaN and 3 alternating", d[:min(4, len(d))])
	}
	if bl, _ := r.Series.Column("analytics.backlog"); len(bl) != r.Series.Len() || r.Series.Len() < 50 {
		t.Errorf("analytics.backlog has %d of %d rows", len(bl), r.Series.Len())
	}
	got := map[string]float64{}
	for _, x := range r.Delivery("analytics") {
		if x.Observed != nil {
			got[x.Key] = *x.Observed
		}
	}
	if got["reordered"] != 7 || got["audit.gaps"] != 2 || got["delivered"] != 4200 {
		t.Errorf("delivery figures = %v, want reordered 7, audit.gaps 2, delivered 4200", got)
	}
	if _, ok := got["peak_backlog"]; ok {
		t.Error("a headline figure is listed among the delivery figures")
	}
	files, err := r.Reports()
	if err != nil {
		t.Fatal(err)
	}
	page := string(files["report.html"])
	for _, s := range []string{"audit.gaps", "reordered", "could not read scenario.yaml"} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %q", s)
		}
	}
}

// TestRenderSummaryOnly renders a folder with nothing but summary.json:
// the charts are empty, the page says what is missing.
func TestRenderSummaryOnly(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile("testdata/mini-3w/summary.json")
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "summary.json"), string(b))
	if _, err := Render(dir); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"could not read timeseries.csv", "could not read analytics.hgrm", "No latency recorded"} {
		if !strings.Contains(string(page), s) {
			t.Errorf("page lacks %q", s)
		}
	}
}

func TestLoadNotRun(t *testing.T) {
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a run folder") {
		t.Errorf("err = %v, want not a run folder", err)
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{fmtNum(18000), "18,000"},
		{fmtNum(1234.56), "1,234.6"},
		{fmtNum(2.5), "2.50"},
		{fmtDelta(900, 346), "-554 (-61.6%)"},
		{fmtDelta(0, 3), "+3"},
		{fmtDelta(5, 5), "="},
		{fmtSeconds(723), "12m03s"},
		{tickLabel(15000), "15,000"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// TestPredictedCurve takes the prediction from the stored column, or from
// the stored scenario when the column is missing: the same curve.
func TestPredictedCurve(t *testing.T) {
	r, err := Load("testdata/mini-3w")
	if err != nil {
		t.Fatal(err)
	}
	peak := func(ys []float64) float64 {
		m := 0.0
		for _, y := range ys {
			m = max(m, y)
		}
		return m
	}
	ts, ys := r.predictedCurve("analytics", r.End())
	if len(ts) != r.Series.Len() || peak(ys) < 870 || peak(ys) > 900 {
		t.Errorf("from the column: %d points, peak %v; want %d points, peak about 900", len(ts), peak(ys), r.Series.Len())
	}
	r.Series.Drop("analytics.predicted_backlog")
	ts, ys = r.predictedCurve("analytics", r.End())
	if len(ts) <= r.Series.Len() || peak(ys) != 900 {
		t.Errorf("from the scenario: %d points, peak %v; want the model's curve, peak 900", len(ts), peak(ys))
	}
	lag := r.predictedTimeLag("analytics", timeAxisFor(r.End()), r.End())
	// At the peak (42 s) the oldest unprocessed event arrived when
	// A(s) = A(42) − 900 = 3300 − 900: 50s + 40(s−12) = 2400, s = 32 s.
	found := false
	for _, p := range lag {
		if p.X == 42 {
			found = true
			if math.Abs(p.Y-10) > 0.01 {
				t.Errorf("predicted time lag at 42 s = %v, want 10", p.Y)
			}
		}
	}
	if !found {
		t.Error("no predicted time lag at 42 s")
	}
}
