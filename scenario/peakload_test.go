package scenario

import "testing"

// TestPeakLoad: the producers at their highest rates (a ramp's end, the
// resends on top) plus every group's largest capacity, an exactly-once
// group's twice (its effects are produced records too).
func TestPeakLoad(t *testing.T) {
	sc, err := Parse("load.yaml", []byte(`
name: load
topics:
  a: {partitions: 2}
producers:
  p:
    topic: a
    event: order
    size: 512
    resend: 0.5
    phases:
      - {duration: 1m, rate: 10, to: 40}
      - {duration: 1m, rate: 20}
groups:
  g: {topics: [a], workers: 1, capacity: 30}
  h:
    topics: [a]
    workers: 1
    delivery: exactly-once
    phases:
      - {duration: 1m, capacity: 5}
      - {duration: 1m, capacity: 7}
`))
	if err != nil {
		t.Fatal(err)
	}
	// 40·1.5 + 30 + 2·7
	if got, want := sc.PeakLoad(), 60.0+30+14; got != want {
		t.Errorf("PeakLoad %v, want %v", got, want)
	}
}
