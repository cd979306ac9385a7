package perf

import (
	"context"
	"testing"
	"time"

	"github.com/backlogbench/backlogbench/broker"
)

// embeddedForTest starts an embedded broker its clients reach in process
// and a context bounded by limit; both end with the test.
func embeddedForTest(tb testing.TB, limit time.Duration) (*broker.Embedded, context.Context) {
	e, err := broker.StartEmbedded(broker.EmbeddedConfig{InProcess: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Close)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	tb.Cleanup(cancel)
	return e, ctx
}

// TestProbe: a probe judges itself (a failure with its reason), measures
// the rate it held and reports the CPU it cost per event.
func TestProbe(t *testing.T) {
	e, ctx := embeddedForTest(t, time.Minute)
	p, err := probe(ctx, Target{Seeds: e.Addrs(), Dial: e.Dial}, 2_000, time.Second, 1, 2, 512)
	if err != nil {
		t.Fatal(err)
	}
	// Whether it passes is the machine's (the race detector can cost a 1 s
	// probe its 10 ms of slip); that it judged and measured is the code's.
	if p.Pass != (p.Why == "") || p.HeldRate <= 0 {
		t.Errorf("2,000/s for 1 s: %+v, want a verdict with its reason and a held rate", p)
	}
	if _, ok := processCPU(); ok && p.CPUPerEventUS <= 0 {
		t.Errorf("CPU per event %v, want > 0", p.CPUPerEventUS)
	}
}

// TestRaw: the raw producer and consumer move every record through the
// embedded broker, in process and over TCP alike, and report a rate from
// the records and the wall time.
func TestRaw(t *testing.T) {
	e, ctx := embeddedForTest(t, time.Minute)
	for _, tg := range []Target{{Seeds: e.Addrs(), Dial: e.Dial}, {Seeds: e.Addrs()}} {
		r, err := Raw(ctx, tg, 20_000, 512, 3)
		if err != nil {
			t.Fatal(err)
		}
		if r.Records != 20_000 || r.WallS <= 0 || r.Rate != float64(r.Records)/r.WallS {
			t.Errorf("in process %v: %+v, want 20,000 records at records ÷ wall", tg.Dial != nil, r)
		}
		if _, ok := processCPU(); ok && (r.CPUS <= 0 || r.CPUPerEventUS != r.CPUS*1e6/float64(r.Records)) {
			t.Errorf("in process %v: CPU %v s, %v µs per event; want > 0 and CPU ÷ records", tg.Dial != nil, r.CPUS, r.CPUPerEventUS)
		}
	}
}
