package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// plan runs the CLI in process.
func plan(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = dispatch(context.Background(), append([]string{"plan"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestPlanCommand(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings
		stderr string
	}{
		{"seed analytics", []string{"plan", "flash-sale", "--group", "analytics", "--max-backlog", "5000"}, exitOK,
			[]string{"analytics", "163.4/s", "orders 12, clickstream 6"}, ""},
		{"outage infeasible", []string{"plan", "outage", "--max-backlog", "5000"}, exitInfeasible,
			[]string{"search-index: the capacity is 0 from 1:00.0 to 2:00.0: the 6000 events that arrive meanwhile exceed --max-backlog 5000 whatever the capacity"},
			"search-index: no capacity meets the target (--max-backlog 5000)"},
		{"no target", []string{"plan", "flash-sale"}, exitUsage, nil, "give one target"},
		{"two targets", []string{"plan", "flash-sale", "--max-backlog", "1", "--drain-within", "1m"}, exitUsage, nil, "give one target"},
		{"unknown group", []string{"plan", "flash-sale", "--group", "analytic", "--max-backlog", "1"}, exitUsage, nil, `no group "analytic"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := plan(tt.args[1:]...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout has no %q:\n%s", s, out)
				}
			}
			if !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr has no %q:\n%s", tt.stderr, errOut)
			}
		})
	}
}

func TestPlanJSON(t *testing.T) {
	code, out, errOut := plan("outage", "--drain-within", "60s", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Groups map[string]map[string]any `json:"groups"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	g := got.Groups["search-index"]
	for _, k := range []string{"capacity", "workers", "partitions", "peak_backlog", "drained_at_s", "feasible", "reason"} {
		if _, ok := g[k]; !ok && k != "reason" {
			t.Errorf("no %q in %v", k, g)
		}
	}
	if g["capacity"] != 200.0 || g["workers"] != 4.0 || g["partitions"] != 12.0 || g["feasible"] != true {
		t.Errorf("search-index plan %v, want capacity 200, 4 workers, 12 partitions", g)
	}
	code, out, _ = plan("outage", "--max-time-lag", "30s", "--format", "json", "--group", "search-index")
	if code != exitInfeasible {
		t.Fatalf("exit %d, want %d", code, exitInfeasible)
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if g := got.Groups["search-index"]; g["feasible"] != false || g["capacity"] != nil || !strings.Contains(g["reason"].(string), "waits for it whatever the capacity") {
		t.Errorf("infeasible plan %v", g)
	}
}

// TestPlanHugeScenario plans the cases that once answered capacity 0/s
// or gave up: a bound every event fits in, and 1e15 events/s.
func TestPlanHugeScenario(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stdout []string
	}{
		// 60,000 orders fit --max-backlog 100000: capacity 0 kept them for
		// ever and passed; the least that drains them is the grid's first.
		{"every event fits the bound", []string{"flash-sale", "--group", "email", "--max-backlog", "100000"},
			[]string{"0.1/s", "166h40m0s", "email: the group receives 60000 events in all, within --max-backlog 100000: any capacity above 0 meets it"}},
		// (1e15 − C)·600 ≤ 100,000: C = 999,999,999,999,833.3/s, once
		// "infeasible" (beyond 1e12/s).
		{"1e15/s", []string{writeScenario(t, "1e15", "250", 4), "--max-backlog", "100000"},
			[]string{"99999999999983", "more than 100000 workers at 62.5/s each"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := plan(tt.args...)
			if code != exitOK {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitOK, out, errOut)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout has no %q:\n%s", s, out)
				}
			}
			if strings.Contains(out, " 0.0/s") {
				t.Errorf("a plan of capacity 0:\n%s", out)
			}
		})
	}
}
