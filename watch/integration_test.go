package watch

import (
	"github.com/backlogbench/backlogbench/internal/kafkatest"

	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The integration test's plan, in wall time from the first produce: 2,000
// records/s onto 3 partitions throughout; the group processes 500/s for
// 5 s (the backlog grows at 1,500/s to about 7,500), then 2,500/s (it
// drains at 500/s, in about 15 s).
const (
	itLambda    = 2000.0
	itSlow      = 500.0
	itFast      = 2500.0
	itSlowFor   = 5 * time.Second
	itParts     = 3
	itInterval  = 100 * time.Millisecond
	itWindow    = 30 // samples: 3 s
	itCommitDue = 5 * time.Millisecond
)

// curve is a cumulative count over time, as logged: what the producer or
// the consumer really did.
type curve struct {
	mu sync.Mutex
	ts []time.Time
	ns []float64
}

func (c *curve) add(t time.Time, n float64) {
	c.mu.Lock()
	c.ts, c.ns = append(c.ts, t), append(c.ns, n)
	c.mu.Unlock()
}

// at returns the count at t, linear between the logged points.
func (c *curve) at(t time.Time) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := sort.Search(len(c.ts), func(i int) bool { return !c.ts[i].Before(t) })
	switch {
	case i == 0:
		return c.ns[0]
	case i == len(c.ts):
		return c.ns[len(c.ns)-1]
	}
	a, b := c.ts[i-1], c.ts[i]
	f := t.Sub(a).Seconds() / b.Sub(a).Seconds()
	return c.ns[i-1] + f*(c.ns[i]-c.ns[i-1])
}

// producer writes itLambda records/s from start, paced from the absolute
// schedule (a late tick catches up), round robin over the partitions.
type producer struct {
	acked    curve
	n        atomic.Int64
	mu       sync.Mutex
	produced map[pkey]map[int64]time.Time // the time each record was produced
}

func (p *producer) run(ctx context.Context, cl *kgo.Client, topic string, start time.Time) {
	p.produced = map[pkey]map[int64]time.Time{}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	sent := 0
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			due := int(now.Sub(start).Seconds() * itLambda)
			for ; sent < due; sent++ {
				r := &kgo.Record{Topic: topic, Partition: int32(sent % itParts), Value: []byte("order")}
				cl.Produce(ctx, r, func(r *kgo.Record, err error) {
					if err != nil {
						return
					}
					p.n.Add(1)
					p.mu.Lock()
					k := pkey{r.Topic, r.Partition}
					if p.produced[k] == nil {
						p.produced[k] = map[int64]time.Time{}
					}
					p.produced[k][r.Offset] = r.Timestamp
					p.mu.Unlock()
				})
			}
			p.acked.add(now, float64(p.n.Load()))
		}
	}
}

func (p *producer) producedAt(k pkey, offset int64) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.produced[k][offset]
	return t, ok
}

// consumer is one group member that processes at a paced rate (itSlow
// until slowUntil, then itFast), round robin over its partitions, and
// commits what it processed every itCommitDue.
type consumer struct {
	committed curve
	drainedAt time.Time // when it first caught up after the slow phase; under committed.mu
}

func (c *consumer) run(ctx context.Context, cl *kgo.Client, slowUntil func() time.Time) error {
	queues := make([][]*kgo.Record, itParts)
	last := make([]*kgo.Record, itParts)
	var processed, committed int64
	tokens := 0.0
	prev, lastCommit := time.Now(), time.Now()
	for ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
		fs := cl.PollFetches(pctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) { queues[r.Partition] = append(queues[r.Partition], r) })
		now := time.Now()
		mu := itFast
		if now.Before(slowUntil()) {
			mu = itSlow
		}
		tokens += mu * now.Sub(prev).Seconds()
		prev = now
		queued := 0
		for _, q := range queues {
			queued += len(q)
		}
		if queued == 0 {
			// An idle consumer banks no capacity.
			tokens = min(tokens, 1+mu*0.005)
			if now.After(slowUntil()) && processed > 0 {
				c.committed.mu.Lock()
				if c.drainedAt.IsZero() {
					c.drainedAt = now
				}
				c.committed.mu.Unlock()
			}
		}
		for tokens >= 1 && queued > 0 {
			for p := range queues {
				if tokens < 1 || len(queues[p]) == 0 {
					continue
				}
				last[p], queues[p] = queues[p][0], queues[p][1:]
				tokens--
				queued--
				processed++
			}
		}
		if processed > committed && now.Sub(lastCommit) >= itCommitDue {
			var rs []*kgo.Record
			for _, r := range last {
				if r != nil {
					rs = append(rs, r)
				}
			}
			if err := cl.CommitRecords(ctx, rs...); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("commit: %w", err)
			}
			committed, lastCommit = processed, now
			c.committed.add(time.Now(), float64(committed))
		}
	}
	return nil
}

// TestWatchLiveGroup produces at a known rate to a topic on an in-process
// cluster while a group commits at a known slower, then faster, rate, and
// checks watch against what the producer and the consumer really did: the
// growth rate within 3% while growing, the drain forecast within 5% of
// when the consumer really caught up, the time lag from the records.
func TestWatchLiveGroup(t *testing.T) {
	if testing.Short() {
		t.Skip("runs about 25 s against an in-process cluster")
	}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.GroupMinSessionTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	testWatchLiveGroup(t, cluster.ListenAddrs(), "orders", "analytics", 300*time.Millisecond)
}

// TestWatchLiveGroupRealKafka is TestWatchLiveGroup on real Apache Kafka
// (make kafka-up prints the address to set).
func TestWatchLiveGroupRealKafka(t *testing.T) {
	seeds := kafkatest.Seeds(t)
	kafkatest.Lock(t)
	id := fmt.Sprintf("bbwatch-%d", time.Now().UnixNano())
	// A real broker's first acknowledgements come in a burst (the
	// producer's first batches wait for metadata and the leader): judge
	// growth from 1 s in.
	testWatchLiveGroup(t, seeds, id+"-orders", id+"-analytics", time.Second)
}

func testWatchLiveGroup(t *testing.T, seeds []string, topic, group string, settle time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	admCl, err := kgo.NewClient(kgo.SeedBrokers(seeds...))
	if err != nil {
		t.Fatal(err)
	}
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	if r, err := adm.CreateTopic(ctx, itParts, -1, nil, topic); err != nil || r.Err != nil {
		t.Fatal(err, r.Err)
	}
	defer func() {
		dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer dcancel()
		_, _ = adm.DeleteGroups(dctx, group)
		_, _ = adm.DeleteTopics(dctx, topic)
	}()

	assigned := make(chan struct{})
	var once sync.Once
	consCl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(), kgo.FetchMaxWait(20*time.Millisecond), kgo.SessionTimeout(time.Second), kgo.HeartbeatInterval(200*time.Millisecond),
		kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) { once.Do(func() { close(assigned) }) }))
	if err != nil {
		t.Fatal(err)
	}
	defer consCl.Close()
	prodCl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	defer prodCl.Close()

	// The first produce's time, nil before. Kept as a time.Time with its
	// monotonic reading: the end of the slow phase must not move with a
	// step of the wall clock (CI's clock stepped 0.66 s in a run, and a
	// consumer pacing on wall time sped up that much early).
	var start atomic.Pointer[time.Time]
	slowUntil := func() time.Time {
		if s := start.Load(); s != nil {
			return s.Add(itSlowFor)
		}
		return time.Now().Add(time.Hour)
	}
	var wg sync.WaitGroup
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	cons := &consumer{}
	consErr := make(chan error, 1)
	wg.Add(1)
	go func() { defer wg.Done(); consErr <- cons.run(runCtx, consCl, slowUntil) }()
	select {
	case <-assigned:
	case <-ctx.Done():
		t.Fatal("the consumer was never assigned its partitions")
	}

	var mu sync.Mutex
	var reports []Report
	col := new(Collector)
	srv, err := ServeMetrics("127.0.0.1:0", col)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	watchDone := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		watchDone <- Run(runCtx, Config{Brokers: seeds, Groups: []string{group}, Interval: itInterval, Estimate: Options{Window: itWindow},
			OnReport: func(r Report) {
				col.Observe(r)
				mu.Lock()
				reports = append(reports, r)
				mu.Unlock()
			}})
	}()

	t0 := time.Now()
	start.Store(&t0)
	prod := &producer{}
	wg.Add(1)
	go func() { defer wg.Done(); prod.run(runCtx, prodCl, topic, t0) }()

	// Until the consumer caught up, and 2 s more: bounded by ctx.
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	for cons.drainedAtLoad().IsZero() || time.Since(cons.drainedAtLoad()) < 2*time.Second {
		select {
		case <-deadline.C:
			t.Fatal("the consumer did not catch up within 60 s")
		case err := <-consErr:
			t.Fatalf("consumer: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	body := scrape(t, "http://"+srv.Addr().String()+"/metrics")
	stop()
	wg.Wait()
	if err := <-watchDone; err != nil {
		t.Fatalf("watch: %v", err)
	}
	if !strings.Contains(body, `backlogbench_watch_lag_events{group="`+group+`"}`) {
		t.Errorf("metrics lack the lag gauge:\n%s", body)
	}

	drainedAt := cons.drainedAtLoad()
	slowEnd := t0.Add(itSlowFor)
	t.Logf("caught up %.2f s after the slow phase ended", drainedAt.Sub(slowEnd).Seconds())
	window := func(i int) (from, to time.Time, ok bool) {
		n := reports[i].Groups[0].Samples
		if n < itWindow || i-n+1 < 0 {
			return time.Time{}, time.Time{}, false
		}
		return reports[i-n+1].Time, reports[i].Time, true
	}
	var grew, drained, lagged int
	var worstGrowth, worstDrain float64 // relative errors
	for i, r := range reports {
		if len(r.Groups) != 1 {
			t.Fatalf("report %d: %d groups, want 1: %+v", i, len(r.Groups), r)
		}
		g := r.Groups[0]
		from, to, ok := window(i)
		if !ok || g.Forecast == nil {
			continue
		}
		// The real rates over the report's window, from the producer's and
		// the consumer's own logs (offsets: one record is one offset).
		dt := to.Sub(from).Seconds()
		realGrowth := (prod.acked.at(to) - prod.acked.at(from) - cons.committed.at(to) + cons.committed.at(from)) / dt
		switch {
		case from.After(t0.Add(settle)) && to.Before(slowEnd.Add(-100*time.Millisecond)):
			// Growing, with the whole window in the slow phase.
			grew++
			got := float64(g.Forecast.Growth)
			worstGrowth = max(worstGrowth, math.Abs(got-realGrowth)/realGrowth)
			if g.State != Growing || math.Abs(got-realGrowth) > 0.03*realGrowth {
				t.Errorf("t=%.1fs %s: growth %.1f/s, really %.1f/s (λ %v–%v, μ %v–%v)", float64(r.T), g.State, got, realGrowth, g.InputLow, g.InputHigh, g.ProcLow, g.ProcHigh)
			}
			if math.Abs(realGrowth-(itLambda-itSlow)) > 0.1*(itLambda-itSlow) {
				t.Logf("t=%.1fs: the real growth %.0f/s is off the plan's %.0f/s (a busy machine?)", float64(r.T), realGrowth, itLambda-itSlow)
			}
		case from.After(slowEnd.Add(100*time.Millisecond)) && drainedAt.Sub(r.Time) >= 5*time.Second:
			// Draining, with the whole window in the fast phase and at
			// least 5 s to go.
			drained++
			left := drainedAt.Sub(r.Time).Seconds()
			got := float64(g.Forecast.DrainedIn)
			worstDrain = max(worstDrain, math.Abs(got-left)/left)
			if g.State != Draining || math.Abs(got-left) > 0.05*left {
				t.Errorf("t=%.1fs %s: drained in %.2f s, really %.2f s (λ %v–%v, μ %v–%v, lag %d, %s model)", float64(r.T), g.State, got, left, g.InputLow, g.InputHigh, g.ProcLow, g.ProcHigh, *g.Lag, g.Forecast.Model)
			}
			if !(float64(g.Forecast.DrainedInLow) <= got && got <= float64(g.Forecast.DrainedInHigh)) {
				t.Errorf("t=%.1fs: drain band %v–%v does not hold %v", float64(r.T), g.Forecast.DrainedInLow, g.Forecast.DrainedInHigh, got)
			}
		}
		// The time lag is the age of the record at the committed offset,
		// as produced.
		if g.Lag == nil || *g.Lag < 1000 {
			continue
		}
		want := 0.0
		var diag []string
		for _, p := range g.Partitions {
			if p.Lag == 0 {
				continue
			}
			at, ok := prod.producedAt(pkey{p.Topic, p.Partition}, p.Committed)
			if !ok {
				continue
			}
			diag = append(diag, fmt.Sprintf("p%d@%d: the record's timestamp %+d ms from the produced one", p.Partition, p.Committed, p.RecordTimeMs-at.UnixMilli()))
			want = max(want, r.Time.Round(0).Sub(at).Seconds()) // a timestamp is a wall time: its age on the wall clock
		}
		lagged++
		if g.TimeLagSource != TimeLagTimestamp || math.Abs(float64(g.TimeLag)-want) > 0.1+0.02*want {
			t.Errorf("t=%.1fs: time lag %.3f s from %s, really %.3f s (%s)", float64(r.T), float64(g.TimeLag), g.TimeLagSource, want, strings.Join(diag, "; "))
		}
	}
	t.Logf("judged %d growth rates (worst %.2f%% off), %d drain forecasts (worst %.2f%% off), %d time lags",
		grew, 100*worstGrowth, drained, 100*worstDrain, lagged)
	if grew < 5 || drained < 10 || lagged < 20 {
		t.Errorf("judged %d growing, %d draining and %d time lags of %d reports: too few", grew, drained, lagged, len(reports))
	}
	last := reports[len(reports)-1].Groups[0]
	if last.State != KeepingUp || !last.ProcAtLeast || last.Forecast == nil || last.Forecast.Outcome != OutcomeKeepsUp {
		t.Errorf("after catching up: %s, μ at least %v, forecast %+v; want keeping-up", last.State, last.ProcAtLeast, last.Forecast)
	}
}

func (c *consumer) drainedAtLoad() time.Time {
	// drainedAt is written by the consumer goroutine; read it through a
	// copy guarded by the committed curve's lock.
	c.committed.mu.Lock()
	defer c.committed.mu.Unlock()
	return c.drainedAt
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
