package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/backlogbench/backlogbench/broker"
)

// crossCheckScenario is small: 1,200 orders and 600 clicks.
const crossCheckScenario = `
name: cross
topics:
  orders: {partitions: 3}
  clickstream: {partitions: 2}
producers:
  orders: {topic: orders, phases: [{duration: 12s, rate: 100}]}
  clickstream: {topic: clickstream, event: click, phases: [{duration: 12s, rate: 50}]}
groups:
  analytics: {topics: [orders, clickstream], workers: 2, capacity: 400}
`

// TestCrossCheckIndependentClients runs a scenario against a broker given
// by address (the --brokers path), then reads what it left with clients
// that share no code with it: kcat consumes every order and parses its
// JSON, and python3-kafka reads the group's committed offsets. Each part
// skips, saying so, where its client is not installed.
func TestCrossCheckIndependentClients(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a scenario")
	}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	addr := cluster.ListenAddrs()[0]
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{Scenario: parse(t, crossCheckScenario), Speedup: 4, Brokers: []string{addr}, Prefix: "xc-", Keep: true})
	if err != nil {
		t.Fatal(err)
	}
	requirePass(t, res.Summary)
	if res.Summary.Broker != addr {
		t.Errorf("broker = %q, want %q", res.Summary.Broker, addr)
	}

	t.Run("kcat", func(t *testing.T) {
		kcat, err := exec.LookPath("kcat")
		if err != nil {
			t.Skip("kcat is not installed (Debian package kcat); .ci/run installs it")
		}
		cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
		defer ccancel()
		out, err := exec.CommandContext(cctx, kcat, "-b", addr, "-C", "-t", "xc-orders", "-e", "-q", "-f", "%k\t%s\n").Output()
		if err != nil {
			t.Fatalf("kcat: %v", err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 1200 {
			t.Fatalf("kcat read %d orders, want 1200", len(lines))
		}
		seen := map[string]bool{}
		for _, l := range lines {
			key, val, _ := strings.Cut(l, "\t")
			var ev struct {
				Type        string `json:"type"`
				ID          string `json:"id"`
				Key         string `json:"key"`
				Points      int    `json:"points"`
				AmountCents int    `json:"amount_cents"`
			}
			if err := json.Unmarshal([]byte(val), &ev); err != nil {
				t.Fatalf("order is not JSON: %v: %.80s", err, val)
			}
			if ev.Type != "order" || ev.Key != key || ev.Points != ev.AmountCents/100 || len(val) != 512 {
				t.Fatalf("order %+v (key %q, %d bytes)", ev, key, len(val))
			}
			if seen[ev.ID] {
				t.Fatalf("order %s twice", ev.ID)
			}
			seen[ev.ID] = true
		}
	})

	t.Run("python3-kafka", func(t *testing.T) {
		if err := exec.Command("/usr/bin/python3", "-c", "import kafka").Run(); err != nil {
			t.Skip("python3-kafka is not installed (Debian package python3-kafka); .ci/run installs it")
		}
		script := `
import sys
from kafka import KafkaAdminClient
a = KafkaAdminClient(bootstrap_servers=sys.argv[1], request_timeout_ms=10000)
offs = a.list_consumer_group_offsets(sys.argv[2])
print(sum(o.offset for o in offs.values()))
`
		f, err := os.CreateTemp(t.TempDir(), "*.py")
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(script)
		f.Close()
		cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
		defer ccancel()
		out, err := exec.CommandContext(cctx, "/usr/bin/python3", f.Name(), addr, "xc-analytics").CombinedOutput()
		if err != nil {
			t.Fatalf("python3-kafka: %v\n%s", err, out)
		}
		got, err := strconv.Atoi(strings.TrimSpace(string(out)))
		if err != nil {
			t.Fatalf("python3-kafka printed %q", out)
		}
		// The group committed every event of both topics: 1,200 + 600.
		if got != 1800 {
			t.Errorf("committed offsets sum to %d per python3-kafka, want 1800", got)
		}
	})
}

// TestRunCleansUp checks that a run on a cluster (--brokers) deletes its
// topics and groups at the end, and keeps them with Keep.
func TestRunCleansUp(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a scenario")
	}
	e, err := broker.StartEmbedded(broker.EmbeddedConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := broker.Connect(ctx, e.Addrs(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sc := parse(t, `
topics: {orders: {partitions: 2}}
producers: {orders: {topic: orders, phases: [{duration: 2s, rate: 50}]}}
groups: {email: {topics: [orders], workers: 1, capacity: 100, delivery: exactly-once}}
`)
	for _, keep := range []bool{false, true} {
		prefix := fmt.Sprintf("clean-%v-", keep)
		if _, err := Run(ctx, Config{Scenario: sc, Speedup: 4, Brokers: e.Addrs(), Prefix: prefix, Keep: keep}); err != nil {
			t.Fatal(err)
		}
		left, err := conn.Existing(ctx, prefix+"orders", prefix+"email.effects")
		if err != nil {
			t.Fatal(err)
		}
		groups, err := conn.Admin.ListGroups(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var gs []string
		for _, g := range groups.Groups() {
			if strings.HasPrefix(g, prefix) {
				gs = append(gs, g)
			}
		}
		if keep && (len(left) != 2 || len(gs) != 1) {
			t.Errorf("keep: topics %v, groups %v; want orders and email.effects, and the group", left, gs)
		}
		if !keep && (len(left) != 0 || len(gs) != 0) {
			t.Errorf("topics %v, groups %v left after the run; want none", left, gs)
		}
	}
}
