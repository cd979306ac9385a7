package perf

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/backlogbench/backlogbench/scenario"
)

// TestSearch: the search finds a threshold to within the last interval
// halved steps times, and never reports a rate that failed.
func TestSearch(t *testing.T) {
	for _, c := range []struct {
		threshold, want float64
		tries           int
	}{
		{threshold: 130_000, want: 125_000, tries: 4 + 3}, // 25k 50k 100k 200k✗, then 150k✗ 125k 137.5k✗
		{threshold: 10_000, want: 9_375, tries: 1 + 3},    // 25k✗, then 12.5k✗ 6.25k 9.375k
		{threshold: 1e9, want: 1_600_000, tries: 7},       // passes up to the bound
	} {
		n := 0
		got, err := search(25_000, 1_600_000, 3, func(r float64) (bool, error) { n++; return r <= c.threshold, nil })
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want || n != c.tries {
			t.Errorf("threshold %v: got %v in %d tries, want %v in %d", c.threshold, got, n, c.want, c.tries)
		}
		if got > c.threshold {
			t.Errorf("threshold %v: reported %v, which failed", c.threshold, got)
		}
	}
}

// TestCeilingScenario: the generated scenario parses, with capacity twice
// the rate in every group.
func TestCeilingScenario(t *testing.T) {
	sc, err := scenario.Parse("c.yaml", []byte(ceilingScenario(50_000, 10e9, 4, 4, 512)))
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Groups) != 4 || sc.Groups["g3"].Capacity != 100_000 || sc.Groups["g3"].Workers != 4 {
		t.Errorf("groups %+v", sc.Groups)
	}
	if n := sc.Producers["orders"].Schedule().Total(); n != 500_000 {
		t.Errorf("events %v, want 500,000", n)
	}
}

// TestCeilingBrokers: every probe of a search runs on a broker of its own,
// each stopped (its folder removed) before the next starts.
func TestCeilingBrokers(t *testing.T) {
	dir := t.TempDir()
	fresh := FreshEmbedded(dir)
	started, running := 0, 0
	brokers := func() (Target, func(), error) {
		tg, stop, err := fresh()
		if err != nil {
			return tg, stop, err
		}
		started++
		running++
		if running > 1 {
			t.Errorf("probe %d started beside another's broker", started)
		}
		return tg, func() { stop(); running-- }, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Ceiling(ctx, brokers, 1_000, 2_000, 0, time.Second, 1, 1, 512, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	// 1,000/s, then 2,000/s if it passed (the race detector can fail a
	// probe of 1 s on its 10 ms of slip): a broker each either way.
	if n := len(res.Probes); n < 1 || n > 2 || started != n || running != 0 {
		t.Errorf("%d probes on %d brokers, %d left running; want one broker a probe, none left", n, started, running)
	}
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Errorf("%d broker folders left in %s", len(es), dir)
	}
}
