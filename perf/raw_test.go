package perf

import (
	"context"
	"testing"
	"time"

	"github.com/backlogbench/backlogbench/broker"
)

// TestRaw: the raw producer and consumer move every record through the
// embedded broker, in process and over TCP alike, and report a rate from
// the records and the wall time.
func TestRaw(t *testing.T) {
	e, err := broker.StartEmbedded(broker.EmbeddedConfig{InProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, tg := range []Target{{Seeds: e.Addrs(), Dial: e.Dial}, {Seeds: e.Addrs()}} {
		r, err := Raw(ctx, tg, 20_000, 512, 3)
		if err != nil {
			t.Fatal(err)
		}
		if r.Records != 20_000 || r.WallS <= 0 || r.Rate != float64(r.Records)/r.WallS {
			t.Errorf("in process %v: %+v, want 20,000 records at records ÷ wall", tg.Dial != nil, r)
		}
	}
}
