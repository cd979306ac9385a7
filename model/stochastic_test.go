package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/backlogbench/backlogbench/rate"
	"github.com/backlogbench/backlogbench/service"
)

// TestGIM1 checks σ against known values: D/M/1 at ρ = 0.5 has σ = 0.2032
// (the root of σ = e^{−2(1−σ)}), and Poisson arrivals give σ = ρ.
func TestGIM1(t *testing.T) {
	d := GIM1(func(s float64) float64 { return math.Exp(-s / 0.5) }, 1)
	if math.Abs(d-0.20319) > 1e-4 {
		t.Errorf("D/M/1 at 0.5: σ = %v, want 0.2032", d)
	}
	if m := GIM1(func(s float64) float64 { return 0.8 / (0.8 + s) }, 1); math.Abs(m-0.8) > 1e-9 {
		t.Errorf("M/M/1 at 0.8: σ = %v, want 0.8", m)
	}
}

// TestLindley checks the numerical evaluation against the closed forms:
// GI/M/1 (deterministic and geometric arrivals), and the mean waiting time
// of M/G/1 (Pollaczek–Khinchine).
func TestLindley(t *testing.T) {
	const mu = 1.0
	tests := []struct {
		name string
		s    stream
		svc  service.Service
	}{
		{"D/M/1", stream{rate: 0.8 * 5, parts: 5, first: 2, held: 1}, service.Service{Dist: service.Exponential}},
		{"geometric/M/1", stream{rate: 4, keyed: true, q: 0.2}, service.Service{Dist: service.Exponential}},
		{"M/M/1", stream{rate: 0.8, poisson: true}, service.Service{Dist: service.Exponential}},
		{"M/D/1", stream{rate: 0.8, poisson: true}, service.Service{Dist: service.Constant}},
		{"M/lognormal/1", stream{rate: 0.7, poisson: true}, service.Service{Dist: service.Lognormal, CV: 0.5}},
	}
	for _, tt := range tests {
		rng := rand.New(rand.NewPCG(7, 7))
		xs := lindley([]stream{tt.s}, mu, tt.svc, 400_000, rng)
		d := dist{samples: xs}
		rho := tt.s.workerRate() / mu
		if lst, ok := renewal([]stream{tt.s}); ok && tt.svc.Dist == service.Exponential {
			r := mu * (1 - GIM1(lst, mu))
			for _, p := range []float64{0.5, 0.99} {
				want := -math.Log(1-p) / r
				got := xs[int(p*float64(len(xs)))]
				if math.Abs(got-want) > 0.04*want {
					t.Errorf("%s: p%v = %.3f, GI/M/1 says %.3f", tt.name, 100*p, got, want)
				}
			}
		}
		if tt.s.poisson {
			want := PollaczekKhinchine(rho, mu, tt.svc.SCV()) + 1/mu
			if got := d.mean(); math.Abs(got-want) > 0.04*want {
				t.Errorf("%s: mean time in system %.3f, Pollaczek–Khinchine says %.3f", tt.name, got, want)
			}
		}
	}
}

func TestStochastic(t *testing.T) {
	// 40 workers, one partition each, exponential service at ρ = 0.8:
	// D/M/1, closed form. σ = 0.6286: p50 = ln 2/(μ(1−σ)).
	g := Group{Topics: []Topic{even(40, rate.New(constant(300, 320)))}, Workers: 40, Capacity: forever(400)}
	l, ok := Stochastic(g, Predict(g), service.Service{Dist: service.Exponential}, 1)
	if !ok || l.Method != "GI/M/1" {
		t.Fatalf("Stochastic = %+v, %v; want GI/M/1", l, ok)
	}
	sigma := GIM1(func(s float64) float64 { return math.Exp(-s / 8) }, 10)
	if r := 10 * (1 - sigma); math.Abs(l.P50-math.Ln2/r) > 1e-6 || math.Abs(l.P99-math.Log(100)/r) > 1e-6 {
		t.Errorf("p50 %v p99 %v, want %v %v", l.P50, l.P99, math.Ln2/r, math.Log(100)/r)
	}
	// Two partitions a worker: runs of two events, evaluated numerically.
	g2 := Group{Topics: []Topic{even(40, rate.New(constant(300, 320)))}, Workers: 20, Capacity: forever(400)}
	l2, ok := Stochastic(g2, Predict(g2), service.Service{Dist: service.Exponential}, 1)
	if !ok || l2.Method != "Lindley" || !(l2.P99 > l.P99/2) {
		t.Errorf("two partitions a worker: %+v, %v", l2, ok)
	}
	// Overloaded: no stationary answer.
	g3 := Group{Topics: []Topic{even(4, rate.New(constant(300, 500)))}, Workers: 4, Capacity: forever(400)}
	if _, ok := Stochastic(g3, Predict(g3), service.Service{Dist: service.Exponential}, 1); ok {
		t.Error("an overloaded group has a stationary latency")
	}
}
