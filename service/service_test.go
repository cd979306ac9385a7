package service

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestServiceSample(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range []Service{{Dist: Constant}, {Dist: Exponential, CV: 1}, {Dist: Lognormal, CV: 0.5}, {Dist: Lognormal, CV: 2}} {
		const n = 400_000
		var sum, sq float64
		for range n {
			x := s.Sample(rng.Float64(), rng.Float64())
			sum += x
			sq += x * x
		}
		mean := sum / n
		cv := math.Sqrt(sq/n-mean*mean) / mean
		if math.Abs(mean-1) > 0.02 || math.Abs(cv*cv-s.SCV()) > 0.1*max(s.SCV(), 0.01) {
			t.Errorf("%+v: mean %.4f, cv² %.4f; want 1, %v", s, mean, cv*cv, s.SCV())
		}
	}
}

// The median of each distribution: u₁ = 1/2 is the exponential's median,
// ln 2, and u₂ = 1/4 makes z = 0, the lognormal's median e^m = 1/√(1+cv²).
func ExampleService_Sample() {
	for _, s := range []Service{{Dist: Constant}, {Dist: Exponential}, {Dist: Lognormal, CV: 0.5}} {
		fmt.Printf("%s: median %.4f, c² %.2f\n", s.Dist, s.Sample(0.5, 0.25), s.SCV())
	}
	// Output:
	// constant: median 1.0000, c² 0.00
	// exponential: median 0.6931, c² 1.00
	// lognormal: median 0.8944, c² 0.25
}
