package report

import (
	"github.com/backlogbench/backlogbench/results"

	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func load(t *testing.T, dirs ...string) []*Run {
	t.Helper()
	var runs []*Run
	for _, d := range dirs {
		r, err := Load(d)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	return runs
}

// row returns the comparison's row for a group's figure.
func row(t *testing.T, table [][]string, group, fig string) []string {
	t.Helper()
	for _, r := range table[1:] {
		if r[0] == group && r[1] == fig {
			return r
		}
	}
	t.Fatalf("no row %s %s", group, fig)
	return nil
}

func parseNum(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return v
}

// TestCompareWorkers compares the mini flash sale with 3 and with 4
// analytics workers (capacity 60/s and 80/s): the table shows the 4-worker
// run's smaller peak, as a negative difference.
func TestCompareWorkers(t *testing.T) {
	c := Compare(load(t, "testdata/mini-3w", "testdata/mini-4w")...)
	tab := c.Table()
	if got, want := tab[0], []string{"group", "figure", "mini-3w", "mini-4w", "Δ mini-4w"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("header = %q, want %q", got, want)
	}
	w := row(t, tab, "analytics", "workers")
	if w[2] != "3" || w[3] != "4" || w[4] != "+1 (+33.3%)" {
		t.Errorf("workers row = %q", w)
	}
	p := row(t, tab, "analytics", "observed.peak_backlog")
	three, four := parseNum(t, p[2]), parseNum(t, p[3])
	if !(four < three) {
		t.Errorf("observed peak: 3 workers %v, 4 workers %v; want the 4-worker peak smaller", three, four)
	}
	if !(three > 800 && four < 450) {
		t.Errorf("observed peaks %v and %v, want about 900 and 300", three, four)
	}
	if !strings.HasPrefix(p[4], "-") {
		t.Errorf("peak difference %q, want negative", p[4])
	}
	pp := row(t, tab, "analytics", "predicted.peak_backlog")
	if pp[2] != "900" || pp[3] != "300" {
		t.Errorf("predicted peaks %q, want 900 and 300", pp[2:4])
	}
	if e := row(t, tab, "email", "observed.events"); e[4] != "=" {
		t.Errorf("email events difference %q, want =", e[4])
	}
	for _, n := range c.Notes {
		if strings.Contains(n, "only in") {
			t.Errorf("unexpected mismatch note %q", n)
		}
	}
	var b bytes.Buffer
	c.WriteText(&b)
	if !strings.Contains(b.String(), "observed.peak_backlog") {
		t.Errorf("text table lacks the peak:\n%s", b.String())
	}
}

// TestCompareMismatch compares runs of different scenarios: groups and
// producers are matched by name, and what does not match is said.
func TestCompareMismatch(t *testing.T) {
	c := Compare(load(t, "testdata/mini-3w", "testdata/other")...)
	notes := strings.Join(c.Notes, "\n")
	for _, want := range []string{
		"scenarios differ (mini-3w mini, other other)",
		"group email is only in mini-3w (not in other)",
		"group search is only in other (not in mini-3w)",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	tab := c.Table()
	if r := row(t, tab, "email", "observed.events"); r[3] != "—" || r[4] != "—" {
		t.Errorf("email in the run without it: %q, want — and —", r)
	}
	if r := row(t, tab, "search", "observed.peak_backlog"); r[2] != "—" || r[3] == "—" {
		t.Errorf("search row %q", r)
	}
	// analytics is in both and compares.
	if r := row(t, tab, "analytics", "predicted.peak_backlog"); r[2] != "900" || r[3] != "0" {
		t.Errorf("analytics row %q", r)
	}
	var b bytes.Buffer
	c.WriteText(&b)
	if !strings.Contains(b.String(), "note: group email is only in mini-3w") {
		t.Errorf("text lacks the notes:\n%s", b.String())
	}
}

// TestRenderCompare writes compare.html (self-contained, one overlay chart
// per group) and compare.png.
func TestRenderCompare(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cmp")
	c, files, err := RenderCompare(out, "testdata/mini-3w", "testdata/mini-4w", "testdata/other")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || len(c.Labels) != 3 {
		t.Fatalf("files %v, labels %v", files, c.Labels)
	}
	page, err := os.ReadFile(filepath.Join(out, "compare.html"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(page), `data-chart="overlay"><svg`); n != 3 {
		t.Errorf("%d overlay charts, want 3 (analytics, email, search)", n)
	}
	for _, s := range []string{"Δ mini-4w", "Δ other", "group search is only in other"} {
		if !strings.Contains(string(page), s) {
			t.Errorf("compare.html lacks %q", s)
		}
	}
	png, err := os.ReadFile(filepath.Join(out, "compare.png"))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("compare.png: %v, %d bytes", err, len(png))
	}
}

func TestLabelsUnique(t *testing.T) {
	var runs []*Run
	for _, d := range []string{"a/run", "b/run", "c/x", "c/x"} {
		runs = append(runs, &Run{Folder: &results.Folder{Dir: d}})
	}
	got := strings.Join(labels(runs), " ")
	if want := "a/run b/run c/x c/x#2"; got != want {
		t.Errorf("labels = %q, want %q", got, want)
	}
}
