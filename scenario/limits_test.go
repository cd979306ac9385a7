package scenario

import (
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// texts returns the problems' texts.
func texts(problems []LimitProblem) []string {
	var out []string
	for _, p := range problems {
		out = append(out, p.Error())
	}
	return out
}

// names returns the problems' limits.
func names(problems []LimitProblem) []string {
	var out []string
	for _, p := range problems {
		out = append(out, p.Limit)
	}
	return out
}

// limitTest is an input Parse accepts and Limits refuses (or not).
type limitTest struct {
	name    string
	in      string
	speedup float64
	want    []string // every problem's text, in order
}

// limitTests returns TestLimits' cases; FuzzParse seeds its corpus with
// their inputs.
func limitTests(t testing.TB) []limitTest {
	const force = "; --force plays it anyway"
	return []limitTest{
		{"rate 1e15", with(t, "rate: 100", "rate: 1e15"), 1, []string{
			"t.yaml:3: producers: the producers send 6e+17 events in all, more than the 50,000,000 one machine can play" + force,
			"t.yaml:3: producers: the embedded broker would hold about 470,504,164,696 GiB for 6e+17 records (their values plus 330 B each), more than the 8 GiB one machine can spare" + force,
			"t.yaml:7: producers.orders.phases[0].rate: rate 1e+15 events/s is more than the 1,000,000,000,000 events/s any system handles (a typo in the exponent or the unit?)" + force,
			"t.yaml:7: producers.orders.phases[0].rate: 1e+15 events/s at ×1 is 1e+15 events/s of wall time, more than the 2,000,000 one machine can pace" + force,
		}},
		{"workers 100000", with(t, "capacity: 250", "capacity: 250, workers: 100000"), 1, []string{
			"t.yaml:9: groups.email.workers: 100,001 Kafka clients at once (1 producer, 100,000 workers), more than the 500 one machine can run" + force,
		}},
		{"partitions 1000000", with(t, "partitions: 12", "partitions: 1000000"), 1, []string{
			"t.yaml:2: topics.orders.partitions: 1,000,000 partitions in all, more than the 10,000 one broker can hold" + force,
		}},
		{"100 million events", with(t, "{duration: 10m, rate: 100}", "{duration: 1000s, rate: 100000}"), 1, []string{
			"t.yaml:3: producers: the producers send 100,000,000 events in all, more than the 50,000,000 one machine can play" + force,
			"t.yaml:3: producers: the embedded broker would hold about 78.4 GiB for 100,000,000 records (their values plus 330 B each), more than the 8 GiB one machine can spare" + force,
		}},
		{"ramp integrated", with(t, "{duration: 10m, rate: 100}", "{duration: 1000s, rate: 0, to: 200000}"), 1, []string{
			"t.yaml:3: producers: the producers send 100,000,000 events in all, more than the 50,000,000 one machine can play" + force,
			"t.yaml:3: producers: the embedded broker would hold about 78.4 GiB for 100,000,000 records (their values plus 330 B each), more than the 8 GiB one machine can spare" + force,
		}},
		{"a rate times the speedup", with(t, "{duration: 10m, rate: 100}", "{duration: 1m, rate: 100000}"), 30, []string{
			"t.yaml:7: producers.orders.phases[0].rate: 100,000 events/s at ×30 is 3,000,000 events/s of wall time, more than the 2,000,000 one machine can pace" + force,
		}},
		{"a ramp's end times the speedup", with(t, "{duration: 10m, rate: 100}", "{duration: 1m, rate: 10, to: 100000}"), 30, []string{
			"t.yaml:7: producers.orders.phases[0].to: 100,000 events/s at ×30 is 3,000,000 events/s of wall time, more than the 2,000,000 one machine can pace" + force,
		}},
		{"the same rate at ×10", with(t, "{duration: 10m, rate: 100}", "{duration: 1m, rate: 100000}"), 10, nil},
		{"producers together", with(t, "      - {duration: 10m, rate: 100}\n",
			"      - {duration: 1s, rate: 1200000}\n  clicks:\n    topic: orders\n    phases: [{duration: 2s, rate: 1200000}]\n"), 1, []string{
			"t.yaml:3: producers: together the producers send 2,400,000 events/s at 0s, which at ×1 is 2,400,000 events/s of wall time, more than the 2,000,000 one machine can pace" + force,
		}},
		{"producers one after the other", with(t, "      - {duration: 10m, rate: 100}\n",
			"      - {duration: 1s, rate: 1200000}\n  clicks:\n    topic: orders\n    phases: [{duration: 1s, rate: 0}, {duration: 1s, rate: 1200000}]\n"), 1, nil},
		{"ramps that cross", with(t, "      - {duration: 10m, rate: 100}\n",
			"      - {duration: 2s, rate: 1500000, to: 0}\n  clicks:\n    topic: orders\n    phases: [{duration: 1s, rate: 0}, {duration: 1s, rate: 1500000}]\n"), 1, []string{
			"t.yaml:3: producers: together the producers send 2,250,000 events/s at 1s, which at ×1 is 2,250,000 events/s of wall time, more than the 2,000,000 one machine can pace" + force,
		}},
		{"clients with add-worker faults", with(t, "capacity: 250", "capacity: 250, workers: 499") +
			"faults:\n  - {at: 1m, action: add-worker, group: email}\n", 1, []string{
			"t.yaml:9: groups.email.workers: 501 Kafka clients at once (1 producer, 500 workers, counting add-worker faults), more than the 500 one machine can run" + force,
		}},
		{"500 clients", with(t, "capacity: 250", "capacity: 250, workers: 499"), 1, nil},
		{"clients over two groups", with(t, "capacity: 250}", "capacity: 250, workers: 300}\n  audit:\n    topics: [orders]\n    capacity: 1\n    workers: 300"), 1, []string{
			"t.yaml:13: groups.audit.workers: 601 Kafka clients at once (1 producer, 600 workers, 300 of them in audit), more than the 500 one machine can run" + force,
		}},
		{"partitions over two topics", with(t, "orders: {partitions: 12}", "orders: {partitions: 6000}\n  clicks: {partitions: 6000}"), 1, []string{
			"t.yaml:3: topics.clicks.partitions: 12,000 partitions in all (6,000 of them in clicks), more than the 10,000 one broker can hold" + force,
		}},
		{"capacity 1e13", with(t, "capacity: 250", "capacity: 1e13"), 1, []string{
			"t.yaml:9: groups.email.capacity: capacity 10,000,000,000,000 events/s is more than the 1,000,000,000,000 events/s any system handles (a typo in the exponent or the unit?)" + force,
		}},
		{"phases over a year", with(t, "{duration: 10m, rate: 100}", "{duration: 10m, rate: 100}\n      - {duration: 2000000h, rate: 0}"), 1, []string{
			"t.yaml:6: producers.orders.phases: the phases last 2000000h10m, more than the 8760h (a year) a scenario may last" + force,
		}},
		{"fault at + for overflows", base + "faults:\n  - {at: 2000000h, for: 2000000h, action: produce-errors, fraction: 0.5}\n", 1, []string{
			"t.yaml:11: faults[0]: at + for is 4,000,000h, more than the 8760h (a year) a scenario may last" + force,
		}},
		{"critical path latencies overflow", base + "critical_path:\n  sync: [{name: a, latency: 2000000h}, {name: b, latency: 2000000h}]\n", 1, []string{
			"t.yaml:11: critical_path.sync: the latencies add up to 4,000,000h, more than the 8760h (a year) a scenario may last" + force,
		}},
		{"stretched to more than a year", with(t, "{duration: 10m, rate: 100}", "{duration: 10m, rate: 100}\n      - {duration: 10h, rate: 0}"), 0.001, []string{
			"t.yaml:3: producers: at ×0.001 the run would last 10166h40m of wall time, more than the 8760h (a year) a run may last" + force,
		}},
		{"speedup 0 is the caller's to refuse", with(t, "rate: 100", "rate: 1e15"), 0, []string{
			"t.yaml:3: producers: the producers send 6e+17 events in all, more than the 50,000,000 one machine can play" + force,
			"t.yaml:3: producers: the embedded broker would hold about 470,504,164,696 GiB for 6e+17 records (their values plus 330 B each), more than the 8 GiB one machine can spare" + force,
			"t.yaml:7: producers.orders.phases[0].rate: rate 1e+15 events/s is more than the 1,000,000,000,000 events/s any system handles (a typo in the exponent or the unit?)" + force,
		}},
	}
}

func TestLimits(t *testing.T) {
	for _, tt := range limitTests(t) {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.yaml", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			problems := s.Limits(tt.speedup)
			if got := texts(problems); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Limits(%v) =\n%s\nwant\n%s", tt.speedup, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			err = LimitError(problems)
			if (err != nil) != (len(tt.want) > 0) {
				t.Fatalf("LimitError() = %v with %d problems", err, len(problems))
			}
			if err == nil {
				return
			}
			if !errors.Is(err, ErrTooBig) || !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(err, ErrTooBig) = %v, errors.Is(err, ErrInvalid) = %v; want both true", errors.Is(err, ErrTooBig), errors.Is(err, ErrInvalid))
			}
			if got, want := err.Error(), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("LimitError() =\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestBrokerMemory(t *testing.T) {
	// 10,000,000 records of 256 B take 5.5 GiB; an exactly-once group's
	// effects add 10,000,000 × (20 + 330) B, 3.3 GiB more.
	in := strings.NewReplacer("{duration: 10m, rate: 100}", "{duration: 1000s, rate: 10000}",
		"topic: orders", "topic: orders\n    size: 256").Replace(base)
	tests := []struct {
		name     string
		delivery string
		want     []string
	}{
		{"at-least-once", AtLeastOnce, nil},
		{"exactly-once", ExactlyOnce, []string{"MaxBrokerMemory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.yaml", []byte(strings.Replace(in, "capacity: 250", "capacity: 250, delivery: "+tt.delivery, 1)))
			if err != nil {
				t.Fatal(err)
			}
			problems := s.Limits(1)
			if got := names(problems); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Limits(1) = %q, want limits %q", texts(problems), tt.want)
			}
			if len(problems) == 1 {
				if got, want := problems[0].Got, 1e7*(256+330)+1e7*(20+330); got != want {
					t.Errorf("memory = %v, want %v", got, want)
				}
			}
		})
	}
}

// sanityTest is an input Parse accepts and Sanity refuses (or not).
type sanityTest struct {
	name string
	in   string
	want []string // the problems' limits
}

// sanityTests returns TestSanity's cases; FuzzParse seeds its corpus with
// their inputs.
func sanityTests(t testing.TB) []sanityTest {
	return []sanityTest{
		{"rate 1e15", with(t, "rate: 100", "rate: 1e15"), []string{"MaxRate"}},
		{"ramp to 1e15", with(t, "rate: 100", "rate: 100, to: 1e15"), []string{"MaxRate"}},
		{"capacity phase 1e15", with(t, "capacity: 250", "phases: [{duration: 1m, capacity: 1e15}]"), []string{"MaxRate"}},
		{"rate 1e12", with(t, "rate: 100", "rate: 1e12"), nil},
		{"workers 100000", with(t, "capacity: 250", "capacity: 250, workers: 100000"), nil},
		{"workers 2000000", with(t, "capacity: 250", "capacity: 250, workers: 2000000"), []string{"MaxCount"}},
		{"partitions 1000000", with(t, "partitions: 12", "partitions: 1000000"), nil},
		{"partitions 2000000000", with(t, "partitions: 12", "partitions: 2000000000"), []string{"MaxCount"}},
		{"100 million events", with(t, "{duration: 10m, rate: 100}", "{duration: 1000s, rate: 100000}"), nil},
		{"capacity phases over a year", with(t, "capacity: 250", "phases: [{duration: 9000h, capacity: 1}]"), []string{"MaxDuration"}},
		{"a year", with(t, "{duration: 10m, rate: 100}", "{duration: 8760h, rate: 0}"), nil},
	}
}

func TestSanity(t *testing.T) {
	for _, tt := range sanityTests(t) {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.yaml", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			problems := s.Sanity()
			if got := names(problems); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Sanity() = %q, want limits %q", texts(problems), tt.want)
			}
			// Limits includes every problem of Sanity.
			all := strings.Join(texts(s.Limits(1)), "\n")
			for _, p := range texts(problems) {
				if !strings.Contains(all, p) {
					t.Errorf("Limits(1) lacks Sanity()'s %q", p)
				}
			}
		})
	}
}

func TestPresetLimits(t *testing.T) {
	for _, name := range PresetNames() {
		s, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		if p := s.Sanity(); len(p) > 0 {
			t.Errorf("%s: Sanity() = %q", name, texts(p))
		}
		for _, speedup := range []float64{1, 10, 30, 60} {
			if p := s.Limits(speedup); len(p) > 0 {
				t.Errorf("%s: Limits(%v) = %q", name, speedup, texts(p))
			}
		}
	}
}

func TestLimitsWithoutLines(t *testing.T) {
	s, err := Parse("t.yaml", []byte(with(t, "partitions: 12", "partitions: 1000000")))
	if err != nil {
		t.Fatal(err)
	}
	c := *s // a copy has no lines
	built := &Scenario{Topics: map[string]Topic{"orders": {Partitions: 20000}}}
	tests := []struct {
		name string
		s    *Scenario
		want string
	}{
		{"parsed", s, "t.yaml:2: topics.orders.partitions: 1,000,000 partitions in all, more than the 10,000 one broker can hold; --force plays it anyway"},
		{"copied", &c, "t.yaml: topics.orders.partitions: 1,000,000 partitions in all, more than the 10,000 one broker can hold; --force plays it anyway"},
		{"built in code", built, "topics.orders.partitions: 20,000 partitions in all, more than the 10,000 one broker can hold; --force plays it anyway"},
		{"nil", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(texts(tt.s.Limits(1)), "\n"); got != tt.want {
				t.Errorf("Limits(1) = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestLinesDropped checks that the lines of a scenario that is garbage
// leave the table, so that parsing many scenarios does not grow it.
func TestLinesDropped(t *testing.T) {
	count := func() int {
		linesMu.Lock()
		defer linesMu.Unlock()
		return len(linesOf)
	}
	alive := make([]*Scenario, 1000)
	for i := range alive {
		s, err := Parse("t.yaml", []byte(base))
		if err != nil {
			t.Fatal(err)
		}
		alive[i] = s
	}
	runtime.GC()
	if got := count(); got < len(alive) {
		t.Fatalf("%d entries with %d scenarios alive, want at least as many", got, len(alive))
	}
	if got := alive[len(alive)-1].lineOf("groups.email.workers"); got != 9 {
		t.Errorf("line of a defaulted key = %d, want its group's, 9", got)
	}
	runtime.KeepAlive(alive)
	// From here on the scenarios are garbage.
	for deadline := time.Now().Add(10 * time.Second); count() > 100; {
		if time.Now().After(deadline) {
			t.Fatalf("%d entries left after the scenarios became garbage, want at most 100", count())
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFigures(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{figure(0), "0"},
		{figure(12.5), "12.5"},
		{figure(999), "999"},
		{figure(1000), "1,000"},
		{figure(50_000_000), "50,000,000"},
		{figure(1.2345e7 + 0.4), "12,345,000"},
		{figure(-2500), "-2,500"},
		{figure(1e15), "1e+15"},
		{gib(8 << 30), "8 GiB"},
		{gib(84.2e9), "78.4 GiB"},
		{gib(200 << 30), "200 GiB"},
		{span(0), "0s"},
		{span(300), "5m"},
		{span(3630), "1h0m30s"},
		{span(MaxDuration.Seconds()), "8760h"},
		{span(1.44e10), "4,000,000h"},
		{plural(1, "producer"), "1 producer"},
		{plural(2, "producer"), "2 producers"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
