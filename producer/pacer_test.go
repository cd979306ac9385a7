package producer

import (
	"testing"
	"time"

	"github.com/backlogbench/backlogbench/rate"
)

func TestPacerPace(t *testing.T) {
	// 100/s for 10 s, sped up 10×: event k is due at k ms of wall time.
	p := Pacer{Schedule: rate.New(rate.Segment{Dur: 10, From: 100, To: 100}), Speedup: 10}
	tests := []struct {
		elapsed  time.Duration
		sent     uint64
		wait     time.Duration
		stop     bool
		scenario float64
	}{
		{0, 0, 0, false, 0},
		{0, 1, time.Millisecond, false, 0.01},
		{500 * time.Microsecond, 1, 500 * time.Microsecond, false, 0.01},
		{5 * time.Millisecond, 1, 0, false, 0.01}, // late: no wait, no drift
		{0, 999, 999 * time.Millisecond, false, 9.99},
		{time.Second, 1000, 0, true, 0},
	}
	for _, tt := range tests {
		wait, stop := p.Pace(tt.elapsed, tt.sent)
		if wait != tt.wait || stop != tt.stop {
			t.Errorf("Pace(%v, %d) = %v, %v; want %v, %v", tt.elapsed, tt.sent, wait, stop, tt.wait, tt.stop)
		}
		if !tt.stop {
			if due, _ := p.Due(tt.sent); abs(due-tt.scenario) > 1e-9 {
				t.Errorf("Due(%d) = %v, want %v", tt.sent, due, tt.scenario)
			}
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestPacerPhases(t *testing.T) {
	// A silent first phase, then 80/s: the first event is due at 120 s.
	p := Pacer{Schedule: rate.New(rate.Segment{Dur: 120}, rate.Segment{Dur: 300, From: 80, To: 80})}
	if due, ok := p.Due(0); !ok || due != 120 {
		t.Errorf("Due(0) = %v, %v; want 120, true", due, ok)
	}
	if got, want := p.Total(), uint64(24000); got != want {
		t.Errorf("Total() = %d, want %d", got, want)
	}
	if due, ok := p.Due(23999); !ok || abs(due-(120+23999.0/80)) > 1e-9 {
		t.Errorf("Due(23999) = %v, %v", due, ok)
	}
	if _, ok := p.Due(24000); ok {
		t.Error("Due(24000) is past the end and should not be due")
	}
}

func TestPacerRamp(t *testing.T) {
	// A ramp 0 → 200/s over 100 s sends 10,000 events; N(t) = t², so event
	// k is due at √k.
	p := Pacer{Schedule: rate.New(rate.Segment{Dur: 100, From: 0, To: 200})}
	if got := p.Total(); got != 10000 {
		t.Errorf("Total() = %d, want 10000", got)
	}
	for _, k := range []uint64{0, 1, 100, 2500, 9999} {
		due, ok := p.Due(k)
		want := sqrt(float64(k))
		if !ok || abs(due-want) > 1e-9 {
			t.Errorf("Due(%d) = %v, %v; want %v", k, due, ok, want)
		}
	}
}

func sqrt(x float64) float64 {
	z := x / 2
	if x == 0 {
		return 0
	}
	for range 60 {
		z = (z + x/z) / 2
	}
	return z
}

// TestPacerOpenLoop plays a pacer with a simulated clock in which every
// send takes 3 ms: the sends fall behind but no event is lost, and the
// pacer catches up without drifting once sending is fast again.
func TestPacerOpenLoop(t *testing.T) {
	p := Pacer{Schedule: rate.New(rate.Segment{Dur: 1, From: 1000, To: 1000})}
	var now time.Duration
	sent := uint64(0)
	for {
		wait, stop := p.Pace(now, sent)
		if stop {
			break
		}
		now += wait
		if sent < 100 {
			now += 3 * time.Millisecond // slow sends
		}
		sent++
	}
	if sent != 1000 {
		t.Fatalf("sent %d events, want 1000", sent)
	}
	// 100 slow sends take 300 ms; the remaining 900 are due by 999 ms, so
	// the run ends on schedule.
	if now != 999*time.Millisecond {
		t.Errorf("finished at %v, want 999ms", now)
	}
}

func BenchmarkPace(b *testing.B) {
	p := Pacer{Schedule: rate.New(rate.Segment{Dur: 120}, rate.Segment{Dur: 600, From: 100, To: 100}), Speedup: 10}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p.Pace(time.Duration(i)*time.Microsecond, uint64(i%50000))
	}
}
