package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/backlogbench/backlogbench/results"
)

// tinyScenario is a 2-second run: 100 events/s into a group of capacity
// 200, a load bound of 300 records/s.
const tinyScenario = `name: tiny
topics:
  t: {partitions: 2}
producers:
  p:
    topic: t
    event: order
    size: 512
    phases:
      - {duration: 2s, rate: 100}
groups:
  g: {topics: [t], workers: 2, capacity: 200}
`

// TestRunOneProcessor: a light run plays on one processor and says so,
// records it in summary.json (or that the machine got busy and it took
// every processor back) and gives the processors back afterwards; the
// GOMAXPROCS environment variable, when set, decides instead.
func TestRunOneProcessor(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one processor already")
	}
	file := filepath.Join(t.TempDir(), "tiny.yaml")
	if err := os.WriteFile(file, []byte(tinyScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T) (string, results.Summary) {
		t.Helper()
		before := runtime.GOMAXPROCS(0)
		out := filepath.Join(t.TempDir(), "run")
		var so, se bytes.Buffer
		if code := dispatch(t.Context(), []string{"run", file, "--out", out, "-q"}, &so, &se); code != exitOK {
			t.Fatalf("exit %d:\n%s%s", code, so.String(), se.String())
		}
		if after := runtime.GOMAXPROCS(0); after != before {
			t.Errorf("GOMAXPROCS %d after the run, %d before", after, before)
		}
		f, err := results.Read(out)
		if err != nil {
			t.Fatal(err)
		}
		return se.String(), f.Summary
	}
	t.Run("light", func(t *testing.T) {
		se, s := run(t)
		if !strings.Contains(se, "on one processor while the machine is otherwise idle: at most 300 records/s") {
			t.Errorf("stderr does not say one processor:\n%s", se)
		}
		// On a machine busy with other tests the run may go back to every
		// processor, and then says so.
		busy := slices.ContainsFunc(s.Notes, func(n string) bool { return strings.Contains(n, "the machine got busy") })
		if s.Procs != 1 && !(busy && s.Procs == runtime.GOMAXPROCS(0)) {
			t.Errorf("summary procs %d (notes %q), want 1, or %d with a note that the machine got busy", s.Procs, s.Notes, runtime.GOMAXPROCS(0))
		}
	})
	t.Run("GOMAXPROCS set", func(t *testing.T) {
		t.Setenv("GOMAXPROCS", "2")
		se, s := run(t)
		if strings.Contains(se, "one processor") {
			t.Errorf("stderr says one processor with GOMAXPROCS set:\n%s", se)
		}
		if s.Procs != runtime.GOMAXPROCS(0) {
			t.Errorf("summary procs %d, want %d", s.Procs, runtime.GOMAXPROCS(0))
		}
	})
}
