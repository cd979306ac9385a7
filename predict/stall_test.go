package predict

import (
	"slices"
	"testing"

	"github.com/backlogbench/backlogbench/rate"
)

// ticks returns the sample times 0.5, 1.5, … with a gap where skip says.
func ticks(n int, skip map[int]bool) []float64 {
	var t []float64
	for k := range n {
		if !skip[k] {
			t = append(t, float64(k)+0.5)
		}
	}
	return t
}

// TestStallsReplay: 100/s on schedule; the process stands still from 10.5
// to 19.5 s (no sample), and the producer makes up its 900 events at the
// next samples. The replay puts the counts back on the schedule, less the
// 5 events the producer was behind before the stall, up to the sample
// where it has caught up; a producer that never catches up keeps its
// counts.
func TestStallsReplay(t *testing.T) {
	s := rate.New(rate.Segment{Dur: 100, From: 100, To: 100})
	skip := map[int]bool{}
	for k := 11; k < 19; k++ {
		skip[k] = true
	}
	T := ticks(30, skip)
	caught, lagging := make([]int64, len(T)), make([]int64, len(T))
	for k, tk := range T {
		caught[k] = int64(100*tk) - 5
		lagging[k] = caught[k]
		switch {
		case tk == 19.5:
			caught[k], lagging[k] = 1055, 1055 // acked 10 of the 900 by the first sample
		case tk == 20.5:
			caught[k] -= 300 // 300 still behind
			lagging[k] = 1100
		case tk > 20.5:
			lagging[k] = 1100 + int64(100*(tk-20.5))
		}
	}
	a := Acked{T: T, Counts: [][]int64{caught, lagging}}
	if got := a.Tick(); got != 1 {
		t.Fatalf("tick %v, want 1", got)
	}
	st := a.Stalls(3)
	if want := [][2]float64{{10.5, 19.5}}; !slices.Equal(st, want) {
		t.Fatalf("stalls %v, want %v", st, want)
	}
	r := a.Replay([]rate.Schedule{s, s}, st)
	i := slices.Index(T, 19.5)
	if got := r.Counts[0][i]; got != 1945 {
		t.Errorf("caught up: count at 19.5 s = %d, want the schedule less 5, 1,945", got)
	}
	if got := r.Counts[0][i+1]; got != 2045 {
		t.Errorf("caught up: count at 20.5 s = %d, want 2,045", got)
	}
	if got := r.Counts[0][i+2]; got != caught[i+2] {
		t.Errorf("caught up: count at 21.5 s = %d, want the acked %d", got, caught[i+2])
	}
	if !slices.Equal(r.Counts[1], lagging) {
		t.Errorf("a producer that never caught up: counts changed")
	}
}

// TestSmooth: a shortfall made up within the window is taken out; one
// that lasts (the producer sends nothing from 20 to 23 s, then keeps the
// schedule 300 behind) is followed as it comes.
func TestSmooth(t *testing.T) {
	s := rate.New(rate.Segment{Dur: 100, From: 100, To: 100})
	T := ticks(40, nil)
	deficit := func(tk float64) int64 {
		switch {
		case tk == 5.5 || tk == 6.5:
			return 80 // a dip, made up by 7.5 s
		case tk > 20 && tk < 23:
			return int64(100 * (tk - 20))
		case tk >= 23:
			return 300
		}
		return 0
	}
	c := make([]int64, len(T))
	for k, tk := range T {
		c[k] = int64(100*tk) - deficit(tk)
	}
	a := Acked{T: T, Counts: [][]int64{c}}
	got := a.Smooth([]rate.Schedule{s}, 5).Counts[0]
	for k, tk := range T {
		want := c[k]
		if tk == 5.5 || tk == 6.5 {
			want = int64(100 * tk)
		}
		if got[k] != want {
			t.Errorf("t=%.1f: %d, want %d", tk, got[k], want)
		}
	}
}
