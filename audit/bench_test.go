package audit

import "testing"

// BenchmarkDeliverOnce is the hot path of a group keeping up: every
// delivery is an event's first, so each one changes a cell.
func BenchmarkDeliverOnce(b *testing.B) {
	l := New(1)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		l.Deliver(0, uint64(i))
	}
}

// BenchmarkFirstApply is the dedup store's (and the producer's acked
// ids') hot path: every id is new.
func BenchmarkFirstApply(b *testing.B) {
	s := NewStore(1)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.FirstApply(0, uint64(i))
	}
}

// BenchmarkLog10MCompacted records 10 million deliveries, one per event,
// compacts, and reports what the log then takes: the page entries only
// (every page was delivered once; the shared page is not counted).
func BenchmarkLog10MCompacted(b *testing.B) {
	b.ReportAllocs()
	var bytes int
	for b.Loop() {
		l := New(1)
		for s := uint64(0); s < 10_000_000; s++ {
			l.Deliver(0, s)
		}
		l.Compact()
		bytes = l.Bytes()
	}
	b.ReportMetric(float64(bytes), "B/10M-events")
}

// BenchmarkCompactRound is one periodic compaction round of a log and a
// store that hold 10 million settled events and a page being filled: the
// steady state of a run that keeps up.
func BenchmarkCompactRound(b *testing.B) {
	const n = 10_000_000
	l, s := New(1), NewStore(1)
	for i := uint64(0); i < n; i++ {
		l.Deliver(0, i)
		s.FirstApply(0, i)
	}
	l.Compact()
	s.Compact()
	b.ReportAllocs()
	for b.Loop() {
		l.Compact()
		s.Compact()
	}
}
