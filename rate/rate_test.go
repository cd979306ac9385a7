package rate

import (
	"math"
	"testing"
)

func TestScheduleCountAndTimeOf(t *testing.T) {
	// 0/s for 10 s, a ramp 0 → 100/s over 10 s (500 events), then 100/s
	// for 10 s (1,000 events).
	s := New(Segment{Dur: 10}, Segment{Dur: 10, From: 0, To: 100}, Segment{Dur: 10, From: 100, To: 100})
	counts := []struct{ t, n float64 }{{0, 0}, {10, 0}, {15, 125}, {20, 500}, {25, 1000}, {30, 1500}, {40, 1500}}
	for _, c := range counts {
		if got := s.Count(c.t); math.Abs(got-c.n) > 1e-9 {
			t.Errorf("Count(%v) = %v, want %v", c.t, got, c.n)
		}
	}
	times := []struct{ k, t float64 }{{0, 10}, {125, 15}, {500, 20}, {999, 24.99}}
	for _, c := range times {
		if got, ok := s.TimeOf(c.k); !ok || math.Abs(got-c.t) > 1e-9 {
			t.Errorf("TimeOf(%v) = %v, %v; want %v", c.k, got, ok, c.t)
		}
	}
	if _, ok := s.TimeOf(1500); ok {
		t.Error("TimeOf(1500) is past the end")
	}
	if got := s.Rate(15); got != 50 {
		t.Errorf("Rate(15) = %v, want 50", got)
	}
	if got := s.Scaled(2).Total(); got != 3000 {
		t.Errorf("Scaled(2).Total() = %v, want 3000", got)
	}
}

func TestForever(t *testing.T) {
	s := New(Segment{Dur: math.Inf(1), From: 4, To: 4})
	if got, ok := s.TimeOf(10); !ok || got != 2.5 {
		t.Errorf("TimeOf(10) = %v, %v", got, ok)
	}
	if !math.IsInf(s.Total(), 1) {
		t.Errorf("Total() = %v, want +Inf", s.Total())
	}
	zero := New(Segment{Dur: math.Inf(1)})
	if _, ok := zero.TimeOf(0); ok {
		t.Error("a rate of 0 for ever never reaches an event")
	}
}

func TestSum(t *testing.T) {
	// 10/s for 10 s, then a ramp 10 → 30 over 10 s; plus 5/s from 5 s for
	// ever (0 for 5 s first).
	a := New(Segment{Dur: 10, From: 10, To: 10}, Segment{Dur: 10, From: 10, To: 30})
	b := New(Segment{Dur: 5, From: 0, To: 0}, Segment{Dur: math.Inf(1), From: 5, To: 5})
	s := Sum(a, b)
	// The sum's rate and count are the parts' everywhere: inside a
	// segment, at a breakpoint, on a ramp, after the first ends.
	for _, at := range []float64{0, 2, 5, 7, 10, 15, 19.5, 20, 25, 1e6} {
		if got, want := s.Rate(at), a.Rate(at)+b.Rate(at); math.Abs(got-want) > 1e-9 {
			t.Errorf("rate at %v: %v, want %v", at, got, want)
		}
		if got, want := s.Count(at), a.Count(at)+b.Count(at); math.Abs(got-want) > 1e-6 {
			t.Errorf("count at %v: %v, want %v", at, got, want)
		}
	}
	// By hand at 15 s: a gave 100 + (10·5 + 20·5²/(2·10)) = 175, b 50.
	if got := s.Count(15); math.Abs(got-225) > 1e-9 {
		t.Errorf("count at 15: %v, want 225", got)
	}
	if !math.IsInf(s.End(), 1) {
		t.Errorf("end %v, want +Inf", s.End())
	}
	if got := Sum(a).Total(); got != a.Total() {
		t.Errorf("a alone: total %v, want %v", got, a.Total())
	}
	if got := Sum().Total(); got != 0 {
		t.Errorf("nothing: total %v, want 0", got)
	}
}
