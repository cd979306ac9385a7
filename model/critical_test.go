package model

import (
	"fmt"
	"testing"
	"time"
)

const ms = time.Millisecond

// checkout is the seed's synchronous checkout: six calls and 40 ms of
// network overhead and serialisation, written as a step of its own.
func checkout(payment time.Duration) []Step {
	return []Step{
		{"auth", 20 * ms, 0.999},
		{"pricing", 35 * ms, 0.999},
		{"inventory", 45 * ms, 0.999},
		{"payment", payment, 0.999},
		{"coupon", 30 * ms, 0.999},
		{"notification", 25 * ms, 0.999},
		{"network", 40 * ms, 1},
	}
}

// caseA is the seed's availability example: six dependencies at 99.9%.
var caseA = []Step{
	{"payment", 120 * ms, 0.999},
	{"inventory", 45 * ms, 0.999},
	{"email", 25 * ms, 0.999},
	{"ledger", 30 * ms, 0.999},
	{"analytics", 10 * ms, 0.999},
	{"recommendation", 50 * ms, 0.999},
}

func pct(a float64) string { return fmt.Sprintf("%.4f%%", 100*a) }

func TestCriticalSeed(t *testing.T) {
	tests := []struct {
		name         string
		cp           CriticalPath
		sync, async  time.Duration
		availability string // of the sync chain
		asyncAvail   string
	}{
		{"checkout", Critical(checkout(120*ms), nil), 315 * ms, 315 * ms, "99.4015%", "99.4015%"},
		{"payment spikes to 400 ms", Critical(checkout(400*ms), nil), 595 * ms, 595 * ms, "99.4015%", "99.4015%"},
		{"case B: payment and inventory stay sync", Critical(caseA, []string{"email", "ledger", "analytics", "recommendation"}),
			280 * ms, 165 * ms, "99.4015%", "99.8001%"},
	}
	for _, tt := range tests {
		if tt.cp.Sync.Latency != tt.sync || tt.cp.Async.Latency != tt.async {
			t.Errorf("%s: latency %v sync, %v async; want %v, %v", tt.name, tt.cp.Sync.Latency, tt.cp.Async.Latency, tt.sync, tt.async)
		}
		if got := pct(tt.cp.Sync.Availability); got != tt.availability {
			t.Errorf("%s: sync availability %s, want %s", tt.name, got, tt.availability)
		}
		if got := pct(tt.cp.Async.Availability); got != tt.asyncAvail {
			t.Errorf("%s: async availability %s, want %s", tt.name, got, tt.asyncAvail)
		}
	}
	cp := Critical(caseA, []string{"email", "ledger", "analytics", "recommendation"})
	if got := cp.WithPublish(3 * ms); got != 168*ms {
		t.Errorf("WithPublish(3ms) = %v, want 168ms", got)
	}
	if want := []string{"email", "ledger", "analytics", "recommendation"}; fmt.Sprint(cp.Moved) != fmt.Sprint(want) {
		t.Errorf("Moved = %v, want %v", cp.Moved, want)
	}
}
