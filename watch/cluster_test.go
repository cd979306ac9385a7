package watch

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestWatchClusterStates watches groups in the states a cluster holds
// besides the busy ones: a group on an idle topic, one stuck at an offset,
// one whose topic was deleted, one with a member and no commit, and one
// that does not exist.
func TestWatchClusterStates(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.GroupMinSessionTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	seeds := cluster.ListenAddrs()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.DefaultProduceTopic("busy"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	for _, topic := range []string{"quiet", "busy", "doomed"} {
		if _, err := adm.CreateTopic(ctx, 1, 1, nil, topic); err != nil {
			t.Fatal(err)
		}
	}
	for range 100 {
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("x")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	commit := func(group, topic string, at int64) {
		t.Helper()
		var os kadm.Offsets
		os.Add(kadm.Offset{Topic: topic, Partition: 0, At: at, LeaderEpoch: -1})
		if _, err := adm.CommitOffsets(ctx, group, os); err != nil {
			t.Fatal(err)
		}
	}
	commit("idle", "quiet", 0) // an idle topic: nothing to do
	commit("stuck", "busy", 5) // 95 behind, and no one commits
	commit("gone", "doomed", 0)
	// A member with no commit: it joins and never commits.
	fresh, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumerGroup("fresh"), kgo.ConsumeTopics("quiet"),
		kgo.DisableAutoCommit(), kgo.SessionTimeout(time.Second), kgo.HeartbeatInterval(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	var wg sync.WaitGroup
	pollCtx, stopPoll := context.WithCancel(ctx)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for pollCtx.Err() == nil {
			fresh.PollFetches(pollCtx)
		}
	}()
	defer func() { stopPoll(); wg.Wait() }()

	watch := func(groups ...string) map[string]GroupReport {
		t.Helper()
		var last Report
		err := Run(ctx, Config{Brokers: seeds, Groups: groups, Interval: 100 * time.Millisecond, For: 800 * time.Millisecond,
			OnReport: func(r Report) {
				if b, err := json.Marshal(r); err != nil || strings.Contains(string(b), "NaN") {
					t.Errorf("report %v: %s", err, b)
				}
				last = r
			}})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]GroupReport{}
		for _, g := range last.Groups {
			out[g.Group] = g
		}
		return out
	}

	// Every group with a commit or a member: not nosuch.
	all := watch()
	for _, c := range []struct{ group, state string }{{"idle", KeepingUp}, {"stuck", Stalled}} {
		g, ok := all[c.group]
		if !ok {
			t.Errorf("%s is not watched (%d groups)", c.group, len(all))
			continue
		}
		if g.State != c.state {
			t.Errorf("%s: state %s, want %s (notes %q)", c.group, g.State, c.state, g.Notes)
		}
	}
	// fresh has no commit but a member holding a partition: it is shown.
	if g, ok := all["fresh"]; !ok || g.State != NoCommits {
		t.Errorf("fresh (a member, no commit) without --group: watched %v, state %q; want %s", ok, g.State, NoCommits)
	}
	if g := all["stuck"]; g.Lag == nil || *g.Lag != 95 || g.Forecast == nil || !g.Stalled {
		t.Errorf("stuck: lag %v, forecast %+v, stalled %v; want 95, one, true", g.Lag, g.Forecast, g.Stalled)
	}
	if g := all["idle"]; float64(g.InputRate) != 0 || !g.ProcAtLeast || g.Forecast == nil || g.Forecast.Outcome != OutcomeKeepsUp {
		t.Errorf("idle: λ %v, μ at least %v, forecast %+v; want 0, true, keeps up", g.InputRate, g.ProcAtLeast, g.Forecast)
	}

	// Named groups are watched whatever they hold.
	named := watch("fresh", "nosuch")
	for _, g := range []string{"fresh", "nosuch"} {
		if r, ok := named[g]; !ok || r.State != NoCommits || r.Lag != nil || r.Forecast != nil {
			t.Errorf("%s: %+v, want no-commits with no lag and no forecast", g, r)
		}
	}
	if m := named["fresh"].Members; m != 1 {
		t.Errorf("fresh has %d members, want 1", m)
	}
	if n := named["nosuch"].Notes; len(n) == 0 || !strings.Contains(n[0], "no such group") {
		t.Errorf("nosuch: notes %q, want one saying so", n)
	}

	// A topic deleted while its group is watched: its offsets go with it
	// (or stay without a log end), never a panic or a NaN.
	wg.Add(1)
	go func() {
		defer wg.Done()
		time.Sleep(300 * time.Millisecond)
		if _, err := adm.DeleteTopic(ctx, "doomed"); err != nil {
			t.Error(err)
		}
	}()
	if g := watch("gone")["gone"]; g.State != NoCommits && g.State != NoTopic {
		t.Errorf("gone, after its topic was deleted: %s, want no-commits or no-topic", g.State)
	}
}

// TestWatchUnreachable checks that a broker that is not there fails fast
// with ErrUnreachable.
func TestWatchUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	start := time.Now()
	err = Run(context.Background(), Config{Brokers: []string{addr}, Interval: time.Second})
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v to fail", d)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name the broker", err)
	}
}

func TestConfigValidate(t *testing.T) {
	c := Config{Brokers: []string{"kafka-1", "kafka-2:19092", "[::1]", "10.0.0.1"}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := []string{"kafka-1:9092", "kafka-2:19092", "[::1]:9092", "10.0.0.1:9092"}
	for i := range want {
		if c.Brokers[i] != want[i] {
			t.Errorf("broker %d = %q, want %q", i, c.Brokers[i], want[i])
		}
	}
	if c.Interval != 5*time.Second || c.Timeout != 4*time.Second || c.Estimate.Window != 10 {
		t.Errorf("defaults: interval %v, timeout %v, window %d", c.Interval, c.Timeout, c.Estimate.Window)
	}
	for _, bad := range []Config{
		{Brokers: []string{"host:"}},
		{Brokers: []string{":9092"}},
		{Brokers: []string{"::1"}},
		{Brokers: []string{"h:99999"}},
		{Interval: time.Millisecond},
		{For: -time.Second},
		{Estimate: Options{Window: 3}},
		{Groups: []string{""}},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", bad)
		}
	}
	c = Config{Interval: 100 * time.Millisecond}
	_ = c.Validate()
	if c.Timeout != time.Second {
		t.Errorf("timeout at a 100ms interval = %v, want 1s", c.Timeout)
	}
}
