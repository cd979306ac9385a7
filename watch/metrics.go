package watch

import (
	"github.com/backlogbench/backlogbench/metrics"

	"math"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The Prometheus metrics of a watch, all gauges from the latest report. A
// figure that is unknown or infinite (a backlog that never drains) is left
// out rather than written as NaN or +Inf.
const (
	MetricLag            = "backlogbench_watch_lag_events"
	MetricTimeLag        = "backlogbench_watch_time_lag_seconds"
	MetricInputRate      = "backlogbench_watch_input_rate_events_per_second"
	MetricProcessingRate = "backlogbench_watch_processing_rate_events_per_second"
	MetricAtLeast        = "backlogbench_watch_processing_rate_at_least"
	MetricState          = "backlogbench_watch_state"
	MetricDrainedIn      = "backlogbench_watch_drained_in_seconds"
	MetricGrowth         = "backlogbench_watch_growth_events_per_second"
	MetricForecastLag    = "backlogbench_watch_forecast_backlog_events"
	MetricForecastTLag   = "backlogbench_watch_forecast_time_lag_seconds"
	MetricWorkersNeeded  = "backlogbench_watch_workers_needed"
	MetricCapacityNeeded = "backlogbench_watch_capacity_needed_events_per_second"
	MetricSamples        = "backlogbench_watch_samples"
)

var (
	descLag      = prometheus.NewDesc(MetricLag, "Log end offsets minus committed offsets over the group's partitions.", []string{"group"}, nil)
	descTimeLag  = prometheus.NewDesc(MetricTimeLag, "Age of the group's oldest unprocessed record.", []string{"group"}, nil)
	descInput    = prometheus.NewDesc(MetricInputRate, "Input rate of the group's partitions (slope of the log end offsets), and the ends of its ±2 SE band.", []string{"group", "bound"}, nil)
	descProc     = prometheus.NewDesc(MetricProcessingRate, "Processing rate (slope of the committed offsets while backlogged), and the ends of its ±2 SE band.", []string{"group", "bound"}, nil)
	descAtLeast  = prometheus.NewDesc(MetricAtLeast, "1 when the group keeps up, so its processing rate is only known to be at least its input rate.", []string{"group"}, nil)
	descState    = prometheus.NewDesc(MetricState, "1 for the group's state.", []string{"group", "state"}, nil)
	descDrained  = prometheus.NewDesc(MetricDrainedIn, "Forecast time until the group's backlog is gone, and the ends of its band; absent when it keeps up or never drains.", []string{"group", "bound"}, nil)
	descGrowth   = prometheus.NewDesc(MetricGrowth, "Forecast growth of the backlog now (negative while draining).", []string{"group", "bound"}, nil)
	descFLag     = prometheus.NewDesc(MetricForecastLag, "Forecast backlog after the horizon.", []string{"group", "horizon"}, nil)
	descFTLag    = prometheus.NewDesc(MetricForecastTLag, "Forecast time lag after the horizon.", []string{"group", "horizon"}, nil)
	descWorkers  = prometheus.NewDesc(MetricWorkersNeeded, "Workers that drain the group within --drain-within, at the current processing rate per member.", []string{"group"}, nil)
	descCapacity = prometheus.NewDesc(MetricCapacityNeeded, "Processing rate that drains the group within --drain-within.", []string{"group"}, nil)
	descSamples  = prometheus.NewDesc(MetricSamples, "Samples taken since the watch started.", nil, nil)
)

// states are every state a group can be in, for the state gauge.
var states = []string{KeepingUp, Draining, Growing, Stalled, Measuring, NoCommits, NoTopic, Unreadable}

// Collector exposes the latest report as Prometheus metrics.
type Collector struct {
	mu      sync.Mutex
	last    *Report
	samples int
}

// Observe records a report.
func (c *Collector) Observe(r Report) {
	c.mu.Lock()
	c.last = &r
	c.samples++
	c.mu.Unlock()
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLag, descTimeLag, descInput, descProc, descAtLeast, descState, descDrained, descGrowth, descFLag, descFTLag, descWorkers, descCapacity, descSamples} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	last, n := c.last, c.samples
	c.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(descSamples, prometheus.GaugeValue, float64(n))
	if last == nil {
		return
	}
	gauge := func(d *prometheus.Desc, v Num, labels ...string) {
		if f := float64(v); !math.IsNaN(f) && !math.IsInf(f, 0) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, f, labels...)
		}
	}
	b2n := func(b bool) Num {
		if b {
			return 1
		}
		return 0
	}
	for _, g := range last.Groups {
		for _, s := range states {
			gauge(descState, b2n(g.State == s), g.Group, s)
		}
		if g.Lag != nil {
			gauge(descLag, Num(*g.Lag), g.Group)
			gauge(descTimeLag, g.TimeLag, g.Group)
		}
		gauge(descInput, g.InputRate, g.Group, "estimate")
		gauge(descInput, g.InputLow, g.Group, "low")
		gauge(descInput, g.InputHigh, g.Group, "high")
		gauge(descProc, g.ProcRate, g.Group, "estimate")
		gauge(descProc, g.ProcLow, g.Group, "low")
		gauge(descProc, g.ProcHigh, g.Group, "high")
		gauge(descAtLeast, b2n(g.ProcAtLeast), g.Group)
		if f := g.Forecast; f != nil {
			gauge(descDrained, f.DrainedIn, g.Group, "estimate")
			gauge(descDrained, f.DrainedInLow, g.Group, "low")
			gauge(descDrained, f.DrainedInHigh, g.Group, "high")
			gauge(descGrowth, f.Growth, g.Group, "estimate")
			gauge(descGrowth, f.GrowthLow, g.Group, "low")
			gauge(descGrowth, f.GrowthHigh, g.Group, "high")
			for i, h := range []string{"5m", "15m", "60m"} {
				gauge(descFLag, []Num{f.BacklogIn5m, f.BacklogIn15m, f.BacklogIn60m}[i], g.Group, h)
				gauge(descFTLag, []Num{f.TimeLagIn5m, f.TimeLagIn15m, f.TimeLagIn60m}[i], g.Group, h)
			}
		}
		if p := g.Plan; p != nil && p.Feasible {
			gauge(descCapacity, p.Capacity, g.Group)
			if p.Workers != nil {
				gauge(descWorkers, Num(*p.Workers), g.Group)
			}
		}
	}
}

// MetricsServer serves a collector's metrics at /metrics on its own
// registry (the run's metrics server, package metrics).
type MetricsServer = metrics.Server

// ServeMetrics listens on addr (":9464", "127.0.0.1:0") and serves c
// until Close.
func ServeMetrics(addr string, c *Collector) (*MetricsServer, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil {
		return nil, err
	}
	return metrics.Serve(addr, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
}
