package bench

import (
	"reflect"
	"testing"

	"github.com/backlogbench/backlogbench/report"
	"github.com/backlogbench/backlogbench/scenario"
)

func TestCriticalPathSummary(t *testing.T) {
	sc, err := scenario.Load("flash-sale")
	if err != nil {
		t.Fatal(err)
	}
	s := criticalPathSummary(sc, 30, nil)
	if s == nil {
		t.Fatal("flash-sale has a critical path")
	}
	if s.SyncLatencyMs != 315 || report.Percent(s.SyncAvailability) != "99.4015%" || s.AsyncLatencyMs != 290 || !reflect.DeepEqual(s.Moved, []string{"notification"}) {
		t.Errorf("critical path %+v", s)
	}
}
