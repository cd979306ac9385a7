package sampler

import "testing"

// TestAckLogTrim checks that trimming keeps ages exact above the slack,
// frees what every group is past, and that a rewind below it still reads
// an age.
func TestAckLogTrim(t *testing.T) {
	l := NewAckLog(1)
	const n = 10 * TrimSlack
	for off := range int64(n) {
		l.Add(0, off, float64(off))
	}
	l.Trim(0, n-10)
	if got := l.Len(0); got > 2*TrimSlack+10 || got < TrimSlack {
		t.Errorf("kept %d entries after the trim", got)
	}
	for _, off := range []int64{n - 10, n - TrimSlack, n - 1} {
		if got, ok := l.Oldest(0, off); !ok || got != float64(off) {
			t.Errorf("Oldest(%d) = %v, %v; want %d", off, got, ok, off)
		}
	}
	if _, ok := l.Oldest(0, n); ok {
		t.Error("Oldest past the end is ok")
	}
	if got, ok := l.Oldest(0, 0); !ok || got > float64(n) {
		t.Errorf("Oldest below the trim = %v, %v; want the oldest kept", got, ok)
	}
	l.Add(0, n, n) // appends still land at their offset
	if got, _ := l.Oldest(0, n); got != n {
		t.Errorf("after the trim Add(%d) reads %v", n, got)
	}
}

// BenchmarkAckLog is the ack log's cost per acknowledged event on the
// producer's ack path: Add, with the sampler's Trim every 1,000 events a
// group is past, so the log stays bounded as in a run. Budget: 0 allocs
// per event in steady state (the slice grows by doubling and a trim
// copies the tail once per TrimSlack events: amortized, under 0.01).
func BenchmarkAckLog(b *testing.B) {
	b.ReportAllocs()
	l := NewAckLog(12)
	var off [12]int64
	for i := range b.N {
		p := int32(i % 12)
		l.Add(p, off[p], float64(i))
		off[p]++
		if off[p]%1000 == 0 {
			l.Trim(p, off[p]-100)
		}
	}
}
