package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyFixture copies a report fixture's stored data (not its reports).
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("report", "testdata", name)
	dst := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		n := e.Name()
		if n != "summary.json" && n != "timeseries.csv" && n != "scenario.yaml" && !strings.HasSuffix(n, ".hgrm") {
			continue
		}
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

func runCLI(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := dispatch(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestReportCommand(t *testing.T) {
	dir := copyFixture(t, "mini-3w")
	code, out, errOut := runCLI("report", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, f := range []string{"report.md", "report.html", "backlog.png"} {
		want, err := os.ReadFile(filepath.Join("report", "testdata", "mini-3w", f))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: not the golden file (%v)", f, err)
		}
		if !strings.Contains(out, filepath.Join(dir, f)) {
			t.Errorf("output does not name %s:\n%s", f, out)
		}
	}
	if code, _, errOut := runCLI("report", t.TempDir()); code != exitUsage || !strings.Contains(errOut, "not a run folder") {
		t.Errorf("report of an empty folder: exit %d, %q", code, errOut)
	}
	if code, _, _ := runCLI("report"); code != exitUsage {
		t.Errorf("report without a folder: exit %d, want %d", code, exitUsage)
	}
}

func TestCompareCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cmp")
	code, stdout, errOut := runCLI("compare", "--out", out, filepath.Join("report", "testdata", "mini-3w"), filepath.Join("report", "testdata", "mini-4w"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, s := range []string{"observed.peak_backlog", "Δ mini-4w", filepath.Join(out, "compare.html")} {
		if !strings.Contains(stdout, s) {
			t.Errorf("output lacks %q:\n%s", s, stdout)
		}
	}
	if code, _, _ := runCLI("compare", "x"); code != exitUsage {
		t.Errorf("compare of one folder: exit %d, want %d", code, exitUsage)
	}
}

func TestRunMetricsAddrInvalid(t *testing.T) {
	if code, _, errOut := runCLI("run", "--metrics-addr", "9464"); code != exitUsage || !strings.Contains(errOut, "--metrics-addr") {
		t.Errorf("exit %d, %q; want a usage error about --metrics-addr", code, errOut)
	}
}
