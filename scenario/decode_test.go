package scenario

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// base is a small valid scenario; the error cases change one line of it.
// Its lines: 1 topics, 2 orders, 3 producers, 4 orders, 5 topic, 6 phases,
// 7 the phase, 8 groups, 9 email.
const base = `topics:
  orders: {partitions: 12}
producers:
  orders:
    topic: orders
    phases:
      - {duration: 10m, rate: 100}
groups:
  email: {topics: [orders], capacity: 250}
`

// with returns base with old replaced by repl, failing the test when old is
// not in base.
func with(t testing.TB, old, repl string) string {
	t.Helper()
	if !strings.Contains(base, old) {
		t.Fatalf("base has no %q", old)
	}
	return strings.Replace(base, old, repl, 1)
}

// problems returns the *Errors joined in err.
func problems(t testing.TB, err error) []*Error {
	t.Helper()
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	var out []*Error
	for _, e := range list {
		var pe *Error
		if !errors.As(e, &pe) {
			t.Fatalf("error %q (%T) is not an *Error", e, e)
		}
		out = append(out, pe)
	}
	return out
}

// parseErrorTest is an input Parse must refuse with exactly one error.
type parseErrorTest struct {
	name string
	in   string
	want string // the whole message of the one error expected
}

// parseErrorTests returns TestParseErrors' cases; FuzzParse seeds its
// corpus with their inputs.
func parseErrorTests(t testing.TB) []parseErrorTest {
	return []parseErrorTest{
		{"unknown key", base + "tolerence: 2%\n",
			`t.yaml:10: tolerence: unknown key (did you mean "tolerance"?)`},
		{"unknown nested key", with(t, "capacity: 250", "capacity: 250, worker: 4"),
			`t.yaml:9: groups.email.worker: unknown key (did you mean "workers"?)`},
		{"unknown key far from any", base + "colour: blue\n",
			`t.yaml:10: colour: unknown key (known keys: name, description, seed, topics, producers, groups, expect, tolerance, faults, critical_path)`},
		{"string for number", with(t, "rate: 100", "rate: fast"),
			`t.yaml:7: producers.orders.phases[0].rate: must be a number, got "fast"`},
		{"quoted number", with(t, "rate: 100", `rate: "100"`),
			`t.yaml:7: producers.orders.phases[0].rate: must be a number, got "100"`},
		{"scalar for list", with(t, "topics: [orders]", "topics: orders"),
			`t.yaml:9: groups.email.topics: must be a list, got "orders"`},
		{"list for mapping", with(t, "orders: {partitions: 12}", "orders: [12]"),
			`t.yaml:2: topics.orders: must be a mapping, got a list`},
		{"float for int", with(t, "partitions: 12", "partitions: 1.5"),
			`t.yaml:2: topics.orders.partitions: must be a whole number, got 1.5`},
		{"infinite rate", with(t, "rate: 100", "rate: .inf"),
			`t.yaml:7: producers.orders.phases[0].rate: must be a finite number, got .inf`},
		{"bad duration", with(t, "duration: 10m", "duration: 10 minutes"),
			`t.yaml:7: producers.orders.phases[0].duration: must be a duration such as 90s, 10m or 1m30s, got "10 minutes"`},
		{"duration without unit", with(t, "duration: 10m", "duration: 600"),
			`t.yaml:7: producers.orders.phases[0].duration: must be a duration such as 90s, 10m or 1m30s, got 600 (a number needs a unit)`},
		{"zero duration", with(t, "duration: 10m", "duration: 0s"),
			`t.yaml:7: producers.orders.phases[0].duration: must be > 0, got 0s`},
		{"negative rate", with(t, "rate: 100", "rate: -5"),
			`t.yaml:7: producers.orders.phases[0].rate: must be ≥ 0, got -5`},
		{"negative ramp end", with(t, "rate: 100", "rate: 100, to: -1"),
			`t.yaml:7: producers.orders.phases[0].to: must be ≥ 0, got -1`},
		{"negative capacity", with(t, "capacity: 250", "capacity: -5"),
			`t.yaml:9: groups.email.capacity: must be ≥ 0, got -5`},
		{"unknown topic in a group", with(t, "topics: [orders]", "topics: [ordres]"),
			`t.yaml:9: groups.email.topics[0]: unknown topic "ordres" (did you mean "orders"?)`},
		{"topic listed twice", with(t, "topics: [orders]", "topics: [orders, orders]"),
			`t.yaml:9: groups.email.topics[1]: topic "orders" is listed twice`},
		{"no topics in a group", with(t, "topics: [orders]", "topics: []"),
			`t.yaml:9: groups.email.topics: needs at least one topic`},
		{"unknown topic in a producer", with(t, "topic: orders", "topic: payments"),
			`t.yaml:5: producers.orders.topic: unknown topic "payments" (topics: orders)`},
		{"zero partitions", with(t, "partitions: 12", "partitions: 0"),
			`t.yaml:2: topics.orders.partitions: must be ≥ 1, got 0`},
		{"too many partitions", with(t, "partitions: 12", "partitions: 3000000000"),
			`t.yaml:2: topics.orders.partitions: must be ≤ 2147483647, got 3000000000`},
		{"huge number", with(t, "partitions: 12", "partitions: 99999999999999999999"),
			`t.yaml:2: topics.orders.partitions: must be a whole number, got 99999999999999999999`},
		{"missing partitions", with(t, "{partitions: 12}", "{}"),
			`t.yaml:2: topics.orders: missing partitions`},
		{"empty phases", with(t, "phases:\n      - {duration: 10m, rate: 100}", "phases: []"),
			`t.yaml:6: producers.orders.phases: needs at least one phase`},
		{"missing rate", with(t, "duration: 10m, rate: 100", "duration: 10m"),
			`t.yaml:7: producers.orders.phases[0]: missing rate`},
		{"bad event", with(t, "topic: orders", "topic: orders\n    event: refund"),
			`t.yaml:6: producers.orders.event: must be "order" or "click", got "refund"`},
		{"small size", with(t, "topic: orders", "topic: orders\n    size: 100"),
			`t.yaml:6: producers.orders.size: must be between 256 and 1048576 bytes (the event's JSON fields need room), got 100`},
		{"both capacity and phases", with(t, "capacity: 250}", "capacity: 250, phases: [{duration: 1m, capacity: 1}]}"),
			`t.yaml:9: groups.email: give capacity or phases, not both`},
		{"neither capacity nor phases", with(t, ", capacity: 250", ""),
			`t.yaml:9: groups.email: missing capacity (events/s) or phases`},
		{"empty capacity phases", with(t, "capacity: 250", "phases: []"),
			`t.yaml:9: groups.email.phases: needs at least one phase`},
		{"negative phase capacity", with(t, "capacity: 250", "phases: [{duration: 1m, capacity: -1}]"),
			`t.yaml:9: groups.email.phases[0].capacity: must be ≥ 0, got -1`},
		{"zero workers", with(t, "capacity: 250", "capacity: 250, workers: 0"),
			`t.yaml:9: groups.email.workers: must be ≥ 1, got 0`},
		{"bad service dist", with(t, "capacity: 250", "capacity: 250, service: {dist: gamma}"),
			`t.yaml:9: groups.email.service.dist: must be one of constant, exponential, lognormal, got "gamma"`},
		{"exponential with another cv", with(t, "capacity: 250", "capacity: 250, service: {dist: exponential, cv: 0.5}"),
			`t.yaml:9: groups.email.service.cv: an exponential service time has cv 1, got 0.5 (use lognormal for another cv)`},
		{"service without dist", with(t, "capacity: 250", "capacity: 250, service: {cv: 2}"),
			`t.yaml:9: groups.email.service: missing dist (constant, exponential, lognormal)`},
		{"dedup not a bool", with(t, "capacity: 250", "capacity: 250, dedup: yes please"),
			`t.yaml:9: groups.email.dedup: must be true or false, got "yes please"`},
		{"dedup with exactly-once", with(t, "capacity: 250", "capacity: 250, dedup: true, delivery: exactly-once"),
			`t.yaml:9: groups.email.dedup: a dedup store outside the transaction would lose the effects of aborted transactions: use dedup or delivery: exactly-once, not both`},
		{"bad delivery", with(t, "capacity: 250", "capacity: 250, delivery: twice"),
			`t.yaml:9: groups.email.delivery: must be "at-least-once" or "exactly-once", got "twice"`},
		{"resend over 1", with(t, "topic: orders", "topic: orders\n    resend: 2"),
			`t.yaml:6: producers.orders.resend: must be a fraction between 0 and 1, got 2`},
		{"keys not a mapping", with(t, "topic: orders", "topic: orders\n    keys: 1000"),
			`t.yaml:6: producers.orders.keys: must be a mapping, got 1000`},
		{"uniform keys with an exponent", with(t, "topic: orders", "topic: orders\n    keys: {dist: uniform, s: 2}"),
			`t.yaml:6: producers.orders.keys.s: only a zipf distribution has an exponent s`},
		{"too many keys", with(t, "topic: orders", "topic: orders\n    keys: {dist: zipf, count: 2000000}"),
			`t.yaml:6: producers.orders.keys.count: must be ≤ 1000000, got 2000000`},
		{"bad key dist", with(t, "topic: orders", "topic: orders\n    keys: {dist: pareto}"),
			`t.yaml:6: producers.orders.keys.dist: must be "uniform" or "zipf", got "pareto"`},
		{"crash of the last worker", base + "faults:\n  - {at: 4m, action: crash-worker, group: email}\n",
			`t.yaml:11: faults[0]: crash-worker at 4m0s leaves group email with no worker`},
		{"fault on an unknown group", base + "faults:\n  - {at: 4m, action: add-worker, group: emial}\n",
			`t.yaml:11: faults[0].group: unknown group "emial" (did you mean "email"?)`},
		{"unknown fault action", base + "faults:\n  - {at: 4m, action: explode, group: email}\n",
			`t.yaml:11: faults[0].action: must be one of produce-errors, crash-worker, add-worker, remove-worker, got "explode"`},
		{"produce-errors without fraction", base + "faults:\n  - {at: 4m, for: 10s, action: produce-errors}\n",
			`t.yaml:11: faults[0]: produce-errors needs fraction (the share of produce requests that fail after appending)`},
		{"critical path not a mapping", base + "critical_path: true\n",
			`t.yaml:10: critical_path: must be a mapping, got true`},
		{"critical path without sync", base + "critical_path: {async: [email]}\n",
			`t.yaml:10: critical_path: missing sync (the steps of the all-sync chain)`},
		{"unknown async step", base + "critical_path:\n  sync: [{name: payment, latency: 120ms}, {name: email, latency: 25ms}]\n  async: [emial]\n",
			`t.yaml:12: critical_path.async[0]: unknown step "emial" (did you mean "email"?)`},
		{"availability over 100%", base + "critical_path:\n  sync: [{name: payment, latency: 120ms, availability: 100.1%}]\n",
			`t.yaml:11: critical_path.sync[0].availability: must be more than 0% and at most 100%, got 100.1%`},
		{"step twice", base + "critical_path:\n  sync: [{name: a, latency: 1ms}, {name: a, latency: 2ms}]\n",
			`t.yaml:11: critical_path.sync[1].name: step "a" is listed twice (first at line 11)`},
		{"step without latency", base + "critical_path:\n  sync: [{name: a}]\n",
			`t.yaml:11: critical_path.sync[0]: missing latency`},
		{"tolerance too large", base + "tolerance: 150%\n",
			`t.yaml:10: tolerance: must be more than 0% and less than 100%, got 150%`},
		{"tolerance as a whole number", base + "tolerance: 2\n",
			`t.yaml:10: tolerance: must be more than 0% and less than 100%, got 2 (did you mean 2%?)`},
		{"tolerance zero", base + "tolerance: 0\n",
			`t.yaml:10: tolerance: must be more than 0% and less than 100%, got 0`},
		{"tolerance in words", base + "tolerance: two percent\n",
			`t.yaml:10: tolerance: must be a percentage such as 2% or a fraction such as 0.02, got "two percent"`},
		{"expect for unknown group", base + "expect:\n  analytics: {peak_backlog: 100}\n",
			`t.yaml:11: expect.analytics: unknown group "analytics" (groups: email)`},
		{"negative expectation", base + "expect:\n  email: {peak_backlog: -1}\n",
			`t.yaml:11: expect.email.peak_backlog: must be ≥ 0, got -1`},
		{"duplicate key", with(t, "groups:\n", "groups:\n  email: {topics: [orders], capacity: 1}\n"),
			`t.yaml:10: groups.email: duplicate key (first at line 9)`},
		{"duplicate top-level key", base + "seed: 1\nseed: 2\n",
			`t.yaml:11: seed: duplicate key (first at line 10)`},
		{"YAML syntax error", with(t, "    topic: orders", "    topic: orders: x"),
			`t.yaml:5: invalid YAML: mapping values are not allowed in this context`},
		{"two documents", base + "---\nname: x\n",
			`t.yaml:10: a scenario file holds one YAML document, found another`},
		{"empty document", "",
			`t.yaml:1: empty scenario: it needs topics, producers and groups`},
		{"only comments", "# nothing yet\n",
			`t.yaml:1: empty scenario: it needs topics, producers and groups`},
		{"not a mapping", "- orders\n- clicks\n",
			`t.yaml:1: a scenario must be a mapping of keys (name, description, seed, topics, producers, groups, expect, tolerance, faults, critical_path), got a list`},
		{"bad name", with(t, "email:", "e/mail:"),
			`t.yaml:9: groups.e/mail: bad group name: use only letters, digits, '.', '_' and '-'`},
		{"empty name", with(t, "email:", `"":`),
			`t.yaml:9: groups: a group name must not be empty`},
		{"missing section", "topics:\n  orders: {partitions: 1}\nproducers:\n  orders: {topic: orders, phases: [{duration: 1m, rate: 1}]}\n",
			`t.yaml:1: groups: missing: a scenario needs at least one group`},
		{"empty section", with(t, "groups:\n  email: {topics: [orders], capacity: 250}\n", "groups: {}\n"),
			`t.yaml:8: groups: needs at least one group`},
		{"fetch: zero", with(t, "capacity: 250", "capacity: 250, fetch: {max_partition_bytes: 0}"),
			`t.yaml:9: groups.email.fetch.max_partition_bytes: must be ≥ 1, got 0`},
		{"fetch: past int32", with(t, "capacity: 250", "capacity: 250, fetch: {max_bytes: 4294967296}"),
			`t.yaml:9: groups.email.fetch.max_bytes: must be ≤ 2147483647, got 4294967296`},
		{"fetch: a partition over the fetch", with(t, "capacity: 250", "capacity: 250, fetch: {max_partition_bytes: 65536, max_bytes: 16384}"),
			`t.yaml:9: groups.email.fetch.max_partition_bytes: must be ≤ max_bytes (16384), got 65536`},
		{"fetch: unknown key", with(t, "capacity: 250", "capacity: 250, fetch: {max_poll_record: 10}"),
			`t.yaml:9: groups.email.fetch.max_poll_record: unknown key (did you mean "max_poll_records"?)`},
		{"fetch: string", with(t, "capacity: 250", "capacity: 250, fetch: {max_bytes: 1MiB}"),
			`t.yaml:9: groups.email.fetch.max_bytes: must be a whole number, got "1MiB"`},
		{"merge key", with(t, "capacity: 250", "capacity: 250, <<: {workers: 2}"),
			`t.yaml:9: groups.email.<<: merge keys are not supported; write the keys out`},
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range parseErrorTests(t) {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.yaml", []byte(tt.in))
			if err == nil {
				t.Fatalf("Parse() = %+v, nil; want error %q", s, tt.want)
			}
			if s != nil {
				t.Errorf("Parse() returned a scenario with error %v", err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
			list := problems(t, err)
			if got := err.Error(); len(list) != 1 || got != tt.want {
				t.Errorf("Parse() error =\n%s\nwant the one error\n%s", got, tt.want)
			}
		})
	}
}

// threeErrors has three errors on three lines.
var threeErrors = strings.NewReplacer("capacity: 250", "capacity: -1", "partitions: 12", "partitions: 0").Replace(base) + "colour: red\n"

func TestParseErrorsSortedByLine(t *testing.T) {
	_, err := Parse("t.yaml", []byte(threeErrors))
	var got []string
	for _, e := range problems(t, err) {
		got = append(got, e.Error())
	}
	want := []string{
		"t.yaml:2: topics.orders.partitions: must be ≥ 1, got 0",
		"t.yaml:9: groups.email.capacity: must be ≥ 0, got -1",
		"t.yaml:10: colour: unknown key (known keys: name, description, seed, topics, producers, groups, expect, tolerance, faults, critical_path)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "flash.yaml", Line: 14, Path: "groups.analytics.capacity", Msg: "must be ≥ 0, got -5"},
			"flash.yaml:14: groups.analytics.capacity: must be ≥ 0, got -5"},
		{Error{File: "f.yaml", Line: 3, Msg: "invalid YAML: x"}, "f.yaml:3: invalid YAML: x"},
		{Error{File: "f.yaml", Path: "topics", Msg: "m"}, "f.yaml: topics: m"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestParseWarnings(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"workers fit", with(t, "capacity: 250", "capacity: 250, workers: 12"), nil},
		{"idle workers", with(t, "capacity: 250", "capacity: 250, workers: 16"),
			[]string{"t.yaml:9: groups.email.workers: 16 workers but 12 partitions: 4 workers will be idle"}},
		{"idle workers over two topics",
			"topics:\n  a: {partitions: 2}\n  b: {partitions: 4}\nproducers:\n  a: {topic: a, phases: [{duration: 1m, rate: 1}]}\n" +
				"groups:\n  g:\n    topics: [a, b]\n    workers: 8\n    capacity: 10\n",
			[]string{"t.yaml:9: groups.g.workers: 8 workers but 6 partitions: 2 workers will be idle"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.yaml", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Warnings; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Warnings = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseDefaults(t *testing.T) {
	got, err := Parse("dir/sub/t.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	want := &Scenario{
		Name:      "t",
		Seed:      1,
		Topics:    map[string]Topic{"orders": {Partitions: 12}},
		Producers: map[string]Producer{"orders": {Topic: "orders", Event: "order", Size: 512, Phases: []RatePhase{{Duration: 10 * time.Minute, Rate: 100}}, Idempotent: true}},
		Groups:    map[string]Group{"email": {Topics: []string{"orders"}, Workers: 1, Capacity: 250, Delivery: AtLeastOnce}},
		Tolerance: 0.02,
		File:      "dir/sub/t.yaml",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse() =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseValues(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name  string
		in    string
		check func(s *Scenario) (got, want any)
	}{
		{"name", "name: black-friday\n" + base, func(s *Scenario) (any, any) { return s.Name, "black-friday" }},
		{"numeric name", "name: 2024\n" + base, func(s *Scenario) (any, any) { return s.Name, "2024" }},
		{"seed", "seed: 42\n" + base, func(s *Scenario) (any, any) { return s.Seed, int64(42) }},
		{"tolerance percent", base + "tolerance: 5%\n", func(s *Scenario) (any, any) { return s.Tolerance, 0.05 }},
		{"tolerance fraction", base + "tolerance: 0.05\n", func(s *Scenario) (any, any) { return s.Tolerance, 0.05 }},
		{"tolerance fractional percent", base + "tolerance: 0.5%\n", func(s *Scenario) (any, any) { return s.Tolerance, 0.005 }},
		{"ramp", with(t, "rate: 100", "rate: 50, to: 200"), func(s *Scenario) (any, any) {
			return s.Producers["orders"].Phases[0], RatePhase{Duration: 10 * time.Minute, Rate: 50, To: f(200)}
		}},
		{"float rate", with(t, "rate: 100", "rate: 12.5"), func(s *Scenario) (any, any) { return s.Producers["orders"].Phases[0].Rate, 12.5 }},
		{"capacity phases", with(t, "capacity: 250", "phases: [{duration: 90s, capacity: 10}]"), func(s *Scenario) (any, any) {
			return s.Groups["email"], Group{Topics: []string{"orders"}, Workers: 1, Phases: []CapacityPhase{{Duration: 90 * time.Second, Capacity: 10}}, Delivery: AtLeastOnce}
		}},
		{"expect", base + "expect:\n  email: {events: 60000, drained_at_s: 0}\n", func(s *Scenario) (any, any) {
			return s.Expect, map[string]Expect{"email": {Events: f(60000), DrainedAtS: f(0)}}
		}},
		{"empty expect", base + "expect:\n", func(s *Scenario) (any, any) { return s.Expect, map[string]Expect(nil) }},
		{"topics declared last", base[strings.Index(base, "producers:"):] + base[:strings.Index(base, "producers:")],
			func(s *Scenario) (any, any) { return s.Producers["orders"].Topic, "orders" }},
		{"alias", "topics:\n  clicks: &t {partitions: 3}\n  orders: *t\n" + base[strings.Index(base, "producers:"):],
			func(s *Scenario) (any, any) { return s.Topics["orders"], Topic{Partitions: 3} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.yaml", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := tt.check(s); !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestFetchSettings(t *testing.T) {
	for _, tt := range []struct {
		name, fetch string
		want        Fetch
	}{
		// franz-go's defaults; a quarter of a second of capacity 250/s per
		// poll (one worker).
		{"defaults", "", Fetch{1 << 20, 50 << 20, 63}},
		{"a partition's limit", ", fetch: {max_partition_bytes: 16384}", Fetch{16384, 50 << 20, 63}},
		// A client clamps a partition's limit to the fetch's.
		{"a small fetch", ", fetch: {max_bytes: 65536}", Fetch{65536, 65536, 63}},
		{"all three", ", fetch: {max_partition_bytes: 1000, max_bytes: 2000, max_poll_records: 500}", Fetch{1000, 2000, 500}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.yaml", []byte(with(t, "capacity: 250", "capacity: 250"+tt.fetch)))
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Groups["email"].FetchSettings(); got != tt.want {
				t.Errorf("FetchSettings() = %+v, want %+v", got, tt.want)
			}
			// What was set is written back, and reads the same.
			b, err := s.YAML()
			if err != nil {
				t.Fatal(err)
			}
			again, err := Parse("again.yaml", b)
			if err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			if !reflect.DeepEqual(again.Groups["email"].Fetch, s.Groups["email"].Fetch) {
				t.Errorf("encoded and read again: %+v, want %+v\n%s", again.Groups["email"].Fetch, s.Groups["email"].Fetch, b)
			}
		})
	}
}
