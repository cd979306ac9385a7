package bench

// The real-broker suite: scenarios played on a real Apache Kafka, the one
// `make kafka-up` starts (kafka-local/kafka.sh) or any other cluster named by
// BACKLOGBENCH_KAFKA. Without that variable every test skips, the way
// franz-go gates its own tests on KGO_SEEDS. The tests run one after the
// other (no t.Parallel: they share the broker and two cores), each under its
// own timeout, and each checks that the run left none of its topics and
// groups behind.
//
//	make kafka-up   # prints BACKLOGBENCH_KAFKA=127.0.0.1:19092 and the rest
//	BACKLOGBENCH_KAFKA=127.0.0.1:19092 ... go test -count=1 -run RealKafka ./bench/ .

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backlogbench/backlogbench/broker"
	"github.com/backlogbench/backlogbench/internal/kafkatest"
	"github.com/backlogbench/backlogbench/producer"
	"github.com/backlogbench/backlogbench/results"
	"github.com/backlogbench/backlogbench/scenario"
)

// skipMessage is what every real-Kafka test says when there is no broker.
const skipMessage = "set BACKLOGBENCH_KAFKA=host:port (make kafka-up prints it) to run the real-Kafka tests"

// realKafka returns the seed brokers of the real cluster, or skips.
func realKafka(t *testing.T) []string {
	t.Helper()
	v := os.Getenv("BACKLOGBENCH_KAFKA")
	if v == "" {
		t.Skip(skipMessage)
	}
	if testing.Short() {
		t.Skip("plays a scenario on a real Kafka")
	}
	return strings.Split(v, ",")
}

// startReal is realKafka for a test's first line: it also waits for the
// real-Kafka tests of other packages to finish (realKafkaLock).
func startReal(t *testing.T) []string {
	t.Helper()
	seeds := realKafka(t)
	kafkatest.Lock(t)
	return seeds
}

// realEnv returns the environment variable name, or skips saying what is
// missing (kafka-up prints every one of them).
func realEnv(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Skipf("set %s (make kafka-up prints it) to run this real-Kafka test", name)
	}
	return v
}

// kafkaUser returns the SASL user and password of the cluster kafka-up
// started: BACKLOGBENCH_KAFKA_USER and _PASSWORD, kafka.sh's defaults
// when unset.
func kafkaUser() (user, pass string) {
	user, pass = os.Getenv("BACKLOGBENCH_KAFKA_USER"), os.Getenv("BACKLOGBENCH_KAFKA_PASSWORD")
	if user == "" {
		user = "backlogbench"
	}
	if pass == "" {
		pass = "bb-secret"
	}
	return user, pass
}

// realPrefix is a prefix unique to the test and the moment, so that runs
// never meet on a shared cluster and what a run leaves is easy to find.
func realPrefix(t *testing.T) string {
	name := regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(strings.TrimPrefix(t.Name(), "TestRealKafka"), "-")
	return fmt.Sprintf("rk-%s-%d-", strings.ToLower(strings.Trim(name, "-")), time.Now().UnixNano()%1e9)
}

// runTopics are the topic names a run of sc with prefix makes on the
// broker: its topics and every exactly-once group's effects topic.
func runTopics(sc *scenario.Scenario, prefix string) []string {
	var ts []string
	for _, t := range sc.TopicNames() {
		ts = append(ts, prefix+t)
	}
	for _, g := range sc.GroupNames() {
		if sc.Groups[g].Delivery == scenario.ExactlyOnce {
			ts = append(ts, prefix+g+".effects")
		}
	}
	return ts
}

// leftovers returns the run's topics and groups (by prefix) still on the
// cluster, read over PLAINTEXT.
func leftovers(t *testing.T, seeds []string, sc *scenario.Scenario, prefix string) (topics, groups []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := broker.Connect(ctx, seeds, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	topics, err = conn.Existing(ctx, runTopics(sc, prefix)...)
	if err != nil {
		t.Fatalf("list topics: %v", err)
	}
	lg, err := conn.Admin.ListGroups(ctx)
	if err != nil {
		t.Fatalf("list groups: %v", err)
	}
	for _, g := range lg.Groups() {
		if strings.HasPrefix(g, prefix) {
			groups = append(groups, g)
		}
	}
	return topics, groups
}

// requireGone fails the test when the run left a topic or a group.
func requireGone(t *testing.T, seeds []string, sc *scenario.Scenario, prefix string) {
	t.Helper()
	topics, groups := leftovers(t, seeds, sc, prefix)
	if len(topics) > 0 || len(groups) > 0 {
		t.Errorf("left on the broker after the run: topics %v, groups %v", topics, groups)
	}
}

// runReal plays cfg on the real cluster under timeout, requires a
// complete run, and checks that it left nothing behind. cfg.Brokers
// defaults to BACKLOGBENCH_KAFKA and cfg.Prefix to realPrefix.
func runReal(t *testing.T, cfg Config, timeout time.Duration) results.Summary {
	t.Helper()
	seeds := realKafka(t)
	if cfg.Brokers == nil {
		cfg.Brokers = seeds
	}
	if cfg.Prefix == "" {
		cfg.Prefix = realPrefix(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	t.Logf("%s ×%g on %s: %.1f s wall", cfg.Scenario.Name, cfg.Speedup, strings.Join(cfg.Brokers, ","), time.Since(start).Seconds())
	if !res.Summary.Complete {
		var left []string
		if n := len(res.Samples); n > 0 {
			last := res.Samples[n-1]
			for i, g := range cfg.Scenario.GroupNames() {
				left = append(left, fmt.Sprintf("%s backlog %d", g, last.Groups[i].Backlog))
			}
			left = append(left, fmt.Sprintf("at t=%.0f s", last.T))
		}
		t.Fatalf("run not complete (%s): %q", strings.Join(left, ", "), res.Summary.Notes)
	}
	if !cfg.Keep {
		requireGone(t, seeds, cfg.Scenario, cfg.Prefix)
	}
	logWorst(t, res)
	return res.Summary
}

// logWorst logs, for every group with a failed verdict, the samples where
// its backlog stood furthest above the prediction, with the producers'
// acks then: a stall shows as acks bunched up or a group behind.
func logWorst(t *testing.T, res *Result) {
	t.Helper()
	for gi, name := range res.Scenario.GroupNames() {
		failed := false
		for _, v := range res.Summary.Groups[name].Verdicts {
			failed = failed || v == results.Fail
		}
		if !failed || len(res.Samples) == 0 {
			continue
		}
		idx := make([]int, len(res.Samples))
		for i := range idx {
			idx[i] = i
		}
		over := func(i int) float64 {
			g := res.Samples[i].Groups[gi]
			return float64(g.Backlog) - g.Predicted
		}
		slices.SortFunc(idx, func(a, b int) int { return int(over(b) - over(a)) })
		var b strings.Builder
		for _, i := range idx[:min(5, len(idx))] {
			smp := res.Samples[i]
			fmt.Fprintf(&b, " t=%.1f s backlog %d (pred %.0f) acked %v;", smp.T, smp.Groups[gi].Backlog, smp.Groups[gi].Predicted, smp.Acked)
		}
		t.Logf("%s, furthest above the prediction:%s", name, b.String())
	}
}

// TestRealKafkaFlashSale plays the seed's flash sale on the real broker at
// ×10 (about 75 s): every verdict passes, as on the embedded broker:
// analytics peaks at 18,000 at 7:00, grows 60/s and drains by 12:00, and no
// group loses an event.
func TestRealKafkaFlashSale(t *testing.T) {
	startReal(t)
	sc, err := scenario.Load("flash-sale")
	if err != nil {
		t.Fatal(err)
	}
	s := runReal(t, Config{Scenario: sc, Speedup: 10}, 4*time.Minute)
	requirePass(t, s)
	a := s.Groups["analytics"].Observed
	t.Logf("analytics: peak %.0f at %.1f s, growth %.2f/s, drained at %v s, max offset lag %d, max time lag %.1f s",
		a.PeakBacklog, a.PeakAtS, a.GrowthRate, deref(a.DrainedAtS), a.MaxOffsetLag, a.MaxTimeLagS)
	for name, p := range s.Producers {
		if p.Acked != p.TargetEvents || p.Failed != 0 {
			t.Errorf("producer %s: acked %d of %d, failed %d", name, p.Acked, p.TargetEvents, p.Failed)
		}
	}
}

// bound shows a duplicates bound, "none" when there is none.
func bound(p *int64) string {
	if p == nil {
		return "none"
	}
	return strconv.FormatInt(*p, 10)
}

func deref(p *float64) any {
	if p == nil {
		return "never"
	}
	return *p
}

// TestRealKafkaDuplicates plays the duplicates preset on the real broker,
// without its produce-errors fault (that needs the embedded broker's fault
// injection; a run on a cluster refuses it), at ×30. The seed decides which
// orders are resent, so the count is known before the run: the producer
// resends exactly that many, every group receives each once more (email,
// no dedup and no crash, exactly that many duplicates and as many applied
// twice), loyalty's dedup store suppresses every duplicate, ledger's
// exactly-once effects hold each resend once more and nothing else twice,
// and the crashes stay within their bound.
func TestRealKafkaDuplicates(t *testing.T) {
	startReal(t)
	sc, err := scenario.Load("duplicates")
	if err != nil {
		t.Fatal(err)
	}
	sc.Faults = slices.DeleteFunc(sc.Faults, func(f scenario.Fault) bool { return f.Action == scenario.ProduceErrors })
	p := sc.Producers["orders"]
	id := uint32(slices.Index(sc.ProducerNames(), "orders") + 1)
	target := int64(p.Schedule().Total())
	var want int64
	for seq := range uint64(target) {
		if producer.Resends(sc.Seed, id, seq, p.Resend) {
			want++
		}
	}
	// At ×30 a scenario-second is 33 ms of wall time: the JVM's first
	// seconds and the other work on two shared cores make email (predicted
	// to keep up) hold a few hundred events now and then, over its floor
	// of one scenario-second of capacity; and ledger's transactions (one a
	// poll of 17 records) run at ~2,000 records/s of wall time here, under
	// the 3,000/s the ×30 input brings, so it falls behind and drains after
	// the end. The backlog figures are the flash sale's test; here the
	// delivery audit is judged, and the run may drain late.
	s := runReal(t, Config{Scenario: sc, Speedup: 30, DrainTimeout: 90 * time.Second}, 3*time.Minute)
	requireAudit(t, s)
	ps := s.Producers["orders"]
	if ps.Resent != want || ps.Acked != target || ps.Failed != 0 {
		t.Fatalf("producer: resent %d (seed says %d), acked %d of %d, failed %d", ps.Resent, want, ps.Acked, target, ps.Failed)
	}
	for name, g := range s.Groups {
		o := g.Observed
		t.Logf("%s: delivered %d, unique %d, duplicates %d (upstream %d, bound %s), suppressed %d, applied twice %d, redelivered %d",
			name, o.Delivered, o.Unique, o.DuplicatesDelivered, g.Predicted.DuplicatesUpstream, bound(g.Predicted.DuplicatesMax), o.DuplicatesSuppressed, o.AppliedTwice, o.Redelivered)
		if g.Predicted.DuplicatesUpstream != want {
			t.Errorf("%s: predicted upstream duplicates %d, want the %d resent", name, g.Predicted.DuplicatesUpstream, want)
		}
		if o.Unique != target || o.Lost != 0 {
			t.Errorf("%s: unique %d of %d, lost %d", name, o.Unique, target, o.Lost)
		}
		if o.DuplicatesDelivered < want {
			t.Errorf("%s: %d duplicates delivered, fewer than the %d resent", name, o.DuplicatesDelivered, want)
		}
	}
	e := s.Groups["email"]
	if e.Predicted.Duplicates == nil || *e.Predicted.Duplicates != want {
		t.Errorf("email: predicted duplicates %v, want exactly %d", e.Predicted.Duplicates, want)
	}
	if o := e.Observed; o.DuplicatesDelivered != want || o.AppliedTwice != want || o.Effects.Applied != target+want {
		t.Errorf("email: duplicates %d, applied twice %d, applied %d; want %d, %d, %d", o.DuplicatesDelivered, o.AppliedTwice, o.Effects.Applied, want, want, target+want)
	}
	if o := s.Groups["loyalty"].Observed; o.DuplicatesSuppressed != o.DuplicatesDelivered || o.AppliedTwice != 0 || o.Effects.Points != o.Effects.PointsExpected {
		t.Errorf("loyalty: suppressed %d of %d, applied twice %d, points %d of %d", o.DuplicatesSuppressed, o.DuplicatesDelivered, o.AppliedTwice, o.Effects.Points, o.Effects.PointsExpected)
	}
	if o := s.Groups["ledger"].Observed; o.AppliedTwice != want || o.Effects.Applied != target+want {
		t.Errorf("ledger: applied twice %d, applied %d; want %d and %d (each resend once more, nothing else twice)", o.AppliedTwice, o.Effects.Applied, want, target+want)
	}
	for _, name := range []string{"loyalty", "ledger"} {
		g := s.Groups[name]
		if g.Predicted.DuplicatesMax == nil || g.Observed.DuplicatesDelivered > *g.Predicted.DuplicatesMax {
			t.Errorf("%s: %d duplicates, bound %v", name, g.Observed.DuplicatesDelivered, g.Predicted.DuplicatesMax)
		}
	}
}

// auditFigures are the verdicts of the delivery audit, as opposed to the
// backlog figures.
var auditFigures = []string{"events", "lost", "duplicates_delivered", "duplicates_suppressed", "out_of_order", "applied_twice"}

// requireAudit fails the test on a failed verdict of the delivery audit
// and logs the backlog figures' failures.
func requireAudit(t *testing.T, s results.Summary) {
	t.Helper()
	for g, gs := range s.Groups {
		if gs.Observed.Lost != 0 {
			t.Errorf("%s lost %d events", g, gs.Observed.Lost)
		}
		for m, v := range gs.Verdicts {
			switch {
			case v == results.Pass:
			case slices.Contains(auditFigures, m):
				t.Errorf("%s %s: %s", g, m, v)
			default:
				t.Logf("%s %s: %s (a backlog figure, not judged here)", g, m, v)
			}
		}
	}
}

// realSmallScenario is a short run with a group that falls behind and
// one that keeps up: orders 100/s for 12 s; analytics (50/s) grows at 50/s
// to 600 at 12 s and drains by 24 s. Its backlog grows fast from the first
// second, so the few hundred milliseconds a real broker's first fetches
// take cost a negligible share of it (with a slow growth, 20/s to 400,
// they cost +15%); it plays at ×2, where a tenth of a second of wall time
// lost to the other work on two cores (or to -race) moves the growth rate
// by well under its 2% tolerance.
const realSmallScenario = `
name: real-small
topics:
  orders: {partitions: 4}
producers:
  orders: {topic: orders, size: 256, phases: [{duration: 12s, rate: 100}]}
groups:
  analytics: {topics: [orders], workers: 2, capacity: 50}
  email: {topics: [orders], workers: 2, capacity: 300}
`

// TestRealKafkaSCRAMOverTLS plays a scenario on the SASL_SSL listener with
// SCRAM-SHA-512, the broker's certificate checked against the CA kafka-up
// made, the connection given in librdkafka's property names as
// `run -X` gives it.
func TestRealKafkaSCRAMOverTLS(t *testing.T) {
	startReal(t)
	addr := realEnv(t, "BACKLOGBENCH_KAFKA_SASL_SSL")
	ca := realEnv(t, "BACKLOGBENCH_KAFKA_CA")
	user, pass := kafkaUser()
	t.Setenv(broker.PasswordEnv, pass)
	var p broker.Properties
	for _, kv := range []string{"security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-512", "sasl.username=" + user, "ssl.ca.location=" + ca} {
		if err := p.SetPair(kv, "test"); err != nil {
			t.Fatal(err)
		}
	}
	sec, err := p.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	sc := parse(t, realSmallScenario)
	s := runReal(t, Config{Scenario: sc, Speedup: 2, Brokers: strings.Split(addr, ","), Security: sec}, 2*time.Minute)
	requirePass(t, s)
	if s.Broker != addr {
		t.Errorf("broker = %q, want %q", s.Broker, addr)
	}
	if a := s.Groups["analytics"]; a.Predicted.PeakBacklog != 600 {
		t.Errorf("analytics predicted peak %v, want 600", a.Predicted.PeakBacklog)
	}
}

// realCrossScenario keeps a backlog standing: analytics processes at
// 200/s for 10 s, then stops (capacity 0 from then on), while orders come
// at 100/s for 20 s. From 10 s nothing is processed or committed, and from
// 20 s nothing is produced: analytics' committed lag holds still at about
// 1,000, the moment two clients can read it and must agree. The run does
// not wait for a group predicted never to drain; archive (40/s) keeps it
// going until 50 s, 7.5 s of wall time at ×4 after the producer's end.
const realCrossScenario = `
name: real-cross
topics:
  orders: {partitions: 3}
producers:
  orders: {topic: orders, size: 512, phases: [{duration: 20s, rate: 100}]}
groups:
  analytics:
    topics: [orders]
    workers: 2
    phases:
      - {duration: 10s, capacity: 200}
      - {duration: 10s, capacity: 0}
  archive: {topics: [orders], workers: 1, capacity: 40}
`

// pythonLag computes a group's committed lag with python3-kafka: log end
// offsets minus committed offsets, summed over the group's partitions.
const pythonLag = `
import sys
from kafka import KafkaAdminClient, KafkaConsumer
a = KafkaAdminClient(bootstrap_servers=sys.argv[1], request_timeout_ms=10000)
offs = a.list_consumer_group_offsets(sys.argv[2])
c = KafkaConsumer(bootstrap_servers=sys.argv[1], request_timeout_ms=11000)
ends = c.end_offsets(list(offs))
print(sum(ends[tp] - o.offset for tp, o in offs.items()), len(offs))
`

// TestRealKafkaCrossCheck reads a run on the real broker with clients that
// share no code with it. While the run waits for a group that has stopped
// processing (the lag stands still), python3-kafka's committed lag, kadm's
// and the run's own offset lag of that moment are the same number, and it
// is the exact backlog (acked − processed). Then kcat reads every order the
// producer wrote, each once and each a well-formed order. The run keeps its
// topics (Keep), so the test deletes them and checks that they are gone.
func TestRealKafkaCrossCheck(t *testing.T) {
	seeds := startReal(t)
	sc := parse(t, realCrossScenario)
	prefix := realPrefix(t)
	group, topic := prefix+"analytics", prefix+"orders"
	groups := []string{group, prefix + "archive"}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := broker.Connect(ctx, seeds, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	defer func() {
		if err := conn.Cleanup(context.Background(), runTopics(sc, prefix), groups); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		requireGone(t, seeds, sc, prefix)
	}()

	// The run goes on in the background until the comparison is done.
	var mu sync.Mutex
	var last results.Sample
	still := make(chan struct{})
	var once sync.Once
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	type outcome struct {
		res *Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := Run(runCtx, Config{Scenario: sc, Speedup: 4, Brokers: seeds, Prefix: prefix, Keep: true,
			DrainTimeout: time.Minute, OnSample: func(s results.Sample) {
				mu.Lock()
				last = s
				mu.Unlock()
				// 2 s after the producer's end the last commit and the last
				// lag reading are long done.
				if s.T >= 22 && s.Groups[0].OffsetLag >= 0 {
					once.Do(func() { close(still) })
				}
			}})
		done <- outcome{res, err}
	}()
	select {
	case <-still:
	case o := <-done:
		t.Fatalf("the run ended before its lag stood still: %v", o.err)
	case <-ctx.Done():
		t.Fatal("timed out waiting for the run")
	}

	py := "python3-kafka"
	var pyLag, pyParts int
	if err := exec.Command("/usr/bin/python3", "-c", "import kafka").Run(); err != nil {
		py = ""
		t.Log("python3-kafka is not installed (Debian package python3-kafka); comparing kadm only")
	} else {
		cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
		out, err := exec.CommandContext(cctx, "/usr/bin/python3", "-c", pythonLag, seeds[0], group).CombinedOutput()
		ccancel()
		if err != nil {
			t.Fatalf("python3-kafka: %v\n%s", err, out)
		}
		if _, err := fmt.Sscan(string(out), &pyLag, &pyParts); err != nil {
			t.Fatalf("python3-kafka printed %q", out)
		}
	}
	lags, err := conn.Admin.Lag(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	kadmLag := lags[group].Lag.Total()
	mu.Lock()
	smp := last
	mu.Unlock()
	g := smp.Groups[0]
	t.Logf("at t=%.1f s: run offset lag %d, exact backlog %d, kadm %d, python3-kafka %d over %d partitions", smp.T, g.OffsetLag, g.Backlog, kadmLag, pyLag, pyParts)
	o := <-done
	if o.err != nil {
		t.Fatalf("run: %v", o.err)
	}
	if a := o.res.Summary.Groups["archive"].Observed; a.Lost != 0 || a.Unique != 2000 {
		t.Errorf("archive: lost %d, unique %d of 2000", a.Lost, a.Unique)
	}
	if g.OffsetLag != kadmLag {
		t.Errorf("run's offset lag %d, kadm's now %d: want the same (nothing moves)", g.OffsetLag, kadmLag)
	}
	if py != "" && (pyLag != int(g.OffsetLag) || pyParts != 3) {
		t.Errorf("python3-kafka: committed lag %d over %d partitions; the run's offset lag %d over 3", pyLag, pyParts, g.OffsetLag)
	}
	if g.OffsetLag != g.Backlog || g.Backlog < 900 || g.Backlog > 1100 {
		t.Errorf("offset lag %d, exact backlog %d: want equal, about 1,000", g.OffsetLag, g.Backlog)
	}

	t.Run("kcat", func(t *testing.T) {
		kcat, err := exec.LookPath("kcat")
		if err != nil {
			t.Skip("kcat is not installed (Debian package kcat); .ci/run installs it")
		}
		acked := o.res.Summary.Producers["orders"].Acked
		cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
		defer ccancel()
		out, err := exec.CommandContext(cctx, kcat, "-b", seeds[0], "-C", "-t", topic, "-e", "-q", "-f", "%k\t%s\n").Output()
		if err != nil {
			t.Fatalf("kcat: %v", err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if int64(len(lines)) != acked || acked != 2000 {
			t.Fatalf("kcat read %d orders; the producer had %d acked of 2000", len(lines), acked)
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
}
