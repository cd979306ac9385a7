package producer

import (
	"math"
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

// TestPacerRates checks the pacer from 1e-3 to 1e15 events/s, held,
// after a silence and on ramps (`to`): Total is ⌈N(end)⌉ exactly, Due
// agrees with it at the boundary and with T(k) solved by hand, and every
// call returns at once. Before Total stepped a float64 down one event at a
// time, which above 2⁵³ never moves: at 1e14/s and more it spun for ever.
func TestPacerRates(t *testing.T) {
	seg := func(dur, from, to float64) rate.Segment { return rate.Segment{Dur: dur, From: from, To: to} }
	held := func(r float64) rate.Schedule { return rate.New(seg(600, r, r)) }
	tests := []struct {
		name  string
		s     rate.Schedule
		total uint64
		// at is T(k), solved by hand; nil where the root is ill-conditioned
		// (the end of a ramp down to 0, where the rate vanishes).
		at func(k float64) float64
	}{
		{"1e-3/s", held(1e-3), 1, func(k float64) float64 { return k / 1e-3 }},
		{"1/s", held(1), 600, func(k float64) float64 { return k }},
		{"100/s", held(100), 60_000, func(k float64) float64 { return k / 100 }},
		{"1e6/s", held(1e6), 600_000_000, func(k float64) float64 { return k / 1e6 }},
		{"1e9/s", held(1e9), 600_000_000_000, func(k float64) float64 { return k / 1e9 }},
		{"1e12/s", held(1e12), 600_000_000_000_000, func(k float64) float64 { return k / 1e12 }},
		{"1e14/s", held(1e14), 60_000_000_000_000_000, func(k float64) float64 { return k / 1e14 }},
		{"1e15/s", held(1e15), 600_000_000_000_000_000, func(k float64) float64 { return k / 1e15 }},
		{"silent 2m, then 1e-3/s", rate.New(seg(120, 0, 0), seg(300, 1e-3, 1e-3)), 1, func(k float64) float64 { return 120 + k/1e-3 }},
		{"silent 2m, then 1e15/s", rate.New(seg(120, 0, 0), seg(300, 1e15, 1e15)), 300_000_000_000_000_000, func(k float64) float64 { return 120 + k/1e15 }},
		// 0 → 2r over D: N(u) = r·u²/D, T(k) = √(D·k/r).
		{"ramp 0 → 2e-3/s", rate.New(seg(600, 0, 2e-3)), 1, func(k float64) float64 { return math.Sqrt(600 * k / 1e-3) }},
		{"ramp 0 → 200/s", rate.New(seg(600, 0, 200)), 60_000, func(k float64) float64 { return math.Sqrt(600 * k / 100) }},
		{"ramp 0 → 2e15/s", rate.New(seg(600, 0, 2e15)), 600_000_000_000_000_000, func(k float64) float64 { return math.Sqrt(600 * k / 1e15) }},
		// r → 3r over D: N(u) = r·u + r·u²/D.
		{"ramp 1e9 → 3e9/s", rate.New(seg(600, 1e9, 3e9)), 1_200_000_000_000, func(k float64) float64 { return 2 * k / (1e9 + math.Sqrt(1e18+4e9*k/600)) }},
		{"ramp 1e15 → 3e15/s", rate.New(seg(600, 1e15, 3e15)), 1_200_000_000_000_000_000, func(k float64) float64 { return 2 * k / (1e15 + math.Sqrt(1e30+4e15*k/600)) }},
		// 2r → 0 over D: N(u) = 2r·u − r·u²/D.
		{"ramp 2e15 → 0/s", rate.New(seg(600, 2e15, 0)), 600_000_000_000_000_000, nil},
		{"1e15/s, then a ramp down", rate.New(seg(60, 1e15, 1e15), seg(60, 1e15, 0)), 90_000_000_000_000_000, nil},
		// More events than an int64 counts: the pacer stops at MaxEvents.
		{"1e17/s for 10 min", held(1e17), MaxEvents, func(k float64) float64 { return k / 1e17 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Pacer{Schedule: tt.s, Speedup: 30}
			total := make(chan uint64, 1)
			go func() { total <- p.Total() }()
			var got uint64
			select {
			case got = <-total:
			case <-time.After(2 * time.Second):
				t.Fatal("Total() did not return within 2s")
			}
			if got != tt.total {
				t.Fatalf("Total() = %d, want %d", got, tt.total)
			}
			end := tt.s.End()
			if _, ok := p.Due(got); ok {
				t.Errorf("Due(Total()) is due, want past the end")
			}
			last, ok := p.Due(got - 1)
			if !ok || !(last < end) {
				t.Errorf("Due(Total()-1) = %v, %v; want before the end %v", last, ok, end)
			}
			mid, _ := p.Due(got / 2)
			first, _ := p.Due(0)
			if !(first <= mid && mid <= last) {
				t.Errorf("Due(0), Due(%d), Due(%d) = %v, %v, %v: not in order", got/2, got-1, first, mid, last)
			}
			if tt.at != nil {
				// As close as float64 counts and times allow: 1e-12 of the
				// schedule (1e-9 s at least).
				tol := max(1e-9, 1e-12*end)
				for _, k := range []uint64{0, 1, got / 2, got - 1} {
					if k >= got {
						continue
					}
					due, ok := p.Due(k)
					if want := tt.at(float64(k)); !ok || math.Abs(due-want) > tol {
						t.Errorf("Due(%d) = %v, %v; want %v", k, due, ok, want)
					}
				}
			}
			// Pace waits for a due time and not after it.
			dueWall := time.Duration(math.Round(mid / 30 * 1e9))
			if wait, stop := p.Pace(dueWall, got/2); wait != 0 || stop {
				t.Errorf("Pace at the due time of event %d = %v, %v; want 0, false", got/2, wait, stop)
			}
			if dueWall > time.Millisecond {
				if wait, _ := p.Pace(dueWall-time.Millisecond, got/2); wait != time.Millisecond {
					t.Errorf("Pace 1ms before the due time = %v, want 1ms", wait)
				}
			}
			if _, stop := p.Pace(0, got); !stop {
				t.Error("Pace(0, Total()) does not stop")
			}
		})
	}
}

// TestPacerLongWait checks a due time beyond a time.Duration: 300 years of
// schedule at ×0.001 is 300,000 years of wall time, so its last event is
// not due now (converting the overflowing wall time to an int64 made it
// negative, and the event due at once).
func TestPacerLongWait(t *testing.T) {
	const year = 365.25 * 24 * 3600
	p := Pacer{Schedule: rate.New(rate.Segment{Dur: 300 * year, From: 1, To: 1}), Speedup: 0.001}
	if wait, stop := p.Pace(time.Hour, p.Total()-1); stop || wait != time.Duration(math.MaxInt64)-time.Hour {
		t.Errorf("Pace = %v, %v; want the longest wait", wait, stop)
	}
}

// TestPaceAllocs holds Pace to no allocation: it runs once per event.
func TestPaceAllocs(t *testing.T) {
	p := Pacer{Schedule: rate.New(rate.Segment{Dur: 120}, rate.Segment{Dur: 600, From: 1e15, To: 3e15}), Speedup: 30}
	sent := uint64(1 << 60)
	if n := testing.AllocsPerRun(1000, func() { p.Pace(time.Minute, sent); sent++ }); n != 0 {
		t.Errorf("Pace allocates %v times a call, want 0", n)
	}
}

// BenchmarkPace measures one Pace call, the send loop's cost per event,
// at a rate a broker can take and at 1e15/s on a ramp. It reports 0
// allocs/op: Pace and the schedule's methods only read.
func BenchmarkPace(b *testing.B) {
	b.Run("100/s", func(b *testing.B) {
		p := Pacer{Schedule: rate.New(rate.Segment{Dur: 120}, rate.Segment{Dur: 600, From: 100, To: 100}), Speedup: 10}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			p.Pace(time.Duration(i)*time.Microsecond, uint64(i%50000))
		}
	})
	b.Run("ramp 1e15/s", func(b *testing.B) {
		p := Pacer{Schedule: rate.New(rate.Segment{Dur: 120}, rate.Segment{Dur: 600, From: 1e15, To: 3e15}), Speedup: 30}
		b.ReportAllocs()
		for i := uint64(0); b.Loop(); i++ {
			p.Pace(time.Duration(i)*time.Microsecond, 1<<59+i*1e9)
		}
	})
}

func TestRecordSlip(t *testing.T) {
	var st Stats
	for i := range 100 {
		st.recordSlip(float64(i), float64(i)+0.001) // on time
	}
	st.recordSlip(50, 53) // a 3 s stall
	st.recordSlip(51, 52.5)
	got := st.Slip()
	if got.Late != 2 || got.Max < 2.99 || got.MaxAt != 50 || got.LateFrom != 50 || got.LateTo != 51 {
		t.Errorf("slip %+v; want 2 late events, max 3 s at t=50, late from 50 to 51", got)
	}
	if got.P99 > 1.6 {
		t.Errorf("p99 %v, want the on-time sends' (well under the stall)", got.P99)
	}
}
