package scenario

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// deeper uses every key of the deeper model.
const deeper = `topics:
  orders: {partitions: 12}
producers:
  orders:
    topic: orders
    phases: [{duration: 10m, rate: 100}]
    keys: {dist: zipf, count: 5000}
  clicks:
    topic: orders
    event: click
    phases: [{duration: 1m, rate: 10}]
    keys: {}
groups:
  email: {topics: [orders], capacity: 250, service: {dist: exponential}}
  audit: {topics: [orders], capacity: 250, service: {dist: lognormal, cv: 0.5}}
  flat: {topics: [orders], capacity: 250, service: {dist: constant, cv: 0}}
critical_path:
  sync:
    - {name: auth, latency: 20ms, availability: 99.9%}
    - {name: payment, latency: 120ms, availability: 0.999}
    - {name: network, latency: 40ms}
  async: [auth]
`

func TestParseDeeper(t *testing.T) {
	s, err := Parse("t.yaml", []byte(deeper))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"zipf keys", s.Producers["orders"].Keys, &Keys{Dist: Zipf, S: 1.1, Count: 5000}},
		{"default keys", s.Producers["clicks"].Keys, &Keys{Dist: Uniform, Count: 10000}},
		{"exponential", s.Groups["email"].Service, &Service{Dist: Exponential, CV: 1}},
		{"lognormal", s.Groups["audit"].Service, &Service{Dist: Lognormal, CV: 0.5}},
		{"constant", s.Groups["flat"].Service, &Service{Dist: Constant}},
		{"critical path", s.CriticalPath, &CriticalPath{
			Sync: []Step{
				{Name: "auth", Latency: 20 * time.Millisecond, Availability: 0.999},
				{Name: "payment", Latency: 120 * time.Millisecond, Availability: 0.999},
				{Name: "network", Latency: 40 * time.Millisecond, Availability: 1},
			},
			Async: []string{"auth"},
		}},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s = %+v, want %+v", tt.name, tt.got, tt.want)
		}
	}
	out, err := s.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"keys: {dist: zipf, s: 1.1, count: 5000}",
		"keys: {dist: uniform, count: 10000}",
		"service: {dist: exponential}",
		"service: {dist: lognormal, cv: 0.5}",
		"- {name: auth, latency: 20ms, availability: 99.9%}",
		"- {name: network, latency: 40ms}",
		"async: [auth]",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("YAML() has no %q:\n%s", want, out)
		}
	}
	back, err := Parse("t.yaml", out)
	if err != nil {
		t.Fatalf("Parse(YAML()): %v\n%s", err, out)
	}
	if got, want := comparable(back), comparable(s); !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(YAML()) =\n%+v\nwant\n%+v", got, want)
	}
}

func TestPercentRoundTrip(t *testing.T) {
	for _, v := range []float64{0.999, 0.9999, 0.5, 1e-9, 0.123456789, 0.1 + 0.2, 1} {
		n := percent(v)
		s, err := Parse("t.yaml", []byte(base+"critical_path:\n  sync: [{name: a, latency: 1ms, availability: "+n.Value+"}]\n"))
		if err != nil {
			t.Fatalf("percent(%v) = %q: %v", v, n.Value, err)
		}
		if got := s.CriticalPath.Sync[0].Availability; got != v {
			t.Errorf("percent(%v) = %q reads back as %v", v, n.Value, got)
		}
	}
}
