package model

import (
	"math"
	"testing"

	"github.com/backlogbench/backlogbench/rate"
)

func seedAnalytics() Prediction {
	return Fluid([]rate.Schedule{rate.New(constant(600, 100)), rate.New(constant(120, 0), constant(300, 80))}, forever(120))
}

func outage() Prediction {
	return Fluid([]rate.Schedule{rate.New(constant(300, 100))},
		rate.New(constant(60, 150), constant(60, 0), rate.Segment{Dur: math.Inf(1), From: 150, To: 150}))
}

func TestWait(t *testing.T) {
	tests := []struct {
		name    string
		pr      Prediction
		s, want float64
	}{
		{"seed, before the clicks", seedAnalytics(), 60, 0},
		// B(320) = 12,000 events ahead at 120/s.
		{"seed, during the burst", seedAnalytics(), 320, 100},
		{"seed, at the peak", seedAnalytics(), 420, 150},
		{"seed, last order", seedAnalytics(), 600, 120},
		// The outage: an event at 1:00 waits for the capacity to return.
		{"outage, its start", outage(), 60, 60},
		{"outage, a second in", outage(), 61, 60 - 1 + 100.0/150},
		{"outage, its end", outage(), 120, 40},
		{"outage, after the drain", outage(), 250, 0},
	}
	for _, tt := range tests {
		if got := tt.pr.Queues[0].Wait(tt.s); math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("%s: Wait(%v) = %v, want %v", tt.name, tt.s, got, tt.want)
		}
	}
}

func TestTimeLag(t *testing.T) {
	tests := []struct {
		name    string
		pr      Prediction
		t, want float64
	}{
		{"seed, empty", seedAnalytics(), 100, 0},
		// At 7:00 the event in service arrived at 5:20 (it waited 100 s).
		{"seed, at the peak", seedAnalytics(), 420, 100},
		// The event arriving at 7:00 is served at 9:30.
		{"seed, at 9:30", seedAnalytics(), 570, 150},
		{"outage, just before its end", outage(), 119, 59},
	}
	for _, tt := range tests {
		if got := tt.pr.TimeLag(tt.t); math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("%s: TimeLag(%v) = %v, want %v", tt.name, tt.t, got, tt.want)
		}
	}
}

func TestMaxTimeLag(t *testing.T) {
	tests := []struct {
		name string
		pr   Prediction
		want float64
	}{
		{"seed", seedAnalytics(), 150},
		{"outage", outage(), 60},
		{"keeps up", Fluid([]rate.Schedule{rate.New(constant(600, 100))}, forever(250)), 0},
		{"never drains", Fluid([]rate.Schedule{rate.New(constant(10, 100))}, rate.New(constant(5, 50), rate.Segment{Dur: math.Inf(1)})), math.Inf(1)},
		// A ramp 0→200 over 100 s against 100/s, then 200 for 50 s: the
		// event at 150 s finds 7,500 ahead: 75 s, the most.
		{"ramp", Fluid([]rate.Schedule{rate.New(rate.Segment{Dur: 100, From: 0, To: 200}, constant(50, 200))}, forever(100)), 75},
	}
	for _, tt := range tests {
		got := tt.pr.MaxTimeLag()
		if !(math.IsInf(tt.want, 1) && math.IsInf(got, 1)) && math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("%s: MaxTimeLag() = %v, want %v", tt.name, got, tt.want)
		}
		// A dense scan of the waits never exceeds it.
		q := tt.pr.Queues[0]
		for s := 0.0; s < 800 && !math.IsInf(got, 1); s += 0.25 {
			if w := q.Wait(s); w > got+1e-6 {
				t.Errorf("%s: Wait(%v) = %v > MaxTimeLag %v", tt.name, s, w, got)
				break
			}
		}
	}
}

func TestFluidLatency(t *testing.T) {
	// 100/s for 100 s against 50/s: the event at s waits B(s)/50 = s, so
	// waits are uniform on [0, 100].
	l := Fluid([]rate.Schedule{rate.New(constant(100, 100))}, forever(50)).FluidLatency()
	if math.Abs(l.P50-50) > 0.1 || math.Abs(l.P99-99) > 0.1 || math.Abs(l.Mean-50) > 0.1 {
		t.Errorf("FluidLatency() = %+v, want p50 50, p99 99, mean 50", l)
	}
	if l := Fluid([]rate.Schedule{rate.New(constant(100, 100))}, forever(150)).FluidLatency(); l.P50 != 0 || l.P99 != 0 {
		t.Errorf("a queue that keeps up: FluidLatency() = %+v, want 0", l)
	}
}
