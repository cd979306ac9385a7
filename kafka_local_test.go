package main

import (
	"github.com/backlogbench/backlogbench/internal/kafkatest"

	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// TestRealBrokerListeners checks the cluster that `make kafka-up` started (and
// .ci/run exported as BACKLOGBENCH_KAFKA*): one record goes through every
// listener and SASL mechanism it printed, with franz-go, and a wrong password
// is refused. Without BACKLOGBENCH_KAFKA it is skipped.
func TestRealBrokerListeners(t *testing.T) {
	boot := os.Getenv("BACKLOGBENCH_KAFKA")
	if boot == "" {
		t.Skip("BACKLOGBENCH_KAFKA is not set (make kafka-up prints it; .ci/run exports it)")
	}
	kafkatest.Lock(t)
	user, pass := os.Getenv("BACKLOGBENCH_KAFKA_USER"), os.Getenv("BACKLOGBENCH_KAFKA_PASSWORD")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	seeds := func(v string) []string { return strings.Split(v, ",") }
	adm, err := kgo.NewClient(kgo.SeedBrokers(seeds(boot)...))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	admin := kadm.NewClient(adm)
	nodes, _ := strconv.Atoi(os.Getenv("BACKLOGBENCH_KAFKA_NODES"))
	rf := int16(min(max(nodes, 1), 3))
	topic := fmt.Sprintf("bb-listeners-%d", time.Now().UnixNano())
	if r, err := admin.CreateTopic(ctx, 1, rf, nil, topic); err != nil || r.Err != nil {
		t.Fatalf("create topic %s (replication %d): %v %v", topic, rf, err, r.Err)
	}
	defer admin.DeleteTopics(context.Background(), topic)

	var tlsCfg *tls.Config
	if ca := os.Getenv("BACKLOGBENCH_KAFKA_CA"); ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			t.Fatalf("BACKLOGBENCH_KAFKA_CA: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			t.Fatalf("BACKLOGBENCH_KAFKA_CA %s holds no certificate", ca)
		}
		tlsCfg = &tls.Config{RootCAs: pool}
	}
	mechs := map[string]func(user, pass string) sasl.Mechanism{
		"PLAIN":         func(u, p string) sasl.Mechanism { return plain.Auth{User: u, Pass: p}.AsMechanism() },
		"SCRAM-SHA-256": func(u, p string) sasl.Mechanism { return scram.Auth{User: u, Pass: p}.AsSha256Mechanism() },
		"SCRAM-SHA-512": func(u, p string) sasl.Mechanism { return scram.Auth{User: u, Pass: p}.AsSha512Mechanism() },
	}
	type path struct {
		name, seeds string
		opts        []kgo.Opt
	}
	paths := []path{{"PLAINTEXT", boot, nil}}
	for _, m := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		if v := os.Getenv("BACKLOGBENCH_KAFKA_SASL"); v != "" {
			paths = append(paths, path{"SASL_PLAINTEXT " + m, v, []kgo.Opt{kgo.SASL(mechs[m](user, pass))}})
		}
		if v := os.Getenv("BACKLOGBENCH_KAFKA_SASL_SSL"); v != "" && tlsCfg != nil {
			paths = append(paths, path{"SASL_SSL " + m, v, []kgo.Opt{kgo.SASL(mechs[m](user, pass)), kgo.DialTLSConfig(tlsCfg)}})
		}
	}
	if v := os.Getenv("BACKLOGBENCH_KAFKA_SSL"); v != "" && tlsCfg != nil {
		paths = append(paths, path{"SSL", v, []kgo.Opt{kgo.DialTLSConfig(tlsCfg)}})
	}

	for _, p := range paths {
		t.Run(strings.ReplaceAll(p.name, " ", "_"), func(t *testing.T) {
			cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(seeds(p.seeds)...), kgo.DefaultProduceTopic(topic)}, p.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			if err := cl.ProduceSync(pctx, kgo.StringRecord(p.name)).FirstErr(); err != nil {
				t.Fatalf("produce over %s at %s: %v", p.name, p.seeds, err)
			}
		})
	}

	// Every record is there, read back over PLAINTEXT.
	cons, err := kgo.NewClient(kgo.SeedBrokers(seeds(boot)...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	got := map[string]bool{}
	for len(got) < len(paths) && ctx.Err() == nil {
		cons.PollFetches(ctx).EachRecord(func(r *kgo.Record) { got[string(r.Value)] = true })
	}
	for _, p := range paths {
		if !got[p.name] {
			t.Errorf("the record sent over %s was not read back", p.name)
		}
	}

	// A wrong password is refused.
	if v := os.Getenv("BACKLOGBENCH_KAFKA_SASL"); v != "" {
		cl, err := kgo.NewClient(kgo.SeedBrokers(seeds(v)...), kgo.SASL(mechs["SCRAM-SHA-512"](user, pass+"-wrong")))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := cl.Ping(pctx); err == nil || !strings.Contains(err.Error(), "SASL_AUTHENTICATION_FAILED") {
			t.Errorf("SCRAM-SHA-512 with a wrong password: got %v, want SASL_AUTHENTICATION_FAILED", err)
		}
	}
}
