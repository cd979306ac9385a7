package consumer

import (
	"errors"
	"testing"

	"github.com/backlogbench/backlogbench/event"
)

// TestErrOutside: a worker's errors fail the run unless each came within
// a second of a broker outage's window.
func TestErrOutside(t *testing.T) {
	newStats := func() *Stats {
		return NewStats(StatsConfig{Workers: 1, Partitions: map[string]int{"t": 1}, Kinds: []event.Kind{event.Order, event.Order}, Seed: 1})
	}
	outage := [][2]float64{{30, 36.5}}
	first := errors.New("fetch: unable to dial")
	tests := []struct {
		name    string
		at      []float64
		windows [][2]float64
		want    error
	}{
		{"none", nil, outage, nil},
		{"inside", []float64{30.2, 33, 36.9}, outage, nil},
		{"a second early", []float64{29.5}, outage, nil},
		{"too early", []float64{27.9}, outage, first},
		{"after it", []float64{33, 38.1}, outage, first},
		{"within the slack", []float64{29.2, 37.0}, outage, nil},
		{"no outage", []float64{33}, nil, first},
		{"before scenario time 0", []float64{-0.5}, outage, first},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStats()
			for i, at := range tt.at {
				err := first
				if i > 0 {
					err = errors.New("later")
				}
				st.fail(err, at)
			}
			if got := st.ErrOutside(tt.windows, 0.5); got != tt.want {
				t.Errorf("ErrOutside = %v, want %v", got, tt.want)
			}
		})
	}
}
