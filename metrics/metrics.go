// Package metrics serves a running backlogbench run's figures to
// Prometheus: per group the observed and predicted backlog, the offset lag,
// the time lag, the processed count and rate, and duplicates; per producer
// the acked count and rate and the errors.
//
// Figures are in scenario units, like everything backlogbench reports: a
// rate is events per scenario second and a time lag is scenario seconds,
// whatever the speedup. (Prometheus' rate() over a counter gives wall-time
// rates, which are speedup times higher in a compressed run.)
//
// The collector keeps only the latest sample, handed to it by Observe from
// the run's sampling goroutine; a scrape reads that one consistent sample.
package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/backlogbench/backlogbench/results"
	"github.com/backlogbench/backlogbench/scenario"
)

// Metric names, in Prometheus conventions: base units, _total on counters.
const (
	GroupBacklog          = "backlogbench_group_backlog_events"
	GroupPredictedBacklog = "backlogbench_group_predicted_backlog_events"
	GroupOffsetLag        = "backlogbench_group_offset_lag_events"
	GroupTimeLag          = "backlogbench_group_time_lag_seconds"
	GroupProcessed        = "backlogbench_group_processed_events_total"
	GroupProcessedRate    = "backlogbench_group_processed_rate_events_per_second"
	GroupDuplicates       = "backlogbench_group_duplicates_total"
	ProducerAcked         = "backlogbench_producer_acked_events_total"
	ProducerAckedRate     = "backlogbench_producer_acked_rate_events_per_second"
	ProducerErrors        = "backlogbench_producer_errors_total"
	ScenarioTime          = "backlogbench_scenario_time_seconds"
	RunInfo               = "backlogbench_run_info"
)

// rateWindow is the scenario time over which rates are averaged.
const rateWindow = 5.0

var (
	descBacklog   = prometheus.NewDesc(GroupBacklog, "Events acknowledged on the group's topics and not yet processed by it (exact, from the harness's counters).", []string{"group"}, nil)
	descPredicted = prometheus.NewDesc(GroupPredictedBacklog, "The fluid model's predicted backlog of the group at the current scenario time.", []string{"group"}, nil)
	descOffsetLag = prometheus.NewDesc(GroupOffsetLag, "Log end offsets minus committed offsets over the group's partitions, as the admin API reports it; absent before the first reading.", []string{"group"}, nil)
	descTimeLag   = prometheus.NewDesc(GroupTimeLag, "Age of the group's oldest unprocessed event, scenario seconds.", []string{"group"}, nil)
	descProcessed = prometheus.NewDesc(GroupProcessed, "Unique events the group has processed.", []string{"group"}, nil)
	descProcRate  = prometheus.NewDesc(GroupProcessedRate, "Events the group processed per scenario second, over the last 5 scenario seconds.", []string{"group"}, nil)
	descDups      = prometheus.NewDesc(GroupDuplicates, "Deliveries to the group of events it had already processed.", []string{"group"}, nil)
	descAcked     = prometheus.NewDesc(ProducerAcked, "Events the broker acknowledged to the producer.", []string{"producer"}, nil)
	descAckedRate = prometheus.NewDesc(ProducerAckedRate, "Events acknowledged per scenario second, over the last 5 scenario seconds.", []string{"producer"}, nil)
	descErrors    = prometheus.NewDesc(ProducerErrors, "Events the producer failed to produce.", []string{"producer"}, nil)
	descTime      = prometheus.NewDesc(ScenarioTime, "Scenario time of the latest sample.", nil, nil)
	descInfo      = prometheus.NewDesc(RunInfo, "The run being played: always 1.", []string{"scenario", "broker"}, nil)
)

// Collector exposes the latest sample of a run as Prometheus metrics.
type Collector struct {
	scenario, broker string
	groups, prods    []string

	mu     sync.Mutex
	last   *results.Sample
	window []results.Sample // samples of the last rateWindow scenario seconds
}

// NewCollector returns a collector for a run of sc; broker labels the run
// ("embedded" or the seed brokers).
func NewCollector(sc *scenario.Scenario, broker string) *Collector {
	return &Collector{scenario: sc.Name, broker: broker, groups: sc.GroupNames(), prods: sc.ProducerNames()}
}

// Observe records a sample. It is cheap and never blocks on a scrape for
// longer than copying a sample: use it as bench.Config.OnSample.
func (c *Collector) Observe(s results.Sample) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = &s
	c.window = append(c.window, s)
	i := 0
	for i < len(c.window)-1 && c.window[i].T < s.T-rateWindow {
		i++
	}
	c.window = c.window[i:]
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBacklog, descPredicted, descOffsetLag, descTimeLag, descProcessed, descProcRate, descDups, descAcked, descAckedRate, descErrors, descTime, descInfo} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descInfo, prometheus.GaugeValue, 1, c.scenario, c.broker)
	c.mu.Lock()
	last := c.last
	var first *results.Sample
	if len(c.window) > 1 {
		first = &c.window[0]
	}
	c.mu.Unlock()
	if last == nil {
		return
	}
	dt := 0.0
	if first != nil {
		dt = last.T - first.T
	}
	gauge := func(d *prometheus.Desc, v float64, label string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, label)
	}
	counter := func(d *prometheus.Desc, v float64, label string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, label)
	}
	ch <- prometheus.MustNewConstMetric(descTime, prometheus.GaugeValue, last.T)
	for i, g := range c.groups {
		if i >= len(last.Groups) {
			break
		}
		gs := last.Groups[i]
		gauge(descBacklog, float64(gs.Backlog), g)
		gauge(descPredicted, gs.Predicted, g)
		if gs.OffsetLag >= 0 {
			gauge(descOffsetLag, float64(gs.OffsetLag), g)
		}
		gauge(descTimeLag, gs.TimeLag, g)
		counter(descProcessed, float64(gs.Processed), g)
		counter(descDups, float64(gs.Duplicates), g)
		if dt > 0 {
			gauge(descProcRate, float64(gs.Processed-first.Groups[i].Processed)/dt, g)
		}
	}
	for i, p := range c.prods {
		if i >= len(last.Acked) {
			break
		}
		counter(descAcked, float64(last.Acked[i]), p)
		if i < len(last.Failed) {
			counter(descErrors, float64(last.Failed[i]), p)
		}
		if dt > 0 {
			gauge(descAckedRate, float64(last.Acked[i]-first.Acked[i])/dt, p)
		}
	}
}

// Handler returns an HTTP handler serving the collector's metrics, with
// the Go runtime's and the process's, in the Prometheus exposition format.
func (c *Collector) Handler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("backlogbench metrics: /metrics\n"))
	})
	return mux
}

// Server serves a collector's metrics on an address.
type Server struct {
	ln  net.Listener
	srv *http.Server
	err chan error
}

// Serve listens on addr (":9464", "127.0.0.1:0") and serves h at
// /metrics until Close.
func Serve(addr string, h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}, err: make(chan error, 1)}
	go func() { s.err <- s.srv.Serve(ln) }()
	return s, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops the server, waiting up to 2 seconds for scrapes in flight.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serr := <-s.err; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
