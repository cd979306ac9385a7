// Package perf measures what the harness costs against what franz-go and
// the broker do without it, for `backlogbench perf` (`make perf`):
//
//   - Raw: a bare producer sending as fast as the client takes records, and
//     a bare consumer group reading all of them, on a broker: the most a
//     run with one group could move, R_raw = N / (t_last read − t_first send).
//   - Ceiling: the highest rate the paced producer holds with one group
//     keeping up, found by search; the goal is Ceiling ≥ 0.8 × R_raw.
//   - Fan-out: the same search with four groups of four workers.
//   - Child: CPU time and peak RSS of a `backlogbench run` child process,
//     for the CPU per delivered event and the memory per million events.
//
// Raw and every probe run on a broker of their own (Brokers,
// FreshEmbedded) and report this process's CPU per event: the broker's
// and the clients', and in a probe the harness's too.
package perf

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/backlogbench/backlogbench/broker"
	"github.com/backlogbench/backlogbench/producer"
)

// Target is where a measurement reaches the broker: its seeds, and the
// dialer of the clients in this process (nil: TCP). perf dials its
// embedded broker in process (broker.Embedded.Dial), as `run` dials the
// one it starts, so the raw clients, the paced probes and a run pay the
// same transport; kcat, another process, connects over TCP.
type Target struct {
	Seeds []string
	Dial  broker.DialFunc
}

// opts returns the client options that reach the target.
func (t Target) opts() []kgo.Opt {
	if t.Dial == nil {
		return nil
	}
	return []kgo.Opt{kgo.Dialer(t.Dial)}
}

// RawResult is a raw franz-go measurement.
type RawResult struct {
	Records int     `json:"records"`
	Size    int     `json:"size_bytes"`
	WallS   float64 `json:"wall_s"`
	Rate    float64 `json:"rate_per_s"` // records produced and consumed per second of wall time
	// CPUS is this process's CPU time over the same span (the broker and
	// both clients), CPUPerEventUS that per record; 0 where getrusage is
	// missing.
	CPUS          float64 `json:"cpu_s,omitempty"`
	CPUPerEventUS float64 `json:"cpu_us_per_event,omitempty"`
}

// Raw produces n records of size bytes to a new topic of partitions
// partitions, unpaced, with the producer options of a run
// (producer.ClientOptions: idempotent, acks=all, no linger), while one
// consumer group client reads them; it returns the end-to-end rate. The
// topic is deleted afterwards.
func Raw(ctx context.Context, tg Target, n, size, partitions int) (RawResult, error) {
	res := RawResult{Records: n, Size: size}
	topic := fmt.Sprintf("bb-perf-raw-%d", time.Now().UnixNano())
	conn, cleanup, err := newTopic(ctx, tg, topic, partitions)
	if err != nil {
		return res, err
	}
	defer cleanup()
	cons, err := conn.NewClient(kgo.ConsumerGroup(topic), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMinBytes(1))
	if err != nil {
		return res, err
	}
	defer cons.Close()
	prod, err := conn.NewClient(producer.ClientOptions(true)...)
	if err != nil {
		return res, err
	}
	defer prod.Close()

	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var read atomic.Int64
	done := make(chan error, 1)
	go func() { // owned by Raw: ends when every record is read or ctx ends
		for read.Load() < int64(n) {
			fs := cons.PollFetches(ctx)
			if ctx.Err() != nil {
				done <- ctx.Err()
				return
			}
			read.Add(int64(fs.NumRecords()))
		}
		done <- nil
	}()
	// Let the group join before the clock starts.
	time.Sleep(500 * time.Millisecond)
	value := make([]byte, size)
	var wg sync.WaitGroup
	var failed atomic.Int64
	cpu := startCPU()
	start := time.Now()
	for range n {
		wg.Add(1)
		prod.Produce(ctx, &kgo.Record{Topic: topic, Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.Add(1)
			}
			wg.Done()
		})
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return res, fmt.Errorf("raw producer: %d of %d records failed", f, n)
	}
	if err := <-done; err != nil {
		return res, fmt.Errorf("raw consumer: read %d of %d: %w", read.Load(), n, err)
	}
	res.WallS = time.Since(start).Seconds()
	res.Rate = float64(n) / res.WallS
	res.CPUS, res.CPUPerEventUS = cpu.perEventUS(int64(n))
	return res, nil
}

// newTopic creates topic with partitions partitions on the target broker
// and waits until it is ready. cleanup deletes it (and a group of
// the same name) and closes the connection.
func newTopic(ctx context.Context, tg Target, topic string, partitions int) (conn *broker.Conn, cleanup func(), err error) {
	conn, err = broker.Connect(ctx, tg.Seeds, tg.opts())
	if err != nil {
		return nil, nil, err
	}
	cleanup = func() {
		dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = conn.Cleanup(dctx, []string{topic}, []string{topic})
		conn.Close()
	}
	if _, err := conn.CreateTopics(ctx, []broker.Topic{{Name: topic, Partitions: partitions, Replication: -1}}); err != nil {
		conn.Close()
		return nil, nil, err
	}
	if err := conn.WaitTopicsReady(ctx, []string{topic}); err != nil {
		cleanup()
		return nil, nil, err
	}
	return conn, cleanup, nil
}
