package main

import "testing"

// TestMedian: the middle element by key, whatever the order, the upper
// middle of an even count, and the input left as it was.
func TestMedian(t *testing.T) {
	id := func(x float64) float64 { return x }
	xs := []float64{9, 1, 5}
	if got := median(xs, id); got != 5 {
		t.Errorf("median(9, 1, 5) = %v, want 5", got)
	}
	if xs[0] != 9 || xs[1] != 1 {
		t.Errorf("median reordered its input: %v", xs)
	}
	if got := median([]float64{4, 2, 8, 6}, id); got != 6 {
		t.Errorf("median(4, 2, 8, 6) = %v, want 6 (the upper middle)", got)
	}
	if got := median([]float64{3}, id); got != 3 {
		t.Errorf("median(3) = %v, want 3", got)
	}
}
