package watch

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/backlogbench/backlogbench/scenario"
)

func mustPlan(t *testing.T, s string) RatePlan {
	t.Helper()
	p, err := ParseRatePlan(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestForecast(t *testing.T) {
	draining := history(10, linear(10000, 100, 0, 300)) // 8,200 left, λ 100, μ 300
	growing := history(10, linear(1000, 200, 0, 100))   // 1,900 left, λ 200, μ 100
	// Two partitions, 100/s each: t/0 drains 1,000 at 200/s (10 s), t/1
	// 5,000 at 150/s (100 s). As one queue the group would drain 6,000 at
	// 350/s in 40 s; its drain is t/1's.
	hot := assign(history(10, linear(1900, 100, 0, 200), linear(5450, 100, 0, 150)), "m0", "m1")
	sc, err := scenario.Parse("plan.yaml", []byte(`topics: {t: {partitions: 1}}
producers:
  p: {topic: t, phases: [{duration: 10s, rate: 0}, {duration: 20s, rate: 100}]}
groups:
  g: {topics: [t], capacity: 300}
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		hist      []GroupSample
		plan      InputPlan
		model     string
		drainedIn float64
		growth    float64
		backlog   []float64 // at 5, 15, 60 minutes
		timeLag   []float64
	}{
		{
			name: "draining", hist: draining, model: "group",
			drainedIn: 41, growth: -200, backlog: []float64{0, 0, 0}, timeLag: []float64{0, 0, 0},
		},
		{
			// The oldest record came 9.5 s ago (1,900 at 200/s); the
			// committed offset moves at 100/s through records that came
			// at 200/s, so the time lag grows by h/2.
			name: "growing", hist: growing, model: "group",
			drainedIn: math.Inf(1), growth: 100,
			backlog: []float64{1900 + 30000, 1900 + 90000, 1900 + 360000},
			timeLag: []float64{9.5 + 150, 9.5 + 450, 9.5 + 1800},
		},
		{
			name: "hot partition", hist: hot, model: "workers",
			drainedIn: 100, growth: -150, backlog: []float64{0, 0, 0}, timeLag: []float64{0, 0, 0},
		},
		{
			// t/1's worker stops committing: it never drains, whatever t/0
			// does.
			name: "stalled worker", hist: assign(history(10, linear(1900, 100, 0, 200), linear(1000, 100, 500, 0)), "m0", "m1"), model: "workers",
			drainedIn: math.Inf(1), growth: 0, backlog: []float64{1400 + 30000, 1400 + 90000, 1400 + 360000},
		},
		{
			// The same partitions on one worker that commits 200/s: t/1 waits
			// while t/0 is served, and the worker keeps up with both.
			name: "partition waiting on its worker", hist: assign(history(10, linear(1900, 100, 0, 200), linear(1000, 100, 500, 0)), "m0", "m0"), model: "group",
			drainedIn: math.Inf(1), growth: 0, backlog: []float64{2400, 2400, 2400},
		},
		{
			// t/0 (no input) drains 5,000 at 400/s while t/1 grows at 10/s,
			// both on one worker: its capacity moves to t/1 as t/0 drains, so
			// the group, 7,090 at 690 − 300 = 390/s, drains in 18.18 s.
			name: "growing partition beside a draining one", hist: assign(history(10, linear(8600, 0, 0, 400), linear(2000, 300, 0, 290)), "m0", "m0"), model: "group",
			drainedIn: 7090.0 / 390, growth: -390, backlog: []float64{0, 0, 0},
		},
		{
			// The same on two workers: t/1's never drains.
			name: "growing worker beside a draining one", hist: assign(history(10, linear(8600, 0, 0, 400), linear(2000, 300, 0, 290)), "m0", "m1"), model: "workers",
			drainedIn: math.Inf(1), growth: -390, backlog: []float64{2090 + 3000, 2090 + 9000, 2090 + 36000},
		},
		{
			// 100/s for 20 s more, then nothing: 4,200 left at 20 s,
			// gone at 300/s 14 s later.
			name: "rate plan", hist: draining, plan: mustPlan(t, "0s:100,20s:0"), model: "group",
			drainedIn: 34, growth: -200, backlog: []float64{0, 0, 0}, timeLag: []float64{0, 0, 0},
		},
		{
			name: "rate plan growing", hist: draining, plan: mustPlan(t, "0s:x5"), model: "group",
			drainedIn: math.Inf(1), growth: 200,
			backlog: []float64{8200 + 60000, 8200 + 180000, 8200 + 720000},
		},
		{
			// The scenario from 10 s on: 100/s for 20 s, then silent.
			name: "scenario", hist: draining, plan: ScenarioPlan{Scenario: sc, At: 10 * time.Second}, model: "group",
			drainedIn: 34, growth: -200, backlog: []float64{0, 0, 0},
		},
		{
			// At ×2 the same 2,000 events come in 10 s at 200/s: 7,200
			// left at 10 s, gone at 300/s 24 s later, as uncompressed
			// (the backlog never empties in between), but it falls at
			// 100/s now.
			name: "scenario compressed", hist: draining, plan: ScenarioPlan{Scenario: sc, At: 10 * time.Second, Speedup: 2}, model: "group",
			drainedIn: 10 + 7200.0/300, growth: -100, backlog: []float64{0, 0, 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := EstimateGroup(tc.hist, origin, Options{})
			f := ForecastGroup(e, ForecastOptions{Plan: tc.plan, PlanStart: e.Now, Interval: 1})
			if f == nil {
				t.Fatalf("no forecast; state %s", e.State)
			}
			if f.Model != tc.model {
				t.Errorf("model = %s (%s), want %s", f.Model, f.HotPartition, tc.model)
			}
			if !near(f.DrainedIn, tc.drainedIn, 1e-6) {
				t.Errorf("drained in = %v, want %v", f.DrainedIn, tc.drainedIn)
			}
			if !near(f.Growth, tc.growth, 1e-6) {
				t.Errorf("growth = %v, want %v", f.Growth, tc.growth)
			}
			for i, want := range tc.backlog {
				if !near(f.Backlog[i], want, 1e-6) {
					t.Errorf("backlog in %vs = %v, want %v", Horizons[i], f.Backlog[i], want)
				}
			}
			for i, want := range tc.timeLag {
				if !near(f.TimeLag[i], want, 1e-4) {
					t.Errorf("time lag in %vs = %v, want %v", Horizons[i], f.TimeLag[i], want)
				}
			}
		})
	}
}

// TestEstimatePartitionJoins checks that a partition the group starts
// committing on joins the sums without cutting the window.
func TestEstimatePartitionJoins(t *testing.T) {
	joins := func(k int) (int64, int64) {
		if k < 5 {
			return -1, -1
		}
		return 50, 50
	}
	e := EstimateGroup(history(10, linear(1000, 200, 0, 100), joins), origin, Options{})
	if e.State != Growing || e.Samples != 10 || !near(e.Input.Value, 200, 1e-9) || !near(e.Processing.Value, 100, 1e-9) {
		t.Errorf("state %s over %d samples, λ %v, μ %v; want growing over 10, 200, 100", e.State, e.Samples, e.Input.Value, e.Processing.Value)
	}
	if p := e.Partitions[1]; p.Stalled || p.State != KeepingUp {
		t.Errorf("the new partition is %s (stalled %v), want keeping-up", p.State, p.Stalled)
	}
}

// TestForecastHotPartitionNamed checks which partition is named hot.
func TestForecastHotPartitionNamed(t *testing.T) {
	e := EstimateGroup(assign(history(10, linear(5450, 100, 0, 150), linear(1900, 100, 0, 200)), "m0", "m1"), origin, Options{})
	f := ForecastGroup(e, ForecastOptions{Interval: 1})
	if f.HotPartition != "t/0" || !near(f.DrainedIn, 100, 1e-6) {
		t.Errorf("hot partition %q drained in %v, want t/0 in 100", f.HotPartition, f.DrainedIn)
	}
}

// TestForecastBands checks the drain band on noisy commits: it holds the
// estimate, and is wider the noisier the commits.
func TestForecastBands(t *testing.T) {
	noisy := func(amp float64) []GroupSample {
		jitter := []float64{0, 1, -1, 0.5, -0.5, 1, -1, 0, 0.5, -0.5}
		return history(10, func(k int) (int64, int64) {
			return int64(10000 + 100*k), int64(300*float64(k) + amp*jitter[k])
		})
	}
	var widths []float64
	for _, amp := range []float64{20, 80} {
		e := EstimateGroup(noisy(amp), origin, Options{})
		f := ForecastGroup(e, ForecastOptions{Interval: 1})
		if !(f.DrainedInLow < f.DrainedIn && f.DrainedIn < f.DrainedInHigh) {
			t.Fatalf("amp %v: drain band %v < %v < %v does not hold", amp, f.DrainedInLow, f.DrainedIn, f.DrainedInHigh)
		}
		if !(f.GrowthLow < f.Growth && f.Growth < f.GrowthHigh) {
			t.Errorf("amp %v: growth band %v < %v < %v does not hold", amp, f.GrowthLow, f.Growth, f.GrowthHigh)
		}
		widths = append(widths, f.DrainedInHigh-f.DrainedInLow)
	}
	if !(widths[1] > widths[0]) {
		t.Errorf("band widths %v: want the noisier wider", widths)
	}
}

// TestEstimateTimeLag checks the time lag from record timestamps, and the
// interpolation from the sampled end offsets when there are none.
func TestEstimateTimeLag(t *testing.T) {
	h := history(10, linear(0, 200, 0, 100)) // committed 900 at 9 s; offset 900 was appended at 4.5 s
	e := EstimateGroup(h, origin, Options{})
	if e.TimeLagSource != TimeLagInterpolated || !near(e.TimeLag, 4.495, 1e-9) {
		t.Errorf("interpolated: %v from %s, want 4.495 (offset 900 is the 901st, at 4.505 s)", e.TimeLag, e.TimeLagSource)
	}
	h[9].Partitions[0].RecordTime = origin.Add(4 * time.Second)
	e = EstimateGroup(h, origin, Options{})
	if e.TimeLagSource != TimeLagTimestamp || !near(e.TimeLag, 5, 1e-9) {
		t.Errorf("from the timestamp: %v from %s, want 5", e.TimeLag, e.TimeLagSource)
	}
}

func TestPlanWorkers(t *testing.T) {
	tests := []struct {
		name     string
		hist     []GroupSample
		within   float64
		capacity float64
		workers  int
		feasible bool
	}{
		// 8,200 left at 100/s in: 510/s drains it in 20 s; 2 members
		// at 150/s each, so 4.
		{"draining", history(10, linear(10000, 100, 0, 300)), 20, 510, 4, true},
		// 1,900 left at 200/s in, in 10 minutes: 203.17/s, 50/s a worker.
		{"growing", history(10, linear(1000, 200, 0, 100)), 600, 200 + 1900.0/600, 5, true},
		{"stalled", history(10, func(k int) (int64, int64) { return int64(1000 + 100*k), 500 }), 600, 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := EstimateGroup(tc.hist, origin, Options{})
			f := ForecastGroup(e, ForecastOptions{Interval: 1})
			wp := PlanWorkers(e, f, tc.within, ForecastOptions{})
			if wp.Feasible != tc.feasible {
				t.Fatalf("feasible = %v (%s), want %v", wp.Feasible, wp.Note, tc.feasible)
			}
			if !tc.feasible {
				return
			}
			if !near(wp.Capacity, tc.capacity, 2e-4) || wp.Workers != tc.workers {
				t.Errorf("capacity %v, workers %d; want %v, %d", wp.Capacity, wp.Workers, tc.capacity, tc.workers)
			}
		})
	}
}

func TestParseRatePlan(t *testing.T) {
	p, err := ParseRatePlan("10m:250, 5m:x1.5,30s:0")
	if err != nil {
		t.Fatal(err)
	}
	want := []RateStep{{10 * time.Minute, 250, false}, {5 * time.Minute, 1.5, true}, {30 * time.Second, 0, false}}
	if len(p.Steps) != len(want) {
		t.Fatalf("steps = %+v, want %+v", p.Steps, want)
	}
	for i := range want {
		if p.Steps[i] != want[i] {
			t.Errorf("step %d = %+v, want %+v", i, p.Steps[i], want[i])
		}
	}
	// 200/s measured over two topics, 150 and 50: the plan's absolute
	// rates are shared the same way.
	s := p.Input("a", 150, 200, 2, 0)[0]
	for _, c := range []struct{ t, want float64 }{{0, 150}, {599, 150}, {600, 187.5}, {899, 187.5}, {900, 225}, {929, 225}, {930, 0}, {1e6, 0}} {
		if got := s.Rate(c.t); !near(got, c.want, 1e-9) {
			t.Errorf("rate at %vs = %v, want %v", c.t, got, c.want)
		}
	}
	for _, bad := range []string{"", "10m", "10m:", "x:5", "-1m:5", "1m:-5", "1m:NaN", "1m:Inf", "1m:5,0s:3", "1m:xx2"} {
		if _, err := ParseRatePlan(bad); !errors.Is(err, ErrRatePlan) {
			t.Errorf("ParseRatePlan(%q) = %v, want ErrRatePlan", bad, err)
		}
	}
}

func FuzzParseRatePlan(f *testing.F) {
	for _, s := range []string{"10m:250,5m:100", "0s:x2,5m:0", "1h:1e3", ",", "1m:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseRatePlan(s)
		if err != nil {
			if !errors.Is(err, ErrRatePlan) {
				t.Fatalf("error %v does not wrap ErrRatePlan", err)
			}
			return
		}
		in := p.Input("t", 10, 10, 1, 0)[0]
		for _, x := range []float64{0, 1, 60, 3600, 1e9} {
			if r := in.Rate(x); r < 0 || math.IsNaN(r) || math.IsInf(r, 0) {
				t.Fatalf("%q: rate at %v = %v", s, x, r)
			}
		}
	})
}

func TestScenarioPlanTopics(t *testing.T) {
	sc, err := scenario.Parse("p.yaml", []byte(`topics: {orders: {partitions: 1}, clicks: {partitions: 1}}
producers:
  o: {topic: orders, phases: [{duration: 10s, rate: 100}]}
groups:
  g: {topics: [orders, clicks], capacity: 300}
`))
	if err != nil {
		t.Fatal(err)
	}
	p := ScenarioPlan{Scenario: sc}
	for _, c := range []struct {
		topic string
		want  float64 // rate at 5 s
	}{{"orders", 100}, {"bb-20250101T000000-orders", 100}, {"clicks", 0}, {"other", 42}, {"xorders", 42}} {
		var got float64
		for _, s := range p.Input(c.topic, 42, 42, 1, 0) {
			got += s.Rate(5)
		}
		if got != c.want {
			t.Errorf("%s: rate at 5 s = %v, want %v", c.topic, got, c.want)
		}
	}
}

// TestForecastNoisy forecasts many noisy draining groups, like a live one
// (reads at jittered times, commits and ends a few offsets off, record
// timestamps off by ±20%): a draining group always drains, within its
// band, and the JSON never has a NaN.
func TestForecastNoisy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 2000 {
		var h []GroupSample
		b0 := 6000 + rng.Float64()*3000
		for k := range 10 {
			at := origin.Add(time.Duration(float64(k)*0.2e9 + rng.Float64()*2e7))
			ct := at.Add(-time.Duration(rng.Float64() * 3e6))
			g := GroupSample{Group: "g", Members: 1, CommittedAt: ct, EndAt: at}
			for p := range 3 {
				e := int64(20000 + b0/3 + 2000.0/3*at.Sub(origin).Seconds() + rng.Float64()*5)
				c := int64(20000 + 2500.0/3*ct.Sub(origin).Seconds() + rng.Float64()*10)
				ps := PartitionSample{Topic: "orders", Partition: int32(p), End: e, Committed: c, Member: "m"}
				ps.RecordTime = at.Add(-time.Duration(float64(e-c) / (2000.0 / 3) * 1e9 * (0.8 + 0.4*rng.Float64())))
				g.Partitions = append(g.Partitions, ps)
			}
			h = append(h, g)
		}
		e := EstimateGroup(h, origin, Options{})
		f := ForecastGroup(e, ForecastOptions{Interval: 0.2})
		if e.State != Draining {
			t.Fatalf("trial %d: %s, want draining (λ %v, μ %v)", trial, e.State, e.Input, e.Processing)
		}
		if want := float64(e.Lag) / (e.Processing.Value - e.Input.Value); !near(f.DrainedIn, want, 0.05) ||
			!(f.DrainedInLow <= f.DrainedIn && f.DrainedIn <= f.DrainedInHigh) {
			t.Fatalf("trial %d: drained in %v (%v–%v), want about %v", trial, f.DrainedIn, f.DrainedInLow, f.DrainedInHigh, want)
		}
		b, err := json.Marshal(NewGroupReport(e, f, PlanWorkers(e, f, 10, ForecastOptions{})))
		if err != nil || strings.Contains(string(b), "NaN") {
			t.Fatalf("trial %d: %v %s", trial, err, b)
		}
	}
}

// TestPlanAnchored checks that a plan runs from the start of the watch,
// not from each forecast: 9 s in, 11 s of "0s:100,20s:0" are left.
func TestPlanAnchored(t *testing.T) {
	e := EstimateGroup(history(10, linear(10000, 100, 0, 300)), origin, Options{}) // 8,200 left at 9 s
	f := ForecastGroup(e, ForecastOptions{Plan: mustPlan(t, "0s:100,20s:0"), Interval: 1})
	if want := 11 + (8200-200*11)/300.0; !near(f.DrainedIn, want, 1e-6) {
		t.Errorf("rate plan: drained in %v, want %v", f.DrainedIn, want)
	}
	// A scenario that starts 20 scenario seconds (10 s at ×2) after the
	// watch: 1 s of silence left, then 200/s for 5 s, then silence again.
	sc, err := scenario.Parse("late.yaml", []byte(`topics: {t: {partitions: 1}}
producers:
  p: {topic: t, phases: [{duration: 10s, rate: 100}]}
groups:
  g: {topics: [t], capacity: 300}
`))
	if err != nil {
		t.Fatal(err)
	}
	f = ForecastGroup(e, ForecastOptions{Plan: ScenarioPlan{Scenario: sc, At: -20 * time.Second, Speedup: 2}, Interval: 1})
	// 8,200 − 300 in the silent second, − 100·5 while it produces, then
	// the rest at 300/s.
	if want := 6 + (8200-300-100*5)/300.0; !near(f.DrainedIn, want, 1e-6) {
		t.Errorf("late scenario: drained in %v, want %v", f.DrainedIn, want)
	}
}

// TestEstimatePartitionJoinsLagging checks that a partition joining with a
// backlog (its member served it before its first commit, unseen) restarts
// the rates: μ is measured again from the join, not biased low by the work
// done before it.
func TestEstimatePartitionJoinsLagging(t *testing.T) {
	// Partition 1 is read from sample 5 on, already 2,000 behind; the group
	// commits 300/s on partition 0 and 200/s on partition 1.
	joins := func(k int) (int64, int64) {
		if k < 5 {
			return -1, -1
		}
		return int64(3000 + 100*k), int64(200 * k)
	}
	hist := history(10, linear(20000, 100, 0, 300), joins)
	e := EstimateGroup(hist, origin, Options{})
	if e.Samples != 5 || !near(e.Input.Value, 200, 1e-9) || !near(e.Processing.Value, 500, 1e-9) || e.State != Draining {
		t.Errorf("%s over %d samples, λ %v, μ %v; want draining over 5, 200, 500", e.State, e.Samples, e.Input.Value, e.Processing.Value)
	}
	// Three samples after the join: too few to measure μ again.
	if e := EstimateGroup(hist[:7], origin, Options{}); e.State != Measuring {
		t.Errorf("two samples after the join: %s, want measuring", e.State)
	}
}
