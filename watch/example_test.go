package watch_test

import (
	"fmt"
	"time"

	"github.com/backlogbench/backlogbench/watch"
)

// A group 10,000 records behind, taking 300/s while 100/s arrive: five
// samples a second apart, then its estimate and forecast.
func ExampleForecastGroup() {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var hist []watch.GroupSample
	for k := range 5 {
		at := start.Add(time.Duration(k) * time.Second)
		hist = append(hist, watch.GroupSample{Group: "analytics", Members: 2, CommittedAt: at, EndAt: at,
			Partitions: []watch.PartitionSample{{Topic: "orders", End: int64(10000 + 100*k), Committed: int64(300 * k)}}})
	}
	e := watch.EstimateGroup(hist, start, watch.Options{})
	f := watch.ForecastGroup(e, watch.ForecastOptions{})
	fmt.Printf("%s: lag %d, λ %.0f/s, μ %.0f/s\n", e.State, e.Lag, e.Input.Value, e.Processing.Value)
	fmt.Printf("drains in %.0f s, at %.0f/s\n", f.DrainedIn, f.Growth)
	wp := watch.PlanWorkers(e, f, 20, watch.ForecastOptions{})
	fmt.Printf("within 20 s: %.0f/s, %d workers\n", wp.Capacity, wp.Workers)
	// Output:
	// draining: lag 9200, λ 100/s, μ 300/s
	// drains in 46 s, at -200/s
	// within 20 s: 560/s, 4 workers
}

func ExampleParseRatePlan() {
	p, err := watch.ParseRatePlan("10m:250,5m:x0.5")
	if err != nil {
		fmt.Println(err)
		return
	}
	// 200/s measured: 200 for 10 minutes, then 250, then half the
	// measured rate.
	in := p.Input("orders", 200, 200, 1, 0)[0]
	for _, t := range []float64{0, 600, 900} {
		fmt.Printf("at %4.0f s: %.0f/s\n", t, in.Rate(t))
	}
	_, err = watch.ParseRatePlan("10m")
	fmt.Println(err)
	// Output:
	// at    0 s: 200/s
	// at  600 s: 250/s
	// at  900 s: 100/s
	// bad rate plan: step 1 "10m": want DUR:RATE, such as 10m:250 or 0s:x2
}
