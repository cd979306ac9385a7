package model

import (
	"math"
	"slices"
	"strconv"

	"github.com/backlogbench/backlogbench/rate"
)

// Serving is how a group's workers fetch: their client's settings, what a
// record of each topic takes in a fetch, and the broker's order.
type Serving struct {
	Fetch Fetch
	// Bytes[t] is what one record of the group's Topics[t] takes in a
	// fetch, its batch's overhead included.
	Bytes []float64
	// Rotate is Server.Rotate: the embedded broker's order (true) or
	// Apache Kafka's.
	Rotate bool
}

// Phases is how many phases of the fetch cycle ServeGroup follows, evenly
// spread over one cycle.
const Phases = 16

// ServedLag is a group's time lag as its workers really serve their
// partitions, at each phase of their fetch cycles. A phase is the same for
// every worker of the group: their busy stretches start together, and the
// runs measured followed one phase (their peaks sat in the lower or the
// upper of the phases' two clusters, not at the highest of three workers'
// draws).
type ServedLag struct {
	// Curves[k] are the time lags at phase k/Phases of the group's
	// workers that hold a partition, one per distinct set of partitions'
	// arrivals.
	Curves [][]LagCurve
}

// MaxServedPartitions is the most partitions a worker is followed one by
// one; one holding more (a run refuses such scenarios unless forced) is
// followed as a single partition, first in, first out: the lower bound,
// at the cost of one partition instead of a simulation as wide as its
// partitions.
const MaxServedPartitions = 4096

// ServeGroup follows each of the group's workers through its fetches (see
// Server.Serve) at every phase. A worker whose fluid queue is never busy
// keeps up throughout and is left out (its lag is a record's service
// time); workers with the same partitions' arrivals are followed once.
func ServeGroup(g Group, sv Serving) ServedLag {
	var out ServedLag
	if g.Workers <= 0 {
		return out
	}
	perWorker := g.Capacity.Scaled(1 / float64(g.Workers))
	// Each topic's partition shares of each input (nil: even), once.
	shares := make([][][]float64, len(g.Topics))
	for t, tp := range g.Topics {
		shares[t] = make([][]float64, len(tp.Inputs))
		for i, in := range tp.Inputs {
			if in.Shares != nil {
				shares[t][i] = in.Shares(tp.Partitions)
			}
		}
	}
	share := func(t, i int, p int32) float64 {
		sh := shares[t][i]
		switch {
		case sh == nil:
			return 1 / float64(g.Topics[t].Partitions)
		case int(p) < len(sh):
			return sh[p]
		}
		return 0
	}
	var servers []Server
	seen := map[string]bool{}
	for _, byTopic := range g.assignment() {
		// The worker's share of each input first: a worker that keeps up
		// throughout is done.
		var total []rate.Schedule
		for t, tp := range g.Topics {
			if t >= len(byTopic) {
				continue
			}
			for i, in := range tp.Inputs {
				load := 0.0
				for _, p := range byTopic[t] {
					load += share(t, i, p)
				}
				if load > 0 {
					total = append(total, in.Rate.Scaled(load))
				}
			}
		}
		if !slices.ContainsFunc(Fluid(total, perWorker).Curve.Pieces, func(p Piece) bool { return !isEmpty(p) }) {
			continue
		}
		var ps []ServedPartition
		var key []byte
		for t, tp := range g.Topics {
			if t >= len(byTopic) {
				continue
			}
			var bytes float64
			if t < len(sv.Bytes) {
				bytes = sv.Bytes[t]
			}
			held := slices.Clone(byTopic[t])
			slices.Sort(held)
			for _, p := range held {
				var rs []rate.Schedule
				key = append(strconv.AppendInt(key, int64(t), 10), ':')
				for i, in := range tp.Inputs {
					sp := share(t, i, p)
					key = append(strconv.AppendFloat(key, sp, 'g', -1, 64), ',')
					if sp > 0 {
						rs = append(rs, in.Rate.Scaled(sp))
					}
				}
				key = append(key, ';')
				ps = append(ps, ServedPartition{Topic: t, Arrivals: rate.Sum(rs...), Bytes: bytes})
			}
		}
		if len(ps) == 0 || seen[string(key)] {
			continue
		}
		seen[string(key)] = true
		if len(ps) > MaxServedPartitions {
			ps = []ServedPartition{{Arrivals: rate.Sum(total...), Bytes: ps[0].Bytes}}
		}
		servers = append(servers, Server{Partitions: ps, Capacity: perWorker, Fetch: sv.Fetch, Rotate: sv.Rotate})
	}
	out.Curves = make([][]LagCurve, Phases)
	for k := range Phases {
		for _, s := range servers {
			s.Phase, s.Start = float64(k)/Phases, k
			out.Curves[k] = append(out.Curves[k], s.Serve())
		}
	}
	return out
}

// at returns the group's time lag at t at phase k: its workers' largest.
func (s ServedLag) at(k int, t float64) float64 {
	m := 0.0
	for _, c := range s.Curves[k] {
		m = max(m, c.At(t))
	}
	return m
}

// At returns the group's time lag at scenario time t: the highest over the
// phases of its workers' largest. A run's time lag is a saw-tooth whose
// teeth fall where its own phase puts them; at any one time the phases
// disagree, and their median lies well below each one's peaks (the seed's
// analytics: 213 s in the minute where runs peak at 243 to 258 s), while
// the highest is what the time lag can reach then (259.5 s).
func (s ServedLag) At(t float64) float64 {
	m := 0.0
	for k := range s.Curves {
		m = max(m, s.at(k, t))
	}
	return m
}

// Max returns the group's largest time lag over the run, as the middle of
// its range over the phases, and that range: +Inf when some event is never
// processed.
func (s ServedLag) Max() (mid, lo, hi float64) {
	if len(s.Curves) == 0 {
		return 0, 0, 0
	}
	lo, hi = math.Inf(1), 0
	for _, cs := range s.Curves {
		m := 0.0
		for _, c := range cs {
			m = max(m, c.Max())
		}
		lo, hi = min(lo, m), max(hi, m)
	}
	if math.IsInf(hi, 1) {
		return hi, lo, hi
	}
	return (lo + hi) / 2, lo, hi
}
