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
