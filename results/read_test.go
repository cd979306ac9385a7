package results

import (
	"strings"
	"testing"
)

func TestParsePercentiles(t *testing.T) {
	in := ` Value	Percentile	TotalCount	1/(1-Percentile)

       0.793     0.000000            1         1.00
   70844.415     0.500000        42022         2.00
  261619.711     1.000000        84000          inf
#[Mean    =    77190.007, StdDeviation   =    61846.876]
#[Max     =   261619.711, Total count    =        84000]
`
	ps, err := ParsePercentiles(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Percentile{{0.793, 0, 1}, {70844.415, 0.5, 42022}, {261619.711, 1, 84000}}
	if len(ps) != len(want) {
		t.Fatalf("got %v, want %v", ps, want)
	}
	for i := range want {
		if ps[i] != want[i] {
			t.Errorf("line %d: got %+v, want %+v", i, ps[i], want[i])
		}
	}
}
