package bench

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backlogbench/backlogbench/broker"
	"github.com/backlogbench/backlogbench/report"
	"github.com/backlogbench/backlogbench/results"
	"github.com/backlogbench/backlogbench/scenario"
)

// mini is a small flash sale: orders 50/s for 60 s, clicks 40/s from 12 s
// to 42 s; analytics (60/s) grows at 30/s to 900 at 42 s, falls at 10/s to
// 720 at 60 s, then drains at 60/s by 72 s. email keeps up.
const mini = `
name: mini
topics:
  orders: {partitions: 12}
  clickstream: {partitions: 6}
producers:
  orders:
    topic: orders
    size: 256
    phases: [{duration: 60s, rate: 50}]
  clickstream:
    topic: clickstream
    event: click
    size: 256
    phases: [{duration: 12s, rate: 0}, {duration: 30s, rate: 40}]
groups:
  analytics: {topics: [orders, clickstream], workers: 3, capacity: 60}
  email: {topics: [orders], workers: 4, capacity: 125}
tolerance: 2%
`

func parse(t *testing.T, y string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("test.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestRunEmbedded plays the mini flash sale on the embedded broker and
// checks that the observed figures match the prediction within the
// scenario's tolerance and that nothing is lost.
func TestRunEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 15 s scenario")
	}
	sc := parse(t, mini)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{Scenario: sc, Speedup: 5})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary
	if !s.Complete {
		t.Fatalf("run not complete: %v", s.Notes)
	}
	a := s.Groups["analytics"]
	if got, want := a.Predicted.PeakBacklog, 900.0; got != want {
		t.Errorf("predicted analytics peak = %v, want %v", got, want)
	}
	requirePass(t, s)
	for _, m := range []string{"peak_backlog", "peak_at_s", "growth_rate", "drained_at_s", "lost"} {
		if _, ok := a.Verdicts[m]; !ok {
			t.Errorf("analytics has no %s verdict", m)
		}
	}
	for name, p := range s.Producers {
		if p.Acked != p.TargetEvents || p.Failed != 0 {
			t.Errorf("producer %s: acked %d of %d, failed %d", name, p.Acked, p.TargetEvents, p.Failed)
		}
	}
	if a.Observed.MaxOffsetLag < int64(0.9*a.Predicted.PeakBacklog) {
		t.Errorf("analytics max offset lag %d, want about the peak %v", a.Observed.MaxOffsetLag, a.Predicted.PeakBacklog)
	}
	if a.Observed.MaxTimeLagS <= 0 || a.Observed.LatencyMs.P99 <= a.Observed.LatencyMs.P50 {
		t.Errorf("analytics time lag %v s, latency %+v", a.Observed.MaxTimeLagS, a.Observed.LatencyMs)
	}
	if len(a.Assignment) != 3 {
		t.Errorf("analytics assignment has %d workers, want 3", len(a.Assignment))
	}

	dir := t.TempDir()
	if err := results.Write(dir, &res.Data); err != nil {
		t.Fatal(err)
	}
	if _, err := report.Render(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"scenario.yaml", "summary.json", "timeseries.csv", "analytics.hgrm", "email.hgrm", "analytics.hdr", "report.md"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Size() == 0 {
			t.Errorf("%s: missing or empty (%v)", f, err)
		}
	}
}

// TestRunInterrupted stops a run midway: the result covers what was
// measured and says it is incomplete.
func TestRunInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a scenario on the embedded broker")
	}
	sc := parse(t, mini)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { time.Sleep(4 * time.Second); cancel() }()
	res, err := Run(ctx, Config{Scenario: sc, Speedup: 5})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if res == nil {
		t.Fatal("no result after an interruption")
	}
	if res.Summary.Complete || res.Summary.Passed {
		t.Errorf("complete = %v, passed = %v; want false, false", res.Summary.Complete, res.Summary.Passed)
	}
	if len(res.Samples) == 0 || res.Summary.Producers["orders"].Acked == 0 {
		t.Errorf("nothing measured before the interruption: %d samples", len(res.Samples))
	}
	a := res.Summary.Groups["analytics"]
	if _, ok := a.Verdicts["lost"]; ok {
		t.Error("an interrupted run judged loss; undrained events are not lost")
	}
	if a.Observed.Lost != 0 || a.Observed.Unprocessed == 0 {
		t.Errorf("lost %d, unprocessed %d; want 0 lost and the backlog unprocessed", a.Observed.Lost, a.Observed.Unprocessed)
	}
	for k, v := range a.Verdicts {
		if v == results.Fail {
			t.Errorf("%s: %s on an interrupted run; want pass or incomplete", k, v)
		}
	}
}

// TestRunInterruptedStarting stops a run whose group has far more workers
// than one machine can run (as --force plays it) while they start: the
// run must return at once with nothing measured, not after every worker
// has started and closed (100,000 of them took 2 to 6 s).
func TestRunInterruptedStarting(t *testing.T) {
	if testing.Short() {
		t.Skip("starts workers on the embedded broker")
	}
	sc := parse(t, strings.Replace(mini, "workers: 4, capacity: 125", "workers: 100000, capacity: 125", 1))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { time.Sleep(time.Second); cancel() }()
	done := make(chan error, 1)
	var res *Result
	go func() {
		var err error
		res, err = Run(ctx, Config{Scenario: sc, Speedup: 5})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if res != nil {
			t.Error("a result from a run stopped before the scenario started")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the run did not stop within 20 s of the interruption")
	}
}

func TestRunUnreachable(t *testing.T) {
	sc := parse(t, mini)
	_, err := Run(context.Background(), Config{Scenario: sc, Brokers: []string{"127.0.0.1:1"}})
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("error %q does not name the broker", err)
	}
}

// TestRunBrokerDies kills the broker mid-run: the run stops by itself
// within a bounded time with ErrBrokerDead and a result marked incomplete.
func TestRunBrokerDies(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a scenario")
	}
	e, err := broker.StartEmbedded(broker.EmbeddedConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() { time.Sleep(3 * time.Second); e.Close() }()
	start := time.Now()
	res, err := Run(ctx, Config{Scenario: parse(t, mini), Speedup: 5, Brokers: e.Addrs(), BrokerTimeout: 2 * time.Second})
	if !errors.Is(err, ErrBrokerDead) {
		t.Fatalf("err = %v, want ErrBrokerDead", err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("took %v to notice", took)
	}
	if res == nil || res.Summary.Complete || len(res.Samples) == 0 {
		t.Fatalf("want an incomplete result with samples, got %+v", res)
	}
	for _, g := range res.Summary.Groups {
		if g.Observed.Lost != 0 {
			t.Errorf("lost %d on a run that stopped: want unprocessed", g.Observed.Lost)
		}
	}
}

// TestRunBrokerRestart restarts the broker (on its data directory)
// mid-run: the run rides through, loses nothing and records the outage.
func TestRunBrokerRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a scenario")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := broker.EmbeddedConfig{Port: port, DataDir: t.TempDir()}
	e, err := broker.StartEmbedded(cfg)
	if err != nil {
		t.Fatal(err)
	}
	restarted := make(chan *broker.Embedded, 1)
	go func() {
		time.Sleep(3 * time.Second)
		e.Close()
		time.Sleep(2 * time.Second)
		e2, err := broker.StartEmbedded(cfg)
		if err != nil {
			t.Error(err)
		}
		restarted <- e2
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{Scenario: parse(t, mini), Speedup: 5, Brokers: e.Addrs()})
	if e2 := <-restarted; e2 != nil {
		defer e2.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary
	if !s.Complete || len(s.Outages) == 0 {
		t.Fatalf("complete %v, outages %v; want a complete run with the outage recorded (notes %q)", s.Complete, s.Outages, s.Notes)
	}
	for name, g := range s.Groups {
		if g.Observed.Lost != 0 || g.Verdicts["lost"] != results.Pass {
			t.Errorf("%s: lost %d (%s)", name, g.Observed.Lost, g.Verdicts["lost"])
		}
	}
}
