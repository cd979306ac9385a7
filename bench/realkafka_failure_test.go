package bench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/backlogbench/backlogbench/results"
)

// kafkaSh runs kafka-local/kafka.sh with args, within a minute and a half.
func kafkaSh(t *testing.T, args ...string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join("..", "kafka-local", "kafka.sh")}, args...)...)
	out, err := cmd.CombinedOutput()
	t.Logf("kafka.sh %v: %s", args, out)
	return err
}

const nodeFailureScenario = `
name: node-failure
topics:
  orders: {partitions: 6}
producers:
  orders:
    topic: orders
    phases: [{duration: 60s, rate: 100}]
groups:
  email: {topics: [orders], workers: 2, capacity: 300}
  loyalty: {topics: [orders], workers: 2, capacity: 300, dedup: true}
`

// TestRealKafkaNodeFailure kills a broker of the cluster make kafka-up
// started, with SIGKILL, a quarter of the way into a run: on one node it
// starts it again 3 s later on its data (a restart); on three nodes it
// leaves node 2 dead for the rest of the run (a failover: the other two
// hold every partition's leadership and the ISR of min.insync 2). Either
// way the run rides through: complete, every event acknowledged, nothing
// lost in any group; the restart's outage is in the results.
func TestRealKafkaNodeFailure(t *testing.T) {
	startReal(t)
	nodes, err := strconv.Atoi(os.Getenv("BACKLOGBENCH_KAFKA_NODES"))
	if err != nil || nodes < 1 {
		t.Skip("needs the cluster make kafka-up started: set BACKLOGBENCH_KAFKA_NODES (kafka-up prints it)")
	}
	victim := 1
	if nodes >= 3 {
		victim = 2
	}
	if _, err := os.Stat(filepath.Join("..", "kafka-local", "kafka.sh")); err != nil {
		t.Skip("kafka-local/kafka.sh is not here to kill a node")
	}
	// Bring the node back whatever happens: the tests after this one need
	// the whole cluster.
	t.Cleanup(func() {
		if err := kafkaSh(t, "start", strconv.Itoa(victim)); err != nil {
			t.Errorf("node %d did not come back: %v", victim, err)
		}
	})
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
			return
		case <-time.After(8 * time.Second): // a quarter of the 30 s of wall time
		}
		if err := kafkaSh(t, "kill", strconv.Itoa(victim)); err != nil {
			t.Error(err)
			return
		}
		if nodes >= 3 {
			return
		}
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			if err := kafkaSh(t, "start", strconv.Itoa(victim)); err != nil {
				t.Error(err)
			}
		}
	}()
	s := runReal(t, Config{Scenario: parse(t, nodeFailureScenario), Speedup: 2, BrokerTimeout: 90 * time.Second}, 4*time.Minute)
	for name, p := range s.Producers {
		if p.Acked != p.TargetEvents || p.Failed != 0 {
			t.Errorf("producer %s: acked %d of %d, failed %d", name, p.Acked, p.TargetEvents, p.Failed)
		}
	}
	for name, g := range s.Groups {
		o := g.Observed
		t.Logf("%s: peak %.0f, delivered %d, unique %d, duplicates %d, suppressed %d, lost %d", name, o.PeakBacklog, o.Delivered, o.Unique, o.DuplicatesDelivered, o.DuplicatesSuppressed, o.Lost)
		if o.Lost != 0 || g.Verdicts["lost"] != results.Pass || o.Unique != 6000 {
			t.Errorf("%s: lost %d (%s), processed %d of 6,000", name, o.Lost, g.Verdicts["lost"], o.Unique)
		}
	}
	t.Logf("outages %v; notes %q", s.Outages, s.Notes)
	if nodes == 1 && len(s.Outages) == 0 {
		t.Errorf("a restarted single node: no outage recorded")
	}
}
