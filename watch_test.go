package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// watchCLI runs watch in process.
func watchCLI(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = dispatch(ctx, append([]string{"watch"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestWatchCommandUsage(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"--format", "xml"}, "--format: want table or json"},
		{[]string{"--plan"}, "--plan needs --drain-within"},
		{[]string{"--drain-within", "10m"}, "--plan needs --drain-within"},
		{[]string{"--rate-plan", "10m"}, "bad rate plan"},
		{[]string{"--rate-plan", "1m:5", "--scenario", "flash-sale"}, "give one future input"},
		{[]string{"--scenario-at", "1m"}, "go with --scenario"},
		{[]string{"--scenario", "no-such-file.yaml"}, "no-such-file.yaml"},
		{[]string{"--interval", "0s"}, "--interval: must be > 0"},
		{[]string{"--window", "2"}, "window must be at least"},
		{[]string{"--brokers", "host:"}, "want host[:port]"},
		{[]string{"--metrics-addr", "9464"}, "--metrics-addr"},
		{[]string{"group-name"}, "takes no arguments"},
	} {
		code, _, errOut := watchCLI(context.Background(), tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.stderr) {
			t.Errorf("watch %q: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, exitUsage, tc.stderr)
		}
	}
}

func TestWatchCommandUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	start := time.Now()
	code, _, errOut := watchCLI(context.Background(), "--brokers", addr)
	if code != exitFailure || !strings.Contains(errOut, "cannot reach the Kafka brokers at "+addr) {
		t.Errorf("exit %d, stderr %q; want %d and an unreachable error", code, errOut, exitFailure)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestWatchCommand watches a draining group on an in-process cluster for
// a second, with every output on, and is interrupted the second time.
func TestWatchCommand(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.DefaultProduceTopic("orders"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "orders"); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("o")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	var offs kadm.Offsets
	offs.Add(kadm.Offset{Topic: "orders", Partition: 0, At: 10, LeaderEpoch: -1})
	if _, err := adm.CommitOffsets(ctx, "email", offs); err != nil {
		t.Fatal(err)
	}
	broker := strings.TrimPrefix(cluster.ListenAddrs()[0], "127.0.0.1")
	dir := filepath.Join(t.TempDir(), "w")
	code, out, errOut := watchCLI(ctx, "--brokers", "localhost"+broker, "--group", "email", "--interval", "200ms", "--for", "1s",
		"--format", "json", "--out", dir, "--metrics-addr", "127.0.0.1:0", "--rate-plan", "0s:100", "--plan", "--drain-within", "1m")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 {
		t.Fatalf("%d lines of JSON, want a few:\n%s", len(lines), out)
	}
	var last struct {
		Groups []struct {
			Group    string
			State    string
			Lag      *int64
			Forecast *struct {
				Outcome string
			}
			Plan *struct {
				Feasible bool
			}
		}
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatal(err)
	}
	if g := last.Groups; len(g) != 1 || g[0].Group != "email" || *g[0].Lag != 40 || g[0].State != "stalled" || g[0].Forecast == nil || g[0].Plan == nil {
		t.Errorf("last line: %s", lines[len(lines)-1])
	}
	for _, f := range []string{"samples.jsonl", "report.html"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(errOut, "metrics: http://127.0.0.1:") || !strings.Contains(errOut, "rate plan 0s:100") {
		t.Errorf("stderr: %s", errOut)
	}

	// Interrupted: exit 0 with the files written.
	ictx, icancel := context.WithCancel(ctx)
	time.AfterFunc(500*time.Millisecond, icancel)
	dir2 := filepath.Join(t.TempDir(), "w2")
	code, out, errOut = watchCLI(ictx, "--brokers", cluster.ListenAddrs()[0], "--interval", "100ms", "--out", dir2)
	if code != exitOK || !strings.Contains(out, "email") {
		t.Errorf("interrupted: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if b, err := os.ReadFile(filepath.Join(dir2, "samples.jsonl")); err != nil || len(b) == 0 {
		t.Errorf("interrupted: samples.jsonl %d bytes, %v", len(b), err)
	}
}
