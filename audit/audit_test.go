package audit

import (
	"sync"
	"testing"
)

func TestLog(t *testing.T) {
	l := New(3)
	deliveries := []struct {
		p     uint32
		seq   uint64
		first bool
	}{
		{1, 0, true}, {1, 0, false}, {1, 0, false}, {1, 0, false}, // saturates at 3
		{1, 70000, true}, // a second page
		{2, 5, true}, {2, 5, false},
		{7, 1, false}, // unknown producer
	}
	for _, d := range deliveries {
		if got := l.Deliver(d.p, d.seq); got != d.first {
			t.Errorf("Deliver(%d, %d) = %v, want %v", d.p, d.seq, got, d.first)
		}
	}
	if got, want := l.Delivered(), int64(7); got != want {
		t.Errorf("Delivered() = %d, want %d", got, want)
	}
	if got, want := l.Unique(), int64(3); got != want {
		t.Errorf("Unique() = %d, want %d", got, want)
	}
	if got := l.Count(1, 0); got != 3 {
		t.Errorf("Count(1, 0) = %d, want 3", got)
	}
	if got := l.Count(2, 5); got != 2 {
		t.Errorf("Count(2, 5) = %d, want 2", got)
	}
	tests := []struct {
		p    uint32
		n    uint64
		want uint64
	}{
		{1, 1, 0}, {1, 2, 1}, {1, 70001, 69999}, {2, 10, 9}, {0, 100, 100}, {1, 33, 32}, {1, 64, 63},
	}
	for _, tt := range tests {
		if got := l.Missing(tt.p, tt.n); got != tt.want {
			t.Errorf("Missing(%d, %d) = %d, want %d", tt.p, tt.n, got, tt.want)
		}
	}
}

func TestLogConcurrent(t *testing.T) {
	l := New(1)
	const n, workers = 100000, 4
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each event is delivered by two workers.
			for s := uint64(0); s < n; s++ {
				if int(s%workers) == w || int((s+1)%workers) == w {
					l.Deliver(0, s)
				}
			}
		}()
	}
	wg.Wait()
	if l.Unique() != n || l.Delivered() != 2*n || l.Missing(0, n) != 0 {
		t.Errorf("unique %d, delivered %d, missing %d", l.Unique(), l.Delivered(), l.Missing(0, n))
	}
	for s := uint64(0); s < n; s += 997 {
		if c := l.Count(0, s); c != 2 {
			t.Fatalf("Count(0, %d) = %d, want 2", s, c)
		}
	}
}

func TestStore(t *testing.T) {
	s := NewStore(2)
	if !s.FirstApply(1, 42) || s.FirstApply(1, 42) || !s.FirstApply(0, 42) || !s.FirstApply(1, 1<<20) {
		t.Error("FirstApply is not test-and-set per (producer, seq)")
	}
}

// BenchmarkLog10M records 10 million deliveries and reports the audit's
// memory: the budget is 4 MB per group for 10 million events.
func BenchmarkLog10M(b *testing.B) {
	b.ReportAllocs()
	var bytes int
	for b.Loop() {
		l := New(1)
		for s := uint64(0); s < 10_000_000; s++ {
			l.Deliver(0, s)
		}
		bytes = l.Bytes()
	}
	b.ReportMetric(float64(bytes)/(1<<20), "MiB/10M-events")
}

// BenchmarkDeliver is the hot-path cost of one delivery.
func BenchmarkDeliver(b *testing.B) {
	l := New(1)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		l.Deliver(0, uint64(i%1_000_000))
	}
}
