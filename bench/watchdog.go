package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/backlogbench/backlogbench/predict"
	"github.com/backlogbench/backlogbench/results"
)

// OutageMin is the least silence of the broker (no sign of life at all)
// recorded as an outage.
const OutageMin = time.Second

// outage records a broker outage, from any goroutine.
func (r *run) outage(o results.Outage) {
	r.notesMu.Lock()
	r.outages = append(r.outages, o)
	r.notesMu.Unlock()
}

// watchBroker records the broker's outages, and stops the run when the broker shows no sign of life for
// BrokerTimeout: no acknowledgement or failure of a send, no record
// processed, no admin request answered. A broker killed mid-run would
// otherwise hold every wait of the run for ever.
func (r *run) watchBroker(ctx context.Context) {
	alive := func() int64 {
		n := r.smp.Answered()
		for _, st := range r.pstats {
			n += st.Acked.Load() + st.Failed.Load()
		}
		for _, st := range r.gstats {
			n += st.Delivered.Load()
		}
		return n
	}
	last, lastAt := alive(), time.Now()
	t := time.NewTicker(min(r.cfg.BrokerTimeout/4, 250*time.Millisecond))
	defer t.Stop()
	scen := func(at time.Time) float64 { return at.Sub(r.start()).Seconds() * r.cfg.Speedup }
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if n := alive(); n != last {
				if now.Sub(lastAt) >= OutageMin {
					// The broker came back after a silence: an outage.
					r.outage(results.Outage{FromS: predict.Round(scen(lastAt), 1), ToS: predict.Round(scen(now), 1)})
				}
				last, lastAt = n, now
				continue
			}
			if now.Sub(lastAt) >= r.cfg.BrokerTimeout {
				at := now.Sub(r.start()).Seconds() * r.cfg.Speedup
				r.stopRun(fmt.Errorf("%w: no acknowledgement, processed record or admin answer for %v (since scenario t=%.0fs)", ErrBrokerDead, r.cfg.BrokerTimeout, at-r.cfg.BrokerTimeout.Seconds()*r.cfg.Speedup))
				return
			}
		}
	}
}
