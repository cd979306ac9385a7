// Package bench orchestrates a backlogbench run: it predicts every group's
// backlog from the scenario, plays the scenario against a Kafka broker
// (embedded or real), samples what happens, and compares the two.
package bench

import (
	"math"

	"github.com/backlogbench/backlogbench/model"
	"github.com/backlogbench/backlogbench/scenario"
)

// Figures are a group's headline numbers, predicted or observed, in
// scenario units. DrainedAtS is nil when the backlog never drains.
type Figures struct {
	Events      float64  `json:"events"`
	PeakBacklog float64  `json:"peak_backlog"`
	PeakAtS     float64  `json:"peak_at_s"`
	GrowthRate  float64  `json:"growth_rate"`
	DrainedAtS  *float64 `json:"drained_at_s"`
}

// GroupPrediction is the model's answer for one group, with the curve.
type GroupPrediction struct {
	Name string
	// EffectiveCapacity is the group's capacity at time 0 scaled by its
	// active workers; MaxCapacity is the largest capacity of its phases
	// (the floor of backlog verdicts is one second of it).
	ActiveWorkers int
	MaxCapacity   float64
	model.Prediction
}

// Figures returns the prediction's headline numbers.
func (p GroupPrediction) Figures() Figures {
	f := Figures{
		Events:      p.Events,
		PeakBacklog: p.PeakBacklog,
		PeakAtS:     p.PeakAtS,
		GrowthRate:  p.GrowthRate,
	}
	if !math.IsInf(p.DrainedAtS, 1) {
		d := p.DrainedAtS
		f.DrainedAtS = &d
	}
	return f
}

// Predict runs the fluid model for every group of the scenario, in name
// order.
func Predict(sc *scenario.Scenario) []GroupPrediction {
	var out []GroupPrediction
	for _, name := range sc.GroupNames() {
		g := sc.Groups[name]
		mc := g.Capacity
		for _, ph := range g.Phases {
			mc = max(mc, ph.Capacity)
		}
		out = append(out, GroupPrediction{
			Name:          name,
			ActiveWorkers: sc.ActiveWorkers(g),
			MaxCapacity:   mc,
			Prediction:    model.Fluid(sc.Inputs(g), sc.EffectiveCapacity(g)),
		})
	}
	return out
}
