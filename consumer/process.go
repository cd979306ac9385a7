package consumer

import (
	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/backlogbench/backlogbench/event"
)

// process applies one record: the contiguity check on its partition, the
// audit by event id, the effect (unless the dedup store has seen the
// event), and the latency from the event's intended send time, in
// scenario units, at now (event.Now's clock, ns).
func process(r *kgo.Record, st *Stats, hist *hdrhistogram.Histogram, speedup float64, now int64) {
	processMeta(r, st, hist, speedup, true, now)
}

// processMeta is process; with apply false the effect is left to the
// caller (exactly-once groups produce it in their transaction), and it
// returns the event's metadata and whether it has any.
func processMeta(r *kgo.Record, st *Stats, hist *hdrhistogram.Histogram, speedup float64, apply bool, now int64) (event.Meta, bool) {
	st.Delivered.Add(1)
	if ps := st.next[r.Topic]; int(r.Partition) < len(ps) {
		n := &ps[r.Partition]
		switch next := n.Load(); {
		case r.Offset < next:
			st.Redelivered.Add(1)
		default:
			if r.Offset > next {
				st.Skipped.Add(r.Offset - next)
			}
			n.Store(r.Offset + 1)
		}
	}
	var m event.Meta
	var err error = event.ErrNoMeta
	for _, h := range r.Headers {
		if h.Key == event.HeaderKey {
			m, err = event.ParseHeader(h.Value)
			break
		}
	}
	if err != nil || int(m.ProducerID) >= len(st.cfg.Kinds) {
		st.Foreign.Add(1)
		return m, false
	}
	first := st.Audit.Deliver(m.ProducerID, m.Seq)
	points := event.Points(st.cfg.Kinds[m.ProducerID], st.cfg.Seed, m.ProducerID, m.Seq)
	if first {
		st.Processed.Add(1)
		st.UniquePoints.Add(points)
	}
	switch {
	case !apply:
	case st.Dedup != nil && !st.Dedup.FirstApply(m.ProducerID, m.Seq):
		st.Suppressed.Add(1)
	default:
		st.Applied.Add(1)
		st.Points.Add(points)
		if !first {
			st.AppliedTwice.Add(1)
		}
	}
	lat := float64(now-m.IntendedNs) / 1e3 * speedup
	st.mu.Lock()
	_ = hist.RecordValue(max(int64(lat), latencyMin))
	st.mu.Unlock()
	return m, true
}
