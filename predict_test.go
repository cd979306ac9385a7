package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// writeScenario writes a one-producer, one-group scenario into a
// temporary folder and returns its path.
func writeScenario(t *testing.T, rate, capacity string, workers int) string {
	t.Helper()
	y := `name: edge
topics:
  orders: {partitions: 12}
producers:
  orders: {topic: orders, event: order, size: 512, phases: [{duration: 10m, rate: ` + rate + `}]}
groups:
  email: {topics: [orders], workers: ` + strconv.Itoa(workers) + `, capacity: ` + capacity + `}
`
	p := filepath.Join(t.TempDir(), "edge.yaml")
	if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPredictDurations checks the predict table at sizes where minutes
// stop making sense: each case's row has its fields, none of them a
// garbled clock (m:60.0) or a run of digits wider than a column should be.
func TestPredictDurations(t *testing.T) {
	tests := []struct {
		name           string
		rate, capacity string
		workers        int
		want           []string // fields of the group's row
	}{
		// 600,000 events at 909.132/s: drained at 659.97 s, once "10:60.0".
		{"a minute's rounding", "1000", "909.132", 4, []string{"11:00.0"}},
		// 6e8 events at 80,000/s: drained after 7,500 s.
		{"hours", "1e6", "80000", 4, []string{"2h5m0s"}},
		// 6e17 events at 250/s: 2.4e15 s, once "40000000000000:00.0".
		{"1e15/s", "1e15", "250", 4, []string{"6.000e+17", "2.40e+15 s", "1.20e+15 s"}},
		// 6e302 events: once three hundred digits and a negative minute.
		{"1e300/s", "1e300", "250", 4, []string{"6.000e+302", "2.40e+300 s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := dispatch(context.Background(), []string{"predict", writeScenario(t, tt.rate, tt.capacity, tt.workers)}, &out, &errOut); code != exitOK {
				t.Fatalf("exit %d: %s", code, &errOut)
			}
			var row string
			for _, l := range strings.Split(out.String(), "\n") {
				if strings.HasPrefix(strings.TrimSpace(l), "email ") {
					row = l
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(row, w) {
					t.Errorf("the row has no %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(row, ":60.0") || strings.Contains(row, "-") {
				t.Errorf("garbled clock or negative figure:\n%s", row)
			}
			for _, f := range strings.Fields(row) {
				if len(f) > 20 {
					t.Errorf("field %q is %d characters wide:\n%s", f, len(f), row)
				}
			}
		})
	}
}
