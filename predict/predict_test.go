package predict

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/backlogbench/backlogbench/keys"
	"github.com/backlogbench/backlogbench/scenario"
)

func preset(t *testing.T, name string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func byName(ps []GroupPrediction) map[string]GroupPrediction {
	out := map[string]GroupPrediction{}
	for _, p := range ps {
		out[p.Name] = p
	}
	return out
}

// TestPredictPresets pins the presets' headline predictions: the seed's
// flash sale exactly, and the deeper model's presets.
func TestPredictPresets(t *testing.T) {
	tests := []struct {
		preset, group string
		peak, drained float64
		maxLag        float64 // the fluid FIFO's
		p50, p99      float64 // latency, seconds
		method        string
	}{
		{"flash-sale", "analytics", 18000, 720, 150, -1, -1, "fluid"},
		{"flash-sale", "email", 0, 0, 0, 0, 0, "fluid"},
		// 12 partitions on 5 workers: 4,800, not the aggregate's 3,000.
		{"uneven", "search", 4800, 300 + 2400.0/22, 2400.0 / 22, -1, -1, "fluid"},
		// D/M/1 at ρ = 0.8, σ = 0.62863: ln 2/(10·(1−σ)) and ln 100/(…).
		{"random-service", "workers", 0, 0, 0, 0.18664, 1.24001, "GI/M/1"},
		{"hot-keys", "email", 0, 0, 0, 0, 0, "fluid"},
	}
	for _, tt := range tests {
		p := byName(Predict(preset(t, tt.preset)))[tt.group]
		if p.PeakBacklog != tt.peak || math.Abs(p.DrainedAtS-tt.drained) > 1e-9 || math.Abs(p.FIFOMaxTimeLagS-tt.maxLag) > 1e-6 {
			t.Errorf("%s/%s: peak %v, drained %v, FIFO max lag %v; want %v, %v, %v", tt.preset, tt.group, p.PeakBacklog, p.DrainedAtS, p.FIFOMaxTimeLagS, tt.peak, tt.drained, tt.maxLag)
		}
		if p.Latency.Method != tt.method || (tt.p50 >= 0 && (math.Abs(p.Latency.P50-tt.p50) > 1e-4 || math.Abs(p.Latency.P99-tt.p99) > 1e-4)) {
			t.Errorf("%s/%s: latency %+v, want %s p50 %v p99 %v", tt.preset, tt.group, p.Latency, tt.method, tt.p50, tt.p99)
		}
	}
	fs := byName(Predict(preset(t, "flash-sale")))["analytics"]
	if fs.PeakBacklog != 18000 || fs.GrowthRate != 60 || fs.PeakAtS != 420 || fs.DrainedAtS != 720 {
		t.Errorf("flash-sale analytics: %v at %v, %v/s, drained %v; want exactly 18000 at 420, 60/s, 720", fs.PeakBacklog, fs.PeakAtS, fs.GrowthRate, fs.DrainedAtS)
	}
	// The hot key's worker falls behind though the group keeps up on
	// average (100/s against 120/s).
	if hk := byName(Predict(preset(t, "hot-keys")))["loyalty"]; !(hk.PeakBacklog > 1000) {
		t.Errorf("hot-keys loyalty: peak %v, want the hot worker's backlog", hk.PeakBacklog)
	}
}

// TestPredictAssigned checks that the prediction follows the assignment
// the run records: a permutation of the range balancer's changes nothing,
// a lopsided one changes the peak.
func TestPredictAssigned(t *testing.T) {
	sc := preset(t, "uneven")
	perm := []map[string][]int32{{"orders": {3, 4, 5}}, {"orders": {6, 7}}, {"orders": {8, 9}}, {"orders": {0, 1, 2}}, {"orders": {10, 11}}}
	got := byName(PredictAssigned(sc, map[string][]map[string][]int32{"search": perm}, Embedded))["search"]
	if got.PeakBacklog != 4800 {
		t.Errorf("permuted assignment: peak %v, want 4800", got.PeakBacklog)
	}
	// One worker with 4 partitions (40/s against 22/s for 300 s), the
	// others 2 each (20/s): 5,400.
	lop := []map[string][]int32{{"orders": {0, 1, 2, 3}}, {"orders": {4, 5}}, {"orders": {6, 7}}, {"orders": {8, 9}}, {"orders": {10, 11}}}
	got = byName(PredictAssigned(sc, map[string][]map[string][]int32{"search": lop}, Embedded))["search"]
	if got.PeakBacklog != 5400 {
		t.Errorf("lopsided assignment: peak %v, want 5400", got.PeakBacklog)
	}
}

// TestModelGroupKeys checks that a keyed producer's shares are those of
// its keys hashed as the producer partitions them.
func TestModelGroupKeys(t *testing.T) {
	sc := preset(t, "hot-keys")
	mg := ModelGroup(sc, "loyalty", nil)
	in := mg.Topics[0].Inputs[0]
	if in.Shares == nil {
		t.Fatal("a keyed producer has no shares")
	}
	want := keys.New(keys.Zipf, 1.1, 10000).Shares(12)
	if got := in.Shares(12); !reflect.DeepEqual(got, want) {
		t.Errorf("shares %v, want %v", got, want)
	}
}

// TestPredictedLatencyNeverDrains checks that a group that never drains
// has no predicted latency or time lag in summary.json (JSON has no +Inf).
func TestPredictedLatencyNeverDrains(t *testing.T) {
	sc := parse(t, `
topics: {orders: {partitions: 3}}
producers:
  orders: {topic: orders, phases: [{duration: 60s, rate: 10}]}
groups:
  stuck:
    topics: [orders]
    phases: [{duration: 30s, capacity: 20}, {duration: 1m, capacity: 0}]
`)
	p := Predict(sc)[0]
	got := p.Predicted()
	if got.LatencyMs != nil || got.MaxTimeLagS != nil {
		t.Errorf("latency %+v, max time lag %v; want none", got.LatencyMs, got.MaxTimeLagS)
	}
	if _, err := json.Marshal(got); err != nil {
		t.Error(err)
	}
}

func parse(t *testing.T, y string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("test.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}
