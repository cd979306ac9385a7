package watch

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// reportsOf builds the reports a watch would make of a group over its
// history, sample by sample.
func reportsOf(name string, h []GroupSample, drainWithin float64) []Report {
	var out []Report
	for i := range h {
		e := EstimateGroup(h[:i+1], origin, Options{})
		e.Group = name
		f := ForecastGroup(e, ForecastOptions{Interval: 1})
		var wp *WorkerPlan
		if drainWithin > 0 {
			wp = PlanWorkers(e, f, drainWithin, ForecastOptions{})
		}
		at := h[i].EndAt
		out = append(out, Report{Time: at, T: Num(at.Sub(origin).Seconds()), Groups: []GroupReport{NewGroupReport(e, f, wp)}})
	}
	return out
}

func TestWriteTable(t *testing.T) {
	cases := []struct {
		name string
		hist []GroupSample
		want []string
	}{
		{"draining", history(10, linear(10000, 100, 0, 300)), []string{"draining", "lag 8,200", "λ 100/s", "μ 300/s", "drains in 41.0s", "needs 4 workers (510/s) to drain within 20.0s"}},
		{"growing", history(10, linear(1000, 200, 0, 100)), []string{"growing", "+100/s, never drains", "in 5m 31,900 (tlag 2m"}},
		{"keeping-up", history(10, linear(1000, 100, 980, 100)), []string{"keeping-up", "μ ≥100/s", "keeps up"}},
		{"no commits", history(3, linear(1000, 100, -1, 0)), []string{"no-commits", "no commits yet"}},
	}
	for _, c := range cases {
		rs := reportsOf("g", c.hist, 20)
		var b bytes.Buffer
		if err := WriteTable(&b, rs[len(rs)-1]); err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: %q lacks %q", c.name, b.String(), w)
			}
		}
		if strings.Count(b.String(), "\n") != 1 {
			t.Errorf("%s: %q is not one line", c.name, b.String())
		}
	}
}

// TestOutDir writes a watch's folder and reads it back: the JSON keeps
// unknowns as null (NaN again when read), and the page holds a chart.
func TestOutDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "out")
	o, err := NewOutDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	draining := reportsOf("orders-email", history(20, linear(10000, 100, 0, 300)), 0)
	growing := reportsOf("analytics", history(20, linear(1000, 200, 0, 100)), 0)
	for i := range draining {
		r := draining[i]
		r.Groups = append(r.Groups, growing[i].Groups...)
		o.Observe(r)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "samples.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if s := string(raw); strings.Contains(s, "NaN") || strings.Contains(s, "Inf") || !strings.Contains(s, `"drained_in_s":null`) {
		t.Errorf("samples.jsonl: want nulls, not NaN or Inf, and a null drain for the growing group")
	}
	rs, err := ReadSamples(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 20 || len(rs[19].Groups) != 2 {
		t.Fatalf("read %d reports, want 20 of 2 groups", len(rs))
	}
	if g := rs[19].Groups[1]; !math.IsNaN(float64(g.Forecast.DrainedIn)) || float64(g.Forecast.Growth) != 100 {
		t.Errorf("growing group read back: drained in %v, growth %v", g.Forecast.DrainedIn, g.Forecast.Growth)
	}
	if !rs[0].Time.Equal(draining[0].Time) {
		t.Errorf("time read back %v, want %v", rs[0].Time, draining[0].Time)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"<h2>orders-email</h2>", "<h2>analytics</h2>", "data:image/png;base64,iVBOR", "drains in"} {
		if !bytes.Contains(page, []byte(w)) {
			t.Errorf("report.html lacks %q", w)
		}
	}
	// The page is a function of the samples alone.
	again, err := RenderHTML(rs)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, page) {
		t.Errorf("report.html rendered again from samples.jsonl differs")
	}
}

func TestRenderHTMLEmpty(t *testing.T) {
	page, err := RenderHTML(nil)
	if err != nil || !bytes.Contains(page, []byte("No sample was taken")) {
		t.Errorf("RenderHTML(nil) = %q, %v", page, err)
	}
}
