package bench

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backlogbench/backlogbench/report"
	"github.com/backlogbench/backlogbench/results"
)

// runScenario plays y on the embedded broker and returns the summary,
// failing the test on a run error or an incomplete run.
func runScenario(t *testing.T, y string, speedup float64) results.Summary {
	t.Helper()
	if testing.Short() {
		t.Skip("plays a scenario on the embedded broker")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{Scenario: parse(t, y), Speedup: speedup})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Summary.Complete {
		t.Fatalf("run not complete: %v", res.Summary.Notes)
	}
	return res.Summary
}

// backlogFigures are the verdicts of the backlog model.
var backlogFigures = []string{"peak_backlog", "peak_at_s", "growth_rate", "drained_at_s"}

// requirePass fails the test on any failed verdict, showing the table. A
// backlog figure that fails against the scenario's prediction but passes
// against the conditional one (the model fed what the broker really
// acknowledged) is the machine's noise, not the model's error: a busy CI
// machine made the producer slip, and the run's notes say so. A backlog
// figure of a group whose workers fell behind their capacity (its harness
// audit) fails against both and is logged, not failed: neither prediction
// has the capacity the workers really delivered. A run that did not pass
// for anything but such figures (a failed worker or send) fails the test.
func requirePass(t *testing.T, s results.Summary) {
	t.Helper()
	// The harness audit saw a producer send late or workers fall behind:
	// the time lag, dated from the intended sends, holds the slip too.
	late := false
	for _, p := range s.Producers {
		late = late || p.Harness != nil && p.Harness.LateEvents > 0
	}
	for _, gs := range s.Groups {
		late = late || gs.Harness != nil && gs.Harness.LateRecords > 0
	}
	tolerated := false
	defer func() {
		// Passed is false for a failed verdict, a failed worker or a
		// failed send: with no verdict to account for it, one of the
		// others failed.
		if !s.Passed && !tolerated {
			t.Errorf("the run did not pass, yet every verdict passed: %q", s.Notes)
		}
	}()
	for g, gs := range s.Groups {
		if gs.Observed.Lost != 0 {
			t.Errorf("%s lost %d events", g, gs.Observed.Lost)
		}
		// The input deviated from the schedule when a figure fails against
		// the scenario and passes against the input the broker acknowledged.
		// growth_rate has no conditional verdict (a burst of acks after a
		// stall is the input's steepest stretch): it is not judged then.
		slipped := false
		for m, v := range gs.Verdicts {
			slipped = slipped || (v == results.Fail && gs.Verdicts["conditional."+m] == results.Pass)
		}
		for m, v := range gs.Verdicts {
			if v != results.Pass && gs.Verdicts["conditional."+m] == results.Pass {
				t.Logf("%s %s: %s against the scenario, pass against the conditional prediction (the harness slipped)", g, m, v)
				tolerated = true
				continue
			}
			if m == "growth_rate" && v == results.Fail && slipped {
				t.Logf("%s growth_rate: fail against a scenario the harness did not play as written (see the conditional verdicts)", g)
				tolerated = true
				continue
			}
			if m == "max_time_lag_s" && v == results.Fail && (slipped || late) {
				t.Logf("%s max_time_lag_s: fail on a run whose harness slipped (see its notes)", g)
				tolerated = true
				continue
			}
			// The group's workers could not deliver their capacity (the
			// harness audit says when and how far): neither prediction
			// has the capacity they really had.
			if v == results.Fail && gs.Harness != nil && gs.Harness.LateRecords > 0 && slices.Contains(backlogFigures, strings.TrimPrefix(m, "conditional.")) {
				t.Logf("%s %s: fail with its workers behind their capacity (%d records late, see the notes)", g, m, gs.Harness.LateRecords)
				tolerated = true
				continue
			}
			if v != results.Pass {
				var b strings.Builder
				report.RenderTable(&b, &s)
				t.Errorf("%s %s: %s\n%s", g, m, v, b.String())
			}
		}
	}
}

const resendScenario = `
name: resend
topics:
  orders: {partitions: 6}
producers:
  orders:
    topic: orders
    phases: [{duration: 60s, rate: 100}]
    resend: 0.02
groups:
  loyalty: {topics: [orders], workers: 2, capacity: 200, dedup: true}
  email: {topics: [orders], workers: 2, capacity: 200}
`

// TestResend: every resend reaches every group once more; the group with a
// dedup store suppresses each, the one without applies each twice.
func TestResend(t *testing.T) {
	s := runScenario(t, resendScenario, 10)
	requirePass(t, s)
	resent := s.Producers["orders"].Resent
	if resent < 60 || resent > 180 { // 2% of 6,000, give or take
		t.Fatalf("resent %d of 6,000 at 2%%", resent)
	}
	for _, g := range []string{"loyalty", "email"} {
		o := s.Groups[g].Observed
		if o.DuplicatesDelivered != resent {
			t.Errorf("%s: duplicates delivered %d, want %d", g, o.DuplicatesDelivered, resent)
		}
		if o.Unique != 6000 || o.Delivered != 6000+resent {
			t.Errorf("%s: unique %d, delivered %d", g, o.Unique, o.Delivered)
		}
	}
	l, e := s.Groups["loyalty"].Observed, s.Groups["email"].Observed
	if l.DuplicatesSuppressed != resent || l.AppliedTwice != 0 || l.Effects.Points != l.Effects.PointsExpected {
		t.Errorf("loyalty: suppressed %d, applied twice %d, points %d of %d", l.DuplicatesSuppressed, l.AppliedTwice, l.Effects.Points, l.Effects.PointsExpected)
	}
	if e.DuplicatesSuppressed != 0 || e.AppliedTwice != resent || e.Effects.Applied != 6000+resent {
		t.Errorf("email: suppressed %d, applied twice %d, applied %d", e.DuplicatesSuppressed, e.AppliedTwice, e.Effects.Applied)
	}
}

const produceErrorsScenario = `
name: produce-errors
topics:
  orders: {partitions: 6}
producers:
  orders:
    topic: orders
    phases: [{duration: 60s, rate: 100}]
    idempotent: IDEMPOTENT
groups:
  email: {topics: [orders], workers: 2, capacity: 300}
faults:
  - {at: 10s, for: 20s, action: produce-errors, fraction: 0.3}
`

// TestProduceErrors: a produce appended and then failed is appended again
// by a retry without idempotence, once per faulted record; with the
// idempotent producer the broker drops the retry.
func TestProduceErrors(t *testing.T) {
	for _, idem := range []string{"false", "true"} {
		t.Run("idempotent="+idem, func(t *testing.T) {
			s := runScenario(t, strings.Replace(produceErrorsScenario, "IDEMPOTENT", idem, 1), 10)
			requirePass(t, s)
			g := s.Groups["email"]
			dups, want := g.Observed.DuplicatesDelivered, g.Predicted.DuplicatesUpstream
			if g.Predicted.Duplicates == nil || *g.Predicted.Duplicates != want {
				t.Fatalf("predicted duplicates %v, upstream %d", g.Predicted.Duplicates, want)
			}
			switch idem {
			case "false":
				if want == 0 || dups != want {
					t.Errorf("duplicates delivered %d, faulted appends %d; want equal and > 0", dups, want)
				}
			case "true":
				if want != 0 || dups != 0 {
					t.Errorf("idempotent producer: duplicates delivered %d, predicted %d; want 0", dups, want)
				}
			}
		})
	}
}

const mixedScenario = `
name: mixed-producers
topics:
  orders: {partitions: 6}
producers:
  retrying: {topic: orders, phases: [{duration: 40s, rate: 60}], idempotent: false}
  careful: {topic: orders, phases: [{duration: 40s, rate: 60}]}
groups:
  email: {topics: [orders], workers: 2, capacity: 400}
faults:
  - {at: 10s, for: 20s, action: produce-errors, fraction: 0.3}
`

// TestProduceErrorsMixedProducers: on a topic with an idempotent and a
// non-idempotent producer, only the latter's faulted records come twice.
func TestProduceErrorsMixedProducers(t *testing.T) {
	s := runScenario(t, mixedScenario, 10)
	requirePass(t, s)
	g := s.Groups["email"]
	if g.Predicted.DuplicatesUpstream == 0 || g.Observed.DuplicatesDelivered != g.Predicted.DuplicatesUpstream {
		t.Errorf("duplicates delivered %d, predicted %d; want equal and > 0", g.Observed.DuplicatesDelivered, g.Predicted.DuplicatesUpstream)
	}
}

const crashScenario = `
name: crash
topics:
  orders: {partitions: 6}
producers:
  orders:
    topic: orders
    phases: [{duration: 60s, rate: 100}]
groups:
  loyalty: {topics: [orders], workers: 3, capacity: 105, dedup: true}
  ledger: {topics: [orders], workers: 3, capacity: 105, delivery: exactly-once}
faults:
  - {at: 30s, action: crash-worker, group: loyalty}
  - {at: 30s, action: crash-worker, group: ledger}
`

// TestCrash: a worker dies without committing; its partitions go to the
// others, nothing is lost, duplicates stay within the bound, the dedup
// store keeps loyalty's points right and the exactly-once ledger commits
// every effect exactly once.
func TestCrash(t *testing.T) {
	s := runScenario(t, crashScenario, 10)
	requirePass(t, s)
	for _, g := range []string{"loyalty", "ledger"} {
		gs := s.Groups[g]
		if gs.Predicted.DuplicatesMax == nil {
			t.Fatalf("%s: no duplicates bound predicted for a crash", g)
		}
		if gs.Observed.DuplicatesDelivered > *gs.Predicted.DuplicatesMax {
			t.Errorf("%s: %d duplicates over the bound %d", g, gs.Observed.DuplicatesDelivered, *gs.Predicted.DuplicatesMax)
		}
	}
	l := s.Groups["ledger"].Observed
	if l.AppliedTwice != 0 || l.Effects.Applied != 6000 || l.Effects.Points != l.Effects.PointsExpected {
		t.Errorf("ledger: applied %d (twice %d), points %d of %d; want every effect once", l.Effects.Applied, l.AppliedTwice, l.Effects.Points, l.Effects.PointsExpected)
	}
	if y := s.Groups["loyalty"].Observed; y.AppliedTwice != 0 || y.Effects.Points != y.Effects.PointsExpected {
		t.Errorf("loyalty: applied twice %d, points %d of %d", y.AppliedTwice, y.Effects.Points, y.Effects.PointsExpected)
	}
}
