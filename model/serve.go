package model

import (
	"math"
	"slices"

	"github.com/backlogbench/backlogbench/rate"
)

// Fetch is how a worker's Kafka client fetches and polls (franz-go's
// settings), the part of it that decides the order records are served in.
type Fetch struct {
	// MaxPartitionBytes is the most a fetch returns of one partition:
	// whole record batches, and at least one for the first partition of a
	// response that has any. franz-go's default is 1 MiB.
	MaxPartitionBytes float64
	// MaxBytes is the most a fetch returns in all. franz-go's default is
	// 50 MiB.
	MaxBytes float64
	// MaxPoll is the most records one poll returns. The client holds one
	// fetch per broker and sends the next once a poll has taken the last
	// records of the one before, so the next fetch leaves when the worker
	// starts on a fetch's last poll.
	MaxPoll float64
}

// ServedPartition is one partition a worker holds.
type ServedPartition struct {
	// Topic numbers the partition's topic: a fetch request lists each
	// topic's partitions together.
	Topic int
	// Arrivals is the partition's rate of events over scenario time.
	Arrivals rate.Schedule
	// Bytes is what one of its records takes in a fetch, its record
	// batch's overhead included.
	Bytes float64
}

// Server is one worker as it really serves its partitions: it fetches
// what each partition has (up to the fetch limits), processes the fetch
// partition by partition at its capacity, and fetches again as it starts
// on the fetch's last poll.
type Server struct {
	// Partitions are the worker's partitions in the order its first fetch
	// returns them.
	Partitions []ServedPartition
	// Capacity is the worker's capacity over scenario time.
	Capacity rate.Schedule
	Fetch    Fetch
	// Rotate makes each fetch start one partition later than the one
	// before: franz-go walks its partitions from a start it moves along by
	// one each request, listing each topic's together in the order they
	// first come, and the embedded broker answers in request order.
	// Without it the order is Apache Kafka's: its fetch session answers in
	// the session's order and moves each partition that returned records
	// to the end, which leaves the order as it was when every partition has
	// records.
	Rotate bool
	// Phase, from 0 to 1, is where the fetch cycle starts in each busy
	// stretch (see cycleStart), and Start the partition the first fetch
	// starts at (franz-go's walk begins wherever its requests have moved
	// it, and Apache Kafka keeps the first fetch's order): the time lag's
	// peaks depend on both.
	Phase float64
	Start int
}

// LagCurve is a time lag over scenario time: Lag[i] at T[i], linear in
// between, 0 before the first point and after the last. When Stuck, some
// event is never processed: after the last point the lag is t − Since,
// the arrival of the oldest of them.
type LagCurve struct {
	T, Lag []float64
	Stuck  bool
	Since  float64
	// Truncated is set when the simulation stopped at maxRounds fetches:
	// the curve ends there.
	Truncated bool
}

// At returns the time lag at scenario time t.
func (c LagCurve) At(t float64) float64 {
	n := len(c.T)
	if n == 0 || t < c.T[0] {
		return 0
	}
	if t >= c.T[n-1] {
		if c.Stuck {
			return max(0, t-c.Since)
		}
		if t == c.T[n-1] {
			return c.Lag[n-1]
		}
		return 0
	}
	// The last point at or before t (a step, two points at one time,
	// reads as its second).
	lo, hi := 0, n-1
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if c.T[mid] <= t {
			lo = mid
		} else {
			hi = mid
		}
	}
	a, b := lo, lo+1
	if c.T[b] == c.T[a] {
		return c.Lag[b]
	}
	f := (t - c.T[a]) / (c.T[b] - c.T[a])
	return c.Lag[a] + f*(c.Lag[b]-c.Lag[a])
}

// Max returns the largest time lag of the curve, +Inf when stuck.
func (c LagCurve) Max() float64 {
	if c.Stuck {
		return math.Inf(1)
	}
	m := 0.0
	for _, l := range c.Lag {
		m = max(m, l)
	}
	return m
}

// maxRounds bounds the fetches Serve simulates; maxPoints the points of a
// curve (halved, each pair keeping its larger lag, when exceeded).
const (
	maxRounds = 1 << 20
	maxPoints = 1 << 16
)

// Serve returns the worker's time lag over the scenario: the age of its
// oldest unprocessed event, which is the largest over its partitions.
//
// It follows the worker fetch by fetch. With F_p the events of partition
// p fetched so far, S_p those processed, A_p its cumulative arrivals and
// M the worker's cumulative capacity, a fetch at τ takes from each
// partition, in the fetch's order,
//
//	f_p = min(A_p(τ) − F_p, L_p, what MaxBytes leaves),   L_p = ⌊MaxPartitionBytes / Bytes_p⌋ (at least 1)
//
// and the worker processes the f_p one partition after another from
// s = max(τ, the end of the fetch before), partition p's between
// M⁻¹(M(s) + Σ_{q before p} f_q) and M⁻¹(M(s) + Σ_{q up to p} f_q). The next
// fetch leaves as the worker starts the fetch's last poll, at
// M⁻¹(M(s) + MaxPoll·⌊(Σf − 1)/MaxPoll⌋), and waits for at least one event
// when none is there. A partition's oldest unprocessed event arrived at
// a_p = A_p⁻¹(S_p), so the worker's time lag at t is max(0, t − min_p a_p);
// it rises with slope 1 while other partitions are served and falls while
// the oldest is, so its maxima are at the start and the end of each
// partition's turn, where Serve reads it.
//
// In a busy stretch the events a fetch finds are those that came during
// the fetch before: a partition served last waits for almost the whole
// fetch before, and for all of its own fetch but its own turn. With n
// equally fed partitions, a fetch of R seconds of work after one of R′:
// about R′ + R(1 − 1/n), nearly twice the FIFO wait R when the backlog
// grows slowly. Once a partition's backlog passes L_p each fetch takes
// L_p of it, so every partition is served at the same rate, capacity/n,
// whatever its arrivals: a hot partition's events wait far longer than
// FIFO says.
func (s Server) Serve() LagCurve {
	n := len(s.Partitions)
	var c LagCurve
	if n == 0 {
		return c
	}
	arr := make([]rate.Schedule, n)
	lim := make([]float64, n)
	for p, sp := range s.Partitions {
		arr[p] = sp.Arrivals
		lim[p] = math.Inf(1)
		if sp.Bytes > 0 && s.Fetch.MaxPartitionBytes > 0 {
			lim[p] = max(1, math.Floor(s.Fetch.MaxPartitionBytes/sp.Bytes))
		}
	}
	all := rate.Sum(arr...)
	maxPoll := max(1, s.Fetch.MaxPoll)
	// The fluid queue's idle stretches, where the worker keeps up and
	// each event is served as it comes, are skipped whole.
	busy := Fluid([]rate.Schedule{all}, s.Capacity).Curve
	ord := s.walk(s.Start)

	fetched := make([]float64, n)
	done := make([]float64, n)
	oldest := make([]float64, n) // a_p; +Inf when nothing more ever comes
	arrival := func(p int) float64 {
		if t, ok := arr[p].TimeOf(done[p]); ok {
			return t
		}
		return math.Inf(1)
	}
	for p := range oldest {
		oldest[p] = arrival(p)
	}
	// emit adds the time lag at t, with also the arrival of one more
	// event still waiting (+Inf for none).
	emit := func(t, also float64) {
		a := also
		for _, x := range oldest {
			a = min(a, x)
		}
		lag := max(0, t-a)
		if k := len(c.T); k > 0 && c.T[k-1] == t && c.Lag[k-1] == lag {
			return
		}
		c.T = append(c.T, t)
		c.Lag = append(c.Lag, lag)
		if len(c.T) > maxPoints {
			c.T, c.Lag = halve(c.T, c.Lag)
		}
	}
	sumFetched := 0.0
	chunk := make([]float64, n)
	tau, end := 0.0, 0.0
	fetchNo := 0
	for round := 0; ; round++ {
		if round == maxRounds {
			c.Truncated = true
			break
		}
		if all.Count(tau)-sumFetched < 1 {
			// Less than one event to fetch: the fetch waits for one.
			next, ok := all.TimeOf(sumFetched + 1)
			if !ok {
				break // nothing more comes
			}
			if end <= next {
				// Idle: the worker serves each event as it comes until the
				// fluid queue's next busy stretch, and in it until its
				// fetch cycle starts; skip there whole.
				b, ok := nextBusy(busy, next)
				if !ok {
					break
				}
				if tm, backlog := s.cycleStart(busy, b, all, maxPoll); tm > tau {
					emit(tau, math.Inf(1))
					if b > tau {
						c.T, c.Lag = append(c.T, b), append(c.Lag, 0)
					}
					// First in, first out until tm: what arrived before
					// the backlog's oldest event is done.
					since := tm
					if backlog > 0 {
						since, _ = all.TimeOf(all.Count(tm) - backlog)
					}
					sumFetched = 0
					for p := range fetched {
						fetched[p] = arr[p].Count(since)
						done[p] = fetched[p]
						oldest[p] = arrival(p)
						sumFetched += fetched[p]
					}
					tau, end = tm, tm
					emit(tm, math.Inf(1))
					continue
				}
			}
			tau = next
		}
		// The fetch at τ, in this round's order.
		budget := s.Fetch.MaxBytes
		if budget <= 0 {
			budget = math.Inf(1)
		}
		first, total := true, 0.0
		for _, p := range ord {
			f := max(0, arr[p].Count(tau)-fetched[p])
			f = min(f, lim[p])
			if !first {
				f = min(f, math.Floor(budget/max(s.Partitions[p].Bytes, 1e-9)))
			}
			if f > 0 {
				first = false
				budget -= f * s.Partitions[p].Bytes
			}
			chunk[p] = f
			fetched[p] += f
			total += f
		}
		sumFetched += total
		// Processed one partition after another.
		start := max(tau, end)
		m0 := s.Capacity.Count(start)
		done0 := 0.0
		for _, p := range ord {
			if chunk[p] <= 0 {
				continue
			}
			t0, ok := s.Capacity.TimeOf(m0 + done0)
			if !ok {
				return stuck(c, oldest)
			}
			emit(t0, math.Inf(1))
			done0 += chunk[p]
			done[p] += chunk[p]
			oldest[p] = arrival(p)
			t1, ok := s.Capacity.TimeOf(m0 + done0)
			if !ok {
				return stuck(c, oldest)
			}
			// Just before the turn ends its last event still waits; then
			// the lag steps down.
			last, _ := arr[p].TimeOf(done[p] - 1e-9*max(1, done[p]))
			emit(t1, last)
			emit(t1, math.Inf(1))
			end = t1
		}
		fetchNo++
		ord = s.reorder(ord, chunk, s.Start+fetchNo)
		// The next fetch leaves as the last poll starts.
		polls := math.Floor((total - 1e-9) / maxPoll)
		if t, ok := s.Capacity.TimeOf(m0 + polls*maxPoll); ok {
			tau = max(t, start)
		} else {
			tau = end
		}
		// Fetches that each take every partition's limit, one after the
		// other at a constant capacity and arrivals, repeat until something
		// changes: jump over them whole.
		if k, per := s.saturated(arr, lim, fetched, chunk, tau, end); k > 0 {
			for p := range fetched {
				fetched[p] += k * lim[p]
				done[p] += k * lim[p]
				oldest[p] = arrival(p)
				sumFetched += k * lim[p]
			}
			tau, end = tau+k*per, end+k*per
			emit(end, math.Inf(1))
			fetchNo += int(min(k, 1<<30))
			ord = s.reorder(ord, chunk, s.Start+fetchNo)
		}
	}
	return c
}

// saturated returns how many fetches like the one just made (every
// partition at its limit, processed back to back) follow before anything
// changes, and the time each takes: with a constant capacity μ and
// constant arrivals λ_p, a fetch of Σ L_p takes R = Σ L_p/μ, and partition p
// still has L_p to give after k more while A_p(τ) − F_p − k·(L_p − λ_p·R) ≥
// L_p. It returns 0 unless at least two such fetches follow, within the
// capacity's and the arrivals' current segments.
func (s Server) saturated(arr []rate.Schedule, lim, fetched, chunk []float64, tau, end float64) (float64, float64) {
	if tau > end {
		return 0, 0 // the worker will wait for the next fetch
	}
	c, until, ok := s.Capacity.Constant(end)
	if !ok || c <= 0 {
		return 0, 0
	}
	sum := 0.0
	for p := range chunk {
		if chunk[p] != lim[p] || math.IsInf(lim[p], 1) {
			return 0, 0
		}
		sum += lim[p]
	}
	per := sum / c
	k := math.Floor((until-end)/per) - 1
	for p := range arr {
		r, u, ok := arr[p].Constant(tau)
		avail := arr[p].Count(tau) - fetched[p]
		if !ok || avail < lim[p] {
			return 0, 0
		}
		k = min(k, math.Floor((u-tau)/per)-1)
		if d := lim[p] - r*per; d > 0 {
			k = min(k, math.Floor((avail-lim[p])/d))
		}
	}
	if !(k >= 2) {
		return 0, 0
	}
	return k, per
}

// walk returns franz-go's request order from partition k mod n: each
// topic's partitions together, the topics in the order they first come.
func (s Server) walk(k int) []int {
	n := len(s.Partitions)
	k = ((k % n) + n) % n
	var topics []int
	for i := range n {
		if t := s.Partitions[(k+i)%n].Topic; !slices.Contains(topics, t) {
			topics = append(topics, t)
		}
	}
	out := make([]int, 0, n)
	for _, t := range topics {
		for i := range n {
			if p := (k + i) % n; s.Partitions[p].Topic == t {
				out = append(out, p)
			}
		}
	}
	return out
}

// reorder returns the order of fetch number k after one in order ord whose
// chunks were chunk: franz-go's walk from partition k mod n, each topic's
// partitions together, or Apache Kafka's session order, the partitions
// that returned records moved to the end.
func (s Server) reorder(ord []int, chunk []float64, k int) []int {
	if s.Rotate {
		return s.walk(k)
	}
	out := make([]int, 0, len(ord))
	for _, p := range ord {
		if chunk[p] <= 0 {
			out = append(out, p)
		}
	}
	for _, p := range ord {
		if chunk[p] > 0 {
			out = append(out, p)
		}
	}
	return out
}

// stuck ends a curve whose worker never processes its remaining events.
func stuck(c LagCurve, oldest []float64) LagCurve {
	c.Stuck, c.Since = true, math.Inf(1)
	for _, a := range oldest {
		c.Since = min(c.Since, a)
	}
	return c
}

// cycleStartPolls is, in polls, the backlog at which cycleStart begins a
// worker's fetch cycle (times g^Phase).
const cycleStartPolls = 10

// cycleStart returns when the worker's fetch cycle starts in the busy
// stretch of the fluid backlog b that begins at t0, and the backlog then:
// the first time the backlog reaches cycleStartPolls·MaxPoll·g^Phase, with
// g = λ/μ as the stretch begins, at least 2 and at most 4. Until then the
// worker is taken to serve its events first in, first out; from then on
// each fetch waits for the last poll of the one before, so the fetches'
// lengths grow by about λ/μ each. Where the cycle starts sets its phase
// for the whole stretch, and a run's is set by the noise of its first few
// fetches: Phase from 0 to 1 spans at least one cycle. Below ten polls the
// first fetches are a few records each and poll boundaries lock them in
// place, so a cycle started at one poll's backlog left whole stretches of
// phases out (the seed's analytics: 232–259 s over the phases, where runs
// reached 271 and 273 s; 233–274 s from ten polls); ten polls of backlog
// is a few seconds of a worker's capacity, where FIFO and the fetches
// differ little. A stretch that begins in an outage (capacity 0) starts
// its cycle at one poll: the worker holds its first fetch until the
// capacity returns. When the backlog never gets there, it returns the
// stretch's end and 0.
func (s Server) cycleStart(b Curve, t0 float64, all rate.Schedule, maxPoll float64) (float64, float64) {
	u := t0 + 1e-6
	g, polls := 4.0, 1.0 // an outage: the worker holds its first fetch through it
	if c := s.Capacity.Rate(u); c > 0 {
		g, polls = min(4, max(2, all.Rate(u)/c)), cycleStartPolls
	}
	thr := polls * maxPoll * math.Pow(g, s.Phase)
	for _, p := range b.Pieces {
		if p.T1 <= t0 {
			continue
		}
		if isEmpty(p) {
			return p.T0, 0
		}
		a := max(p.T0, t0)
		if p.At(a) >= thr {
			return a, p.At(a)
		}
		// The piece's highest point: its end, or the vertex of its
		// quadratic; the backlog rises monotonically to it from a.
		top := p.T1
		if p.C < 0 {
			if v := p.T0 - p.D0/p.C; v > a && v < top {
				top = v
			}
		}
		if math.IsInf(top, 1) {
			top = a + 1
			for p.At(top) < thr {
				top = a + 2*(top-a)
			}
		}
		if p.At(top) < thr {
			continue
		}
		lo, hi := a, top
		for range 60 {
			mid := (lo + hi) / 2
			if p.At(mid) >= thr {
				hi = mid
			} else {
				lo = mid
			}
		}
		return hi, p.At(hi)
	}
	if n := len(b.Pieces); n > 0 {
		return max(t0, b.Pieces[n-1].T1), 0
	}
	return t0, 0
}

// nextBusy returns the start of the first busy stretch of the fluid
// backlog b at or after t (t itself when b is busy then), and false when
// there is none.
func nextBusy(b Curve, t float64) (float64, bool) {
	for _, p := range b.Pieces {
		if p.T1 <= t || isEmpty(p) {
			continue
		}
		return max(p.T0, t), true
	}
	return 0, false
}

// halve keeps every other point of a curve, the larger lag of each pair.
func halve(ts, ls []float64) ([]float64, []float64) {
	k := 0
	for i := 0; i < len(ts); i += 2 {
		j := i
		if i+1 < len(ts) && ls[i+1] > ls[i] {
			j = i + 1
		}
		ts[k], ls[k] = ts[j], ls[j]
		k++
	}
	return ts[:k], ls[:k]
}
