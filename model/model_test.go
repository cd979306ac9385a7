package model

import (
	"math"
	"testing"

	"github.com/backlogbench/backlogbench/rate"
)

func constant(d, r float64) rate.Segment { return rate.Segment{Dur: d, From: r, To: r} }

func forever(r float64) rate.Schedule {
	return rate.New(rate.Segment{Dur: math.Inf(1), From: r, To: r})
}

func TestFluid(t *testing.T) {
	orders := rate.New(constant(600, 100))
	clicks := rate.New(constant(120, 0), constant(300, 80))
	tests := []struct {
		name     string
		inputs   []rate.Schedule
		capacity rate.Schedule
		want     Prediction // Curve is ignored
	}{
		{
			name:     "seed analytics",
			inputs:   []rate.Schedule{orders, clicks},
			capacity: forever(120),
			want:     Prediction{Events: 84000, PeakBacklog: 18000, PeakAtS: 420, GrowthRate: 60, GrowthFromS: 120, GrowthToS: 420, DrainedAtS: 720},
		},
		{
			name:     "seed email",
			inputs:   []rate.Schedule{orders},
			capacity: forever(250),
			want:     Prediction{Events: 60000},
		},
		{
			// 100/s for 5 min; capacity 150, 0 for a minute from 1:00, then
			// 150: 6,000 at 2:00, drains at 50/s by 4:00.
			name:     "outage",
			inputs:   []rate.Schedule{rate.New(constant(300, 100))},
			capacity: rate.New(constant(60, 150), constant(60, 0), rate.Segment{Dur: math.Inf(1), From: 150, To: 150}),
			want:     Prediction{Events: 30000, PeakBacklog: 6000, PeakAtS: 120, GrowthRate: 100, GrowthFromS: 60, GrowthToS: 120, DrainedAtS: 240},
		},
		{
			// A ramp 0→200 over 100 s against 100/s: busy from 50 s, slope
			// 2(t−50)... peak when λ falls back: here λ stays at 200 for 50 s
			// more: B(100) = ∫50..100 2(t−50) = 2500, then +100/s to 150 s =
			// 7,500, then drains at 100/s: 225 s.
			name:     "ramp",
			inputs:   []rate.Schedule{rate.New(rate.Segment{Dur: 100, From: 0, To: 200}, constant(50, 200))},
			capacity: forever(100),
			want:     Prediction{Events: 20000, PeakBacklog: 7500, PeakAtS: 150, GrowthRate: 100, GrowthFromS: 99.75, GrowthToS: 150, DrainedAtS: 225},
		},
		{
			name:     "never drains",
			inputs:   []rate.Schedule{rate.New(constant(10, 100))},
			capacity: rate.New(constant(5, 50), rate.Segment{Dur: math.Inf(1)}),
			want:     Prediction{Events: 1000, PeakBacklog: 750, PeakAtS: 10, GrowthRate: 100, GrowthFromS: 5, GrowthToS: 10, DrainedAtS: math.Inf(1)},
		},
		{
			// Busy then idle then busy again: two peaks, the larger wins.
			name:     "two bursts",
			inputs:   []rate.Schedule{rate.New(constant(10, 200), constant(100, 0), constant(20, 200))},
			capacity: forever(100),
			want:     Prediction{Events: 6000, PeakBacklog: 2000, PeakAtS: 130, GrowthRate: 100, GrowthFromS: 0, GrowthToS: 10, DrainedAtS: 150},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Fluid(tt.inputs, tt.capacity)
			check := func(what string, got, want float64) {
				t.Helper()
				if math.IsInf(want, 1) && math.IsInf(got, 1) {
					return
				}
				if math.Abs(got-want) > 1e-6*max(1, math.Abs(want)) {
					t.Errorf("%s = %v, want %v", what, got, want)
				}
			}
			check("events", got.Events, tt.want.Events)
			check("peak_backlog", got.PeakBacklog, tt.want.PeakBacklog)
			check("peak_at_s", got.PeakAtS, tt.want.PeakAtS)
			check("growth_rate", got.GrowthRate, tt.want.GrowthRate)
			check("growth_from", got.GrowthFromS, tt.want.GrowthFromS)
			check("growth_to", got.GrowthToS, tt.want.GrowthToS)
			check("drained_at_s", got.DrainedAtS, tt.want.DrainedAtS)
		})
	}
}

func TestCurveBacklog(t *testing.T) {
	pr := Fluid([]rate.Schedule{rate.New(constant(600, 100)), rate.New(constant(120, 0), constant(300, 80))}, forever(120))
	for _, tt := range []struct{ t, want float64 }{
		{0, 0}, {60, 0}, {120, 0}, {180, 3600}, {420, 18000}, {500, 16400}, {600, 14400}, {660, 7200}, {720, 0}, {900, 0},
	} {
		if got := pr.Curve.Backlog(tt.t); math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("Backlog(%v) = %v, want %v", tt.t, got, tt.want)
		}
	}
}

// TestDrainAtHugeRates checks the drain where float64 rounding of a
// piece's end misjudges the backlog there: 1e15/s for 10 minutes against
// a capacity 166/s short of it leaves 99,600 events at 10:00, gone 1e-10 s
// later; B at the rounded end evaluates to ±100 events, which once made
// the backlog "never" drain. On 5 workers two hold 3 of the 12 partitions
// and fall behind at 5e13/s, then take 150 s to drain.
func TestDrainAtHugeRates(t *testing.T) {
	in := rate.New(constant(600, 1e15))
	tests := []struct {
		workers        int
		drained, drain float64 // drained at; its longest drain after a peak
	}{
		{4, 600, 0}, // the aggregate model
		{5, 750, 150},
	}
	for _, tt := range tests {
		pr := Predict(Group{Topics: []Topic{even(12, in)}, Workers: tt.workers, Capacity: forever(1e15 - 166)})
		if math.Abs(pr.DrainedAtS-tt.drained) > 1e-6 {
			t.Errorf("%d workers: drained at %v, want %v", tt.workers, pr.DrainedAtS, tt.drained)
		}
		if d := pr.LongestDrain(); math.Abs(d-tt.drain) > 1e-6 {
			t.Errorf("%d workers: longest drain %v, want %v", tt.workers, d, tt.drain)
		}
	}
}
