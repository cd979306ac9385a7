package perf

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/backlogbench/backlogbench/producer"
)

// BenchmarkRoundTrip is the floor under the harness's CPU at low rates:
// what one request costs franz-go's client and the embedded broker
// together, in process as `run` reaches it, with nothing of the harness.
// "produce" is one 512-byte record produced and acknowledged (a run's
// producer options: idempotent, acks=all); "produce+fetch" adds a fetch
// that was waiting on the broker and returns that record. cpu-µs/op is the
// process's CPU per round trip (getrusage); the round trips are sequential,
// so it is close to ns/op. Run it on one processor, as a light run plays:
//
//	go test -run '^$' -bench RoundTrip -cpu 1 ./perf
//
// The flash sale ×30 makes about 2,300 requests a second for 10,700
// deliveries: at these prices the requests alone come to several µs per
// delivered event.
func BenchmarkRoundTrip(b *testing.B) {
	e, ctx := embeddedForTest(b, 5*time.Minute)
	tg := Target{Seeds: e.Addrs(), Dial: e.Dial}
	topic := fmt.Sprintf("bb-roundtrip-%d", time.Now().UnixNano())
	conn, cleanup, err := newTopic(ctx, tg, topic, 12)
	if err != nil {
		b.Fatal(err)
	}
	defer cleanup()
	prod, err := conn.NewClient(producer.ClientOptions(true)...)
	if err != nil {
		b.Fatal(err)
	}
	defer prod.Close()
	value := make([]byte, 512)

	b.Run("produce", func(b *testing.B) {
		b.ReportAllocs()
		cpu := startCPU()
		for b.Loop() {
			if err := prod.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: value}).FirstErr(); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu)
	})
	b.Run("produce+fetch", func(b *testing.B) {
		cons, err := conn.NewClient(kgo.ConsumeTopics(topic), kgo.FetchMinBytes(1),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		if err != nil {
			b.Fatal(err)
		}
		defer cons.Close()
		// Read what "produce" left, so each poll below returns one record.
		if err := drain(ctx, cons, prod, topic, value); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		cpu := startCPU()
		for b.Loop() {
			prod.Produce(ctx, &kgo.Record{Topic: topic, Value: value}, nil)
			for got := 0; got == 0; {
				if ctx.Err() != nil {
					b.Fatal(ctx.Err())
				}
				got = cons.PollRecords(ctx, 100).NumRecords()
			}
		}
		reportCPU(b, cpu)
	})
}

// drain reads the topic until a marker record, produced after everything
// else, comes back.
func drain(ctx context.Context, cons, prod *kgo.Client, topic string, value []byte) error {
	marker := []byte("bb-roundtrip-marker")
	if err := prod.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: marker, Value: value}).FirstErr(); err != nil {
		return err
	}
	for {
		fs := cons.PollRecords(ctx, 10_000)
		if err := ctx.Err(); err != nil {
			return err
		}
		found := false
		fs.EachRecord(func(r *kgo.Record) { found = found || string(r.Key) == string(marker) })
		if found {
			return nil
		}
	}
}

// reportCPU reports the process's CPU per iteration since cpu started.
func reportCPU(b *testing.B, cpu cpuMeter) {
	if _, us := cpu.perEventUS(int64(b.N)); us > 0 {
		b.ReportMetric(us, "cpu-µs/op")
	}
}
