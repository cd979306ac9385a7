package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrepareOut(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "new")
	if created, err := prepareOut(fresh, false); err != nil || !created {
		t.Fatalf("new folder: created %v, err %v", created, err)
	}
	if created, err := prepareOut(fresh, false); err != nil || created {
		t.Fatalf("empty folder: created %v, err %v; want reused", created, err)
	}
	if err := os.WriteFile(filepath.Join(fresh, "old.hgrm"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := prepareOut(fresh, false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("folder with a file: err %v, want a refusal naming --force", err)
	}
	if _, err := prepareOut(fresh, true); err != nil {
		t.Fatal(err)
	}
	if es, _ := os.ReadDir(fresh); len(es) != 0 {
		t.Errorf("--force left %d files", len(es))
	}
}

// TestRunNeverStartedLeavesNoFolder checks that a run that fails before it
// starts (an unreachable broker) removes the folder it made.
func TestRunNeverStartedLeavesNoFolder(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	var so, se strings.Builder
	code := dispatch(t.Context(), []string{"run", "flash-sale", "--brokers", "127.0.0.1:1", "--out", out, "-q"}, &so, &se)
	if code != exitFailure {
		t.Errorf("exit %d, want %d; stderr %s", code, exitFailure, se.String())
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s left behind (%v)", out, err)
	}
}

// TestReportRefusesTruncated checks that `report` refuses a folder whose
// timeseries.csv was cut mid-line or whose summary is empty, and that
// --partial renders it anyway.
func TestReportRefusesTruncated(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("results", "example-flash-sale")
	for _, f := range []string{"summary.json", "scenario.yaml", "timeseries.csv"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "timeseries.csv" {
			b = b[:len(b)/2]
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var so, se strings.Builder
	if code := dispatch(t.Context(), []string{"report", dir}, &so, &se); code != exitFailure || !strings.Contains(se.String(), "cut short") {
		t.Errorf("truncated: exit %d, stderr %q; want 1 and the reason", code, se.String())
	}
	if code := dispatch(t.Context(), []string{"report", "--partial", dir}, &so, &se); code != exitOK {
		t.Errorf("--partial: exit %d, stderr %q", code, se.String())
	}
	if err := os.WriteFile(filepath.Join(dir, "summary.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	se.Reset()
	if code := dispatch(t.Context(), []string{"report", dir}, &so, &se); code != exitFailure || !strings.Contains(se.String(), "no groups") {
		t.Errorf("empty summary: exit %d, stderr %q", code, se.String())
	}
}

// TestDataDirIsAFile checks that a --data-dir naming a file is refused as
// bad input (exit 2, the flag named) by run and by broker, before either
// starts a broker or makes an --out folder.
func TestDataDirIsAFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "afile")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run")
	for _, args := range [][]string{
		{"run", "flash-sale", "--data-dir", file, "--out", out, "-q"},
		{"broker", "--data-dir", file, "--port", "0"},
	} {
		var so, se strings.Builder
		code := dispatch(t.Context(), args, &so, &se)
		if code != exitUsage || !strings.Contains(se.String(), "--data-dir") || !strings.Contains(se.String(), "not a directory") {
			t.Errorf("%s: exit %d, stderr %q; want %d naming --data-dir", args[0], code, se.String(), exitUsage)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s left behind (%v)", out, err)
	}
}

// TestRefusedRunMakesNoDataDir: a run refused for another flag makes no
// --data-dir folder.
func TestRefusedRunMakesNoDataDir(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	var so, se strings.Builder
	code := dispatch(t.Context(), []string{"run", "flash-sale", "--data-dir", data, "--prefix", "bad name", "-q"}, &so, &se)
	if code != exitUsage || !strings.Contains(se.String(), "prefix") {
		t.Fatalf("exit %d, stderr %q; want %d naming the prefix", code, se.String(), exitUsage)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("%s made for a refused run (%v)", data, err)
	}
}
