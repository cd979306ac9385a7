package watch

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

var origin = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// offsets gives a partition's log end and committed offsets at sample k
// (at k seconds); a committed offset < 0 is no commit.
type offsets func(k int) (end, committed int64)

// history builds n samples one second apart of a group whose partitions
// (topic "t", partition i) follow parts.
func history(n int, parts ...offsets) []GroupSample {
	var h []GroupSample
	for k := range n {
		at := origin.Add(time.Duration(k) * time.Second)
		g := GroupSample{Group: "g", State: "Stable", Members: 2, CommittedAt: at, EndAt: at}
		for i, f := range parts {
			e, c := f(k)
			g.Partitions = append(g.Partitions, PartitionSample{Topic: "t", Partition: int32(i), End: e, Committed: c})
		}
		h = append(h, g)
	}
	return h
}

// assign gives partition i of every sample to members[i].
func assign(h []GroupSample, members ...string) []GroupSample {
	for k := range h {
		for i := range h[k].Partitions {
			h[k].Partitions[i].Member = members[i]
		}
	}
	return h
}

// linear is a partition whose end offset starts at e0 and grows at lam/s
// and whose committed offset starts at c0 and grows at mu/s.
func linear(e0, lam, c0, mu float64) offsets {
	return func(k int) (int64, int64) {
		return int64(e0 + lam*float64(k)), int64(c0 + mu*float64(k))
	}
}

func near(got, want, tol float64) bool {
	if math.IsInf(want, 1) {
		return math.IsInf(got, 1)
	}
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	return math.Abs(got-want) <= tol*max(1, math.Abs(want))
}

func TestEstimate(t *testing.T) {
	tests := []struct {
		name      string
		hist      []GroupSample
		state     string
		lag       int64
		input     float64 // NaN: unknown
		proc      float64
		atLeast   bool
		stalled   bool
		rewind    bool
		forecast  bool    // whether there is one
		drainedIn float64 // NaN: no drain (keeps up); +Inf: never
		growth    float64
		outcome   string
	}{
		{
			// 100/s in, committed 20 behind: work in flight, not a backlog.
			name: "keeping up", hist: history(10, linear(1000, 100, 980, 100)),
			state: KeepingUp, lag: 20, input: 100, proc: 100, atLeast: true,
			forecast: true, drainedIn: math.NaN(), growth: 0, outcome: OutcomeKeepsUp,
		},
		{
			// 10,000 behind, 100/s in, 300/s out: 8,200 left at the last
			// sample, gone 41 s later.
			name: "draining", hist: history(10, linear(10000, 100, 0, 300)),
			state: Draining, lag: 8200, input: 100, proc: 300,
			forecast: true, drainedIn: 41, growth: -200, outcome: OutcomeDrains,
		},
		{
			name: "growing", hist: history(10, linear(1000, 200, 0, 100)),
			state: Growing, lag: 1900, input: 200, proc: 100,
			forecast: true, drainedIn: math.Inf(1), growth: 100, outcome: OutcomeGrows,
		},
		{
			// Commits stop at 500 while 100/s keep arriving.
			name: "stalled", hist: history(10, func(k int) (int64, int64) { return int64(1000 + 100*k), int64(min(500, 100*k)) }),
			state: Stalled, lag: 1400, input: 100, proc: 0, stalled: true,
			forecast: true, drainedIn: math.Inf(1), growth: 100, outcome: OutcomeGrows,
		},
		{
			// An idle topic with a stuck consumer: lagging, nothing moves.
			name: "stalled on an idle topic", hist: history(5, linear(800, 0, 300, 0)),
			state: Stalled, lag: 500, input: 0, proc: 0, stalled: true,
			forecast: true, drainedIn: math.Inf(1), growth: 0, outcome: OutcomeSteady,
		},
		{
			// Draining at 300/s, then the offsets are reset to 0 at
			// sample 7: three comparable samples left, too few to measure μ,
			// and 10,700 behind: measuring, not keeping up.
			name: "rewind", hist: history(10, func(k int) (int64, int64) {
				c := 300 * k
				if k >= 7 {
					c = 100 * (k - 7)
				}
				return int64(10000 + 100*k), int64(c)
			}),
			state: Measuring, lag: 10700, input: 100, proc: 100, atLeast: true, rewind: true,
			drainedIn: math.NaN(),
		},
		{
			// Backlogged (10,000 behind) for two samples: too few to measure
			// μ, and not keeping up whatever λ and the commits say.
			name: "backlogged, two samples", hist: history(3, linear(10000, 100, 0, 300)),
			state: Measuring, lag: 9600, input: 100, proc: 100, atLeast: true,
			drainedIn: math.NaN(),
		},
		{
			name: "no commits yet", hist: history(10, linear(1000, 100, -1, 0)),
			state: NoCommits, input: math.NaN(), proc: math.NaN(), atLeast: false,
			drainedIn: math.NaN(),
		},
		{
			name: "idle topic", hist: history(10, linear(500, 0, 500, 0)),
			state: KeepingUp, lag: 0, input: 0, proc: 0, atLeast: true,
			forecast: true, drainedIn: math.NaN(), growth: 0, outcome: OutcomeKeepsUp,
		},
		{
			name: "one sample", hist: history(1, linear(1000, 100, 0, 300)),
			state: Measuring, lag: 1000, input: math.NaN(), proc: math.NaN(), atLeast: true,
			drainedIn: math.NaN(),
		},
		{
			// A deleted topic: the commits remain, the log end offsets are gone.
			name: "deleted topic", hist: history(4, linear(-1, 0, 700, 0)),
			state: NoTopic, input: math.NaN(), proc: math.NaN(),
			drainedIn: math.NaN(),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := EstimateGroup(tc.hist, origin, Options{})
			if e.State != tc.state {
				t.Errorf("state = %s, want %s (notes %q)", e.State, tc.state, e.Notes)
			}
			if e.HasLag && e.Lag != tc.lag {
				t.Errorf("lag = %d, want %d", e.Lag, tc.lag)
			}
			if !near(e.Input.Value, tc.input, 1e-6) {
				t.Errorf("input = %v, want %v", e.Input.Value, tc.input)
			}
			if !near(e.Processing.Value, tc.proc, 1e-6) {
				t.Errorf("processing = %v, want %v", e.Processing.Value, tc.proc)
			}
			if e.ProcessingAtLeast != tc.atLeast {
				t.Errorf("processing at least = %v, want %v", e.ProcessingAtLeast, tc.atLeast)
			}
			if e.Stalled != tc.stalled || e.Rewind != tc.rewind {
				t.Errorf("stalled, rewind = %v, %v, want %v, %v", e.Stalled, e.Rewind, tc.stalled, tc.rewind)
			}
			f := ForecastGroup(e, ForecastOptions{Interval: 1})
			if (f != nil) != tc.forecast {
				t.Fatalf("forecast = %+v, want one: %v", f, tc.forecast)
			}
			if f != nil {
				if !near(f.DrainedIn, tc.drainedIn, 1e-6) {
					t.Errorf("drained in = %v, want %v", f.DrainedIn, tc.drainedIn)
				}
				if !near(f.Growth, tc.growth, 1e-6) {
					t.Errorf("growth = %v, want %v", f.Growth, tc.growth)
				}
				if f.Outcome != tc.outcome {
					t.Errorf("outcome = %s, want %s", f.Outcome, tc.outcome)
				}
			}
			// Whatever the case, the JSON has no NaN or Inf.
			b, err := json.Marshal(NewGroupReport(e, f, PlanWorkers(e, f, 600, ForecastOptions{})))
			if err != nil {
				t.Fatal(err)
			}
			if s := string(b); strings.Contains(s, "NaN") || strings.Contains(s, "Inf") {
				t.Errorf("JSON has NaN or Inf: %s", s)
			}
		})
	}
}
