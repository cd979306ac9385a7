package verdict

import (
	"reflect"
	"testing"

	"github.com/backlogbench/backlogbench/results"
)

func TestLatencyVerdicts(t *testing.T) {
	stoch := results.Predicted{LatencyMs: &results.PredictedLatency{P50: 100, P99: 1000, Method: "GI/M/1"}}
	fluid := results.Predicted{LatencyMs: &results.PredictedLatency{P50: 100, P99: 1000, Method: "fluid"}}
	obs := results.Observed{LatencyMs: results.LatencyMs{P50: 108, P99: 1150}}
	if got, want := Latency(stoch, obs, 0.02), map[string]string{"latency_p50": Pass, "latency_p99": Fail}; !reflect.DeepEqual(got, want) {
		t.Errorf("stochastic: %v, want %v", got, want)
	}
	if got := Latency(fluid, obs, 0.02); got != nil {
		t.Errorf("fluid: %v, want no verdicts", got)
	}
}
