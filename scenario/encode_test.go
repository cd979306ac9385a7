package scenario

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestYAMLDurations(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Minute, "10m"},
		{90 * time.Second, "1m30s"},
		{45 * time.Second, "45s"},
		{2 * time.Hour, "2h"},
		{time.Hour + 30*time.Second, "1h30s"},
		{time.Hour + 10*time.Minute, "1h10m"},
		{1500 * time.Millisecond, "1.5s"},
		{250 * time.Millisecond, "250ms"},
	}
	for _, tt := range tests {
		got := duration(tt.d).Value
		if got != tt.want {
			t.Errorf("duration(%v) = %q, want %q", tt.d, got, tt.want)
		}
		if back, err := time.ParseDuration(got); err != nil || back != tt.d {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", got, back, err, tt.d)
		}
	}
}

func TestYAMLNumbers(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{100, "100"},
		{0, "0"},
		{12.5, "12.5"},
		{1e6, "1000000"},
		{1e20, "1e+20"},
		{0.1, "0.1"},
	}
	for _, tt := range tests {
		if got := number(tt.v).Value; got != tt.want {
			t.Errorf("number(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestYAMLTolerance(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0.02, "2%"},
		{0.07, "7%"},
		{0.025, "2.5%"},
		{0.5, "50%"},
		{0.001, "0.1%"},
		{1e-9, "1e-09"},
	}
	for _, tt := range tests {
		got := tolerance(tt.v).Value
		if got != tt.want {
			t.Errorf("tolerance(%v) = %q, want %q", tt.v, got, tt.want)
		}
		s, err := Parse("t.yaml", []byte(base+"tolerance: "+got+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if s.Tolerance != tt.v {
			t.Errorf("tolerance %q reads back as %v, want %v", got, s.Tolerance, tt.v)
		}
	}
}

func TestYAML(t *testing.T) {
	in := `name: "007"
description: "quotes: \"and\" colons"
seed: -3
topics:
  orders: {partitions: 12}
producers:
  orders:
    topic: orders
    phases:
      - {duration: 90s, rate: 0.5, to: 1e3}
groups:
  slow:
    topics: [orders]
    workers: 2
    phases:
      - {duration: 1h0m0s, capacity: 0}
  email: {topics: [orders], capacity: 0}
expect:
  email: {drained_at_s: 0, events: 60}
tolerance: 0.025
`
	want := `name: "007"
description: 'quotes: "and" colons'
seed: -3
topics:
  orders: {partitions: 12}
producers:
  orders:
    topic: orders
    event: order
    size: 512
    phases:
      - {duration: 1m30s, rate: 0.5, to: 1000}
groups:
  email: {topics: [orders], workers: 1, capacity: 0}
  slow:
    topics: [orders]
    workers: 2
    phases:
      - {duration: 1h, capacity: 0}
expect:
  email: {events: 60, drained_at_s: 0}
tolerance: 2.5%
`
	s, err := Parse("t.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(out); got != want {
		t.Errorf("YAML() =\n%s\nwant\n%s", got, want)
	}
	back, err := Parse("t.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := comparable(back), comparable(s); !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(YAML()) =\n%+v\nwant\n%+v", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range PresetNames() {
		data, _ := Preset(name)
		f.Add(data)
	}
	f.Add([]byte(base))
	f.Add([]byte(base + "expect:\n  email: {peak_backlog: 1, growth_rate: 2.5}\ntolerance: 0.5%\n"))
	f.Add([]byte(strings.Replace(base, "capacity: 250", "phases: [{duration: 1m, capacity: 1}], workers: 30", 1)))
	f.Add([]byte("topics: &a {x: *a}\n"))
	f.Add([]byte("a: b: c"))
	f.Add([]byte(""))
	f.Add([]byte(deeper))
	f.Add([]byte(threeErrors))
	f.Add([]byte("topics: 3\n"))
	for _, tt := range parseErrorTests(f) {
		f.Add([]byte(tt.in))
	}
	for _, tt := range limitTests(f) {
		f.Add([]byte(tt.in))
	}
	for _, tt := range sanityTests(f) {
		f.Add([]byte(tt.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			if s != nil {
				t.Errorf("Parse returned a scenario and the error %v", err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
			for _, e := range problems(t, err) {
				if e.File != "fuzz.yaml" || e.Line < 1 || e.Msg == "" {
					t.Errorf("malformed error %#v", e)
				}
			}
			return
		}
		out, err := s.YAML()
		if err != nil {
			t.Fatalf("YAML() of a parsed scenario: %v", err)
		}
		back, err := Parse("fuzz.yaml", out)
		if err != nil {
			t.Fatalf("Parse(YAML()): %v\n%s", err, out)
		}
		if got, want := comparable(back), comparable(s); !reflect.DeepEqual(got, want) {
			t.Fatalf("Parse(YAML()) =\n%+v\nwant\n%+v\nYAML:\n%s", got, want, out)
		}
		fuzzLimits(t, s, back)
	})
}

// fuzzLimits checks the limits of a parsed scenario s and of back, s
// parsed from its YAML(): every problem is well formed, an error for
// errors.Is(err, ErrTooBig), at a known line, and the same for both but
// for the lines; Limits includes every problem of Sanity.
func fuzzLimits(t *testing.T, s, back *Scenario) {
	// unplaced returns the problems without their lines, sorted.
	unplaced := func(list []LimitProblem) []string {
		var out []string
		for _, p := range list {
			p.Line = 0
			out = append(out, p.Error())
		}
		sort.Strings(out)
		return out
	}
	sanity := s.Sanity()
	for _, speedup := range []float64{0.001, 1, 60, 200} {
		problems := s.Limits(speedup)
		for _, p := range problems {
			if p.File != "fuzz.yaml" || p.Line < 1 || p.Path == "" || p.Limit == "" || p.Msg == "" || !(p.Got > p.Max) {
				t.Errorf("Limits(%v): malformed problem %#v", speedup, p)
			}
		}
		if err := LimitError(problems); (err != nil) != (len(problems) > 0) || err != nil && !errors.Is(err, ErrTooBig) {
			t.Errorf("Limits(%v): LimitError() = %v for %d problems", speedup, err, len(problems))
		}
		if got, want := unplaced(back.Limits(speedup)), unplaced(problems); !reflect.DeepEqual(got, want) {
			t.Errorf("Limits(%v) of Parse(YAML()) =\n%s\nwant\n%s", speedup, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		all := strings.Join(texts(problems), "\n")
		for _, p := range texts(sanity) {
			if !strings.Contains(all, p) {
				t.Errorf("Limits(%v) lacks Sanity()'s %q", speedup, p)
			}
		}
	}
}
