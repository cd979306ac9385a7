package metrics

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/backlogbench/backlogbench/bench"
	"github.com/backlogbench/backlogbench/results"
	"github.com/backlogbench/backlogbench/scenario"
)

// tiny: analytics (60/s) receives 50/s of orders and, from 2 s to 16 s,
// 40/s of clicks: its backlog grows at 30/s to 420 at 16 s, falls at 10/s
// to 380 at 20 s, then drains by about 26 s. email keeps up.
const tiny = `
name: tiny
topics:
  orders: {partitions: 6}
  clickstream: {partitions: 3}
producers:
  orders: {topic: orders, size: 256, phases: [{duration: 20s, rate: 50}]}
  clickstream: {topic: clickstream, event: click, size: 256, phases: [{duration: 2s, rate: 0}, {duration: 14s, rate: 40}]}
groups:
  analytics: {topics: [orders, clickstream], workers: 3, capacity: 60}
  email: {topics: [orders], workers: 2, capacity: 100}
`

func parse(t *testing.T) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("tiny.yaml", []byte(tiny))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// scrape reads the exposition text into name{labels} → value.
func scrape(ctx context.Context, url string) (map[string]float64, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("%s: %s", url, resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, "", fmt.Errorf("line %q: %w", line, err)
		}
		out[line[:i]] = v
	}
	return out, string(body), sc.Err()
}

type reading struct{ t, backlog, predicted float64 }

// TestMetricsDuringRun plays a tiny scenario on the embedded broker with
// the metrics served on loopback, scrapes during the run, and checks that
// the analytics backlog gauge rises while its backlog grows, beside the
// predicted one.
func TestMetricsDuringRun(t *testing.T) {
	sc := parse(t)
	col := NewCollector(sc, "embedded")
	srv, err := Serve("127.0.0.1:0", col.Handler())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	url := "http://" + srv.Addr().String() + "/metrics"

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	runDone := make(chan error, 1)
	go func() {
		_, err := bench.Run(runCtx, bench.Config{Scenario: sc, Speedup: 5, OnSample: col.Observe})
		runDone <- err
	}()

	// Scrape every 100 ms until two readings at least 3 scenario seconds
	// apart fall in the growth (3 s to 15 s), or the run ends.
	var readings []reading
	var lastBody string
	const backlog = GroupBacklog + `{group="analytics"}`
	const predicted = GroupPredictedBacklog + `{group="analytics"}`
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
scraping:
	for {
		select {
		case err := <-runDone:
			runDone <- err
			break scraping
		case <-ctx.Done():
			t.Fatal("timed out")
		case <-tick.C:
		}
		m, body, err := scrape(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		tm, ok := m[ScenarioTime]
		if !ok || tm < 3 || tm > 15 {
			if ok && tm > 15 {
				break
			}
			continue
		}
		readings = append(readings, reading{tm, m[backlog], m[predicted]})
		lastBody = body
		if readings[len(readings)-1].t-readings[0].t >= 3 {
			break
		}
	}
	stopRun()
	if err := <-runDone; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("run: %v", err)
	}
	if len(readings) < 2 || readings[len(readings)-1].t-readings[0].t < 3 {
		t.Fatalf("got %d readings during the growth (%v), want two 3 scenario seconds apart", len(readings), readings)
	}
	a, b := readings[0], readings[len(readings)-1]
	t.Logf("analytics backlog %.0f (predicted %.0f) at %.1fs, then %.0f (predicted %.0f) at %.1fs", a.backlog, a.predicted, a.t, b.backlog, b.predicted, b.t)
	if !(b.backlog > a.backlog) {
		t.Errorf("analytics backlog gauge went from %v to %v while the backlog grows; want it rising", a.backlog, b.backlog)
	}
	if !(b.predicted > a.predicted) {
		t.Errorf("analytics predicted backlog went from %v to %v; want it rising", a.predicted, b.predicted)
	}
	// Every metric the README lists is there, with its type.
	for name, typ := range map[string]string{
		GroupBacklog: "gauge", GroupPredictedBacklog: "gauge", GroupOffsetLag: "gauge", GroupTimeLag: "gauge",
		GroupProcessed: "counter", GroupProcessedRate: "gauge", GroupDuplicates: "counter",
		ProducerAcked: "counter", ProducerAckedRate: "gauge", ProducerErrors: "counter",
		ScenarioTime: "gauge", RunInfo: "gauge",
	} {
		if !strings.Contains(lastBody, "# TYPE "+name+" "+typ+"\n") {
			t.Errorf("scrape lacks %s (%s)", name, typ)
		}
	}
	for _, s := range []string{`{producer="orders"}`, `{group="email"}`, `scenario="tiny"`} {
		if !strings.Contains(lastBody, s) {
			t.Errorf("scrape lacks %s", s)
		}
	}
}

// TestCollector checks the figures of a scrape against hand-made samples:
// rates over the window, counters, and no offset lag before a reading.
func TestCollector(t *testing.T) {
	sc := parse(t)
	col := NewCollector(sc, "embedded")
	srv, err := Serve("127.0.0.1:0", col.Handler())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	url := "http://" + srv.Addr().String() + "/metrics"
	ctx := context.Background()

	m, _, err := scrape(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m[GroupBacklog+`{group="analytics"}`]; ok {
		t.Error("backlog before any sample")
	}
	if m[RunInfo+`{broker="embedded",scenario="tiny"}`] != 1 {
		t.Errorf("no run info: %v", m)
	}
	// Groups in name order: analytics, email; producers: clickstream, orders.
	for i := 0; i <= 10; i++ {
		ti := float64(i)
		col.Observe(results.Sample{
			T:      ti,
			Acked:  []int64{40 * int64(i), 50 * int64(i)},
			Failed: []int64{0, 2},
			Groups: []results.GroupSample{
				{Processed: 60 * int64(i), Backlog: 30 * int64(i), Predicted: 30 * ti, OffsetLag: -1, TimeLag: ti / 2, Duplicates: 1},
				{Processed: 50 * int64(i), OffsetLag: 3},
			},
		})
	}
	m, _, err = scrape(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]float64{
		GroupBacklog + `{group="analytics"}`:           300,
		GroupPredictedBacklog + `{group="analytics"}`:  300,
		GroupTimeLag + `{group="analytics"}`:           5,
		GroupProcessed + `{group="analytics"}`:         600,
		GroupProcessedRate + `{group="analytics"}`:     60,
		GroupDuplicates + `{group="analytics"}`:        1,
		GroupOffsetLag + `{group="email"}`:             3,
		ProducerAcked + `{producer="orders"}`:          500,
		ProducerAckedRate + `{producer="clickstream"}`: 40,
		ProducerErrors + `{producer="orders"}`:         2,
		ScenarioTime:                                   10,
	} {
		if got, ok := m[k]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, want)
		}
	}
	if _, ok := m[GroupOffsetLag+`{group="analytics"}`]; ok {
		t.Error("offset lag exported before a reading (-1)")
	}
}
