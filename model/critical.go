package model

import (
	"slices"
	"time"
)

// Step is one synchronous call on a request's critical path.
type Step struct {
	Name    string
	Latency time.Duration
	// Availability is the probability the call succeeds, in (0, 1].
	Availability float64
}

// Chain is a sequence of synchronous calls: the request answers once
// every one has, so their latencies add up, and it succeeds only if every
// one does, so their availabilities multiply:
//
//	latency = Σ latencyᵢ        availability = Π availabilityᵢ
type Chain struct {
	Steps        []string
	Latency      time.Duration
	Availability float64
}

func chain(steps []Step) Chain {
	c := Chain{Availability: 1}
	for _, s := range steps {
		c.Steps = append(c.Steps, s.Name)
		c.Latency += s.Latency
		c.Availability *= s.Availability
	}
	return c
}

// CriticalPath compares the two designs of a request path.
type CriticalPath struct {
	// Sync is the all-sync chain: every step on the request path.
	Sync Chain
	// Async is the chain that keeps only the steps that must answer now
	// and publishes one event for the rest (Moved). The publish itself is
	// not in it: its latency is the producer's publish latency, which a
	// run measures (intended send to broker acknowledgement), and its
	// availability the broker's.
	Async Chain
	Moved []string
	// Saved is what moving the steps saves before the publish is paid:
	// Sync.Latency − Async.Latency.
	Saved time.Duration
}

// Critical returns the all-sync chain of steps and the chain without the
// steps named in async.
func Critical(steps []Step, async []string) CriticalPath {
	var kept, moved []Step
	for _, s := range steps {
		if slices.Contains(async, s.Name) {
			moved = append(moved, s)
		} else {
			kept = append(kept, s)
		}
	}
	cp := CriticalPath{Sync: chain(steps), Async: chain(kept)}
	for _, s := range moved {
		cp.Moved = append(cp.Moved, s.Name)
	}
	cp.Saved = cp.Sync.Latency - cp.Async.Latency
	return cp
}

// WithPublish returns the async chain's latency once the publish, at
// latency p, is paid.
func (cp CriticalPath) WithPublish(p time.Duration) time.Duration {
	if len(cp.Moved) == 0 {
		return cp.Async.Latency
	}
	return cp.Async.Latency + p
}
