// Package service defines the service-time distributions a worker draws
// its processing times from.
//
// A service time S is in units of its mean, E[S] = 1: a worker at capacity
// μ records/s takes S/μ for a record, so a distribution changes how
// processing times vary and never the worker's capacity. Each distribution
// is sampled by inversion or transformation from two independent uniform
// numbers u₁, u₂ in [0, 1), so a caller that owns the random stream (a
// seeded hash, a math/rand/v2 source) gets reproducible draws:
//
//   - constant: S = 1, c²ₛ = 0;
//   - exponential: P(S > x) = e^{−x}, drawn by inversion as
//     S = −ln(1 − u₁), c²ₛ = 1 (memoryless, the M/M/1 server);
//   - lognormal with coefficient of variation cv: ln S ~ N(m, σ²) with
//     σ² = ln(1 + cv²) and m = −σ²/2, so E[S] = e^{m+σ²/2} = 1 and
//     Var S = e^{σ²} − 1 = cv², c²ₛ = cv². It is drawn as S = e^{m+σz}
//     with z = √(−2 ln(1 − u₁))·cos(2πu₂) a standard normal (Box–Muller).
//
// c²ₛ = Var S / E[S]² is the squared coefficient of variation that
// queueing formulas such as Pollaczek–Khinchine's take.
//
// The package depends on the standard library only, so the consumer's hot
// path can draw service times without the prediction model.
package service

import "math"

// The service-time distributions, as Service.Dist names them.
const (
	Constant    = "constant"
	Exponential = "exponential"
	Lognormal   = "lognormal"
)

// Service is a distribution of service times in units of their mean: a
// worker at capacity μ takes S/μ for a record, S drawn from it.
type Service struct {
	// Dist is Constant, Exponential or Lognormal.
	Dist string
	// CV is the coefficient of variation of a lognormal (0 for constant,
	// 1 for exponential).
	CV float64
}

// Sample returns a service time of mean 1 from two independent uniform
// numbers in [0, 1): 1 (constant), −ln(1−u₁) (exponential), or
// exp(m + σz) with σ² = ln(1+cv²), m = −σ²/2 and z = √(−2 ln(1−u₁))·cos(2πu₂)
// a standard normal (lognormal, Box–Muller).
func (s Service) Sample(u1, u2 float64) float64 {
	switch s.Dist {
	case Exponential:
		return -math.Log1p(-u1)
	case Lognormal:
		v := math.Log1p(s.CV * s.CV)
		z := math.Sqrt(-2*math.Log1p(-u1)) * math.Cos(2*math.Pi*u2)
		return math.Exp(-v/2 + math.Sqrt(v)*z)
	}
	return 1
}

// SCV returns the squared coefficient of variation, c²ₛ.
func (s Service) SCV() float64 {
	switch s.Dist {
	case Exponential:
		return 1
	case Lognormal:
		return s.CV * s.CV
	}
	return 0
}
