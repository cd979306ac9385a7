package scenario

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// The limits of what one machine can play. Parse accepts any scenario
// whose values are in range, but some of those would hang a run or eat
// the machine's memory (a rate of 1e15 kept the pacer spinning; 100,000
// workers reached 2.4 GB in 10 s; a million partitions took 1.7 GB), so
// Limits refuses a scenario that exceeds any of them, with the figure and
// the limit. Each is far above every preset at a speedup of 60 and well
// below where a run stops being playable.
const (
	// MaxEvents is the most events the producers may send in all,
	// N = Σ_p ∫ r_p(t) dt (a ramp from a to b over D seconds sends
	// D·(a+b)/2; resends not counted). The embedded broker keeps every
	// record until the run ends and the audit tracks every id.
	MaxEvents = 50_000_000
	// MaxWallRate is the most events per second of wall time the
	// producers together may be asked for: speedup × max_t Σ_p r_p(t).
	// Above it the pacer falls behind its schedule and no in-process
	// broker appends fast enough, so a run measures the machine, not the
	// scenario.
	MaxWallRate = 2_000_000
	// MaxClients is the most Kafka clients a run may open at once: one per
	// producer and one per worker, counting the workers that add-worker
	// faults bring (workers_g + add-worker faults on g, summed over the
	// groups). Each client has its own connections, buffers and
	// goroutines.
	MaxClients = 500
	// MaxPartitions is the most partitions the scenario's topics may have
	// in all. The embedded broker keeps state per partition and every
	// worker fetches from its own.
	MaxPartitions = 10_000
	// MaxBrokerMemory is the most memory, in bytes, the embedded broker's
	// records may take, by the estimate
	//
	//	M = Σ_p N_p·(1+resend_p)·(size_p + RecordOverhead)
	//	  + Σ_g exactly-once Σ_p→g N_p·(1+resend_p)·(20 + RecordOverhead)
	//
	// where p→g are the producers writing to a topic g reads, and 20 bytes
	// is an effect record's value. A run on real brokers (--brokers) does
	// not hold them; its caller may leave this problem out.
	MaxBrokerMemory = 8 << 30
	// RecordOverhead is the embedded broker's estimated memory per record
	// beyond its value, in bytes: the record's share of its batch, its key
	// and headers, and the offset index.
	RecordOverhead = 330
)

// The limits beyond which a figure is nonsense on any machine. Sanity
// checks them, for predict (which needs no Kafka, so only these matter)
// as well as for run, where Limits checks them too.
const (
	// MaxRate is the largest rate or capacity, in events/s, a scenario may
	// give. A trillion events a second is beyond any system, so a larger
	// figure is a typo (an exponent, a unit), and the model's sums of
	// rates over time lose their precision long before float64 overflows.
	MaxRate = 1e12
	// MaxCount is the most workers one group, or partitions one topic, may
	// have. The model keeps an entry per worker and per partition: a
	// million of each takes predict about 100 MiB and a third of a second,
	// so the two billion a whole number allows would take hundreds of GB;
	// no real group or topic comes near a million.
	MaxCount = 1_000_000
	// MaxDuration is the longest a scenario may last: a producer's phases,
	// a group's capacity phases, a fault's at + for, the critical path's
	// latencies added up, and (in Limits) the run's wall time, the
	// scenario's end ÷ speedup. A year is already a unit mistake, and it
	// keeps every sum of durations far from where time.Duration overflows
	// (292 years).
	MaxDuration = 365 * 24 * time.Hour
)

// effectLen is the size of an exactly-once group's effect record value
// (consumer.EffectLen, which this package cannot import).
const effectLen = 20

// ErrTooBig is the sentinel of every LimitProblem, and so of the error
// LimitError returns: errors.Is(err, ErrTooBig) tells a scenario that is
// well formed but too big to play from one that is wrong. Such a scenario
// is still bad input, so errors.Is(err, ErrInvalid) holds as well.
//
// A caller may play the scenario anyway: every problem is a figure over a
// limit, not a mistake in the file, and each message ends "--force plays
// it anyway", so a command that offers --force goes on when the user gave
// it and errors.Is(err, ErrTooBig). LimitError's error holds nothing else.
var ErrTooBig = errors.New("scenario too big for one machine")

// LimitProblem is one way a scenario exceeds a limit: where (file, line
// and key path, as for an *Error) and which limit, with the figure and
// the limit as numbers. Its text is "FILE:LINE: PATH: MSG".
type LimitProblem struct {
	// File is the scenario's File; it is "" for a scenario built in code.
	File string
	// Line is the 1-based line of the key (or of its nearest enclosing
	// key when it was defaulted); 0 when the scenario was not parsed.
	Line int
	// Path is the key path, such as "producers.orders.phases[0].rate".
	Path string
	// Limit names the constant exceeded, such as "MaxEvents", so that a
	// caller can leave some out (MaxBrokerMemory on real brokers).
	Limit string
	// Got is the scenario's figure and Max the limit it exceeds, in the
	// limit's unit (events, events/s, clients, bytes, seconds).
	Got, Max float64
	// Msg says what is too big, with both figures.
	Msg string
}

// Error returns the problem as "FILE:LINE: PATH: MSG".
func (p LimitProblem) Error() string {
	e := Error{File: p.File, Line: p.Line, Path: p.Path, Msg: p.Msg}
	if p.File == "" {
		return strings.TrimPrefix(e.Error(), ": ")
	}
	return e.Error()
}

// Unwrap returns ErrTooBig and ErrInvalid.
func (p LimitProblem) Unwrap() []error { return []error{ErrTooBig, ErrInvalid} }

// LimitError returns problems as one error joined with errors.Join, one
// problem a line, or nil when there are none. errors.Is(err, ErrTooBig)
// and errors.Is(err, ErrInvalid) hold for it.
func LimitError(problems []LimitProblem) error {
	errs := make([]error, len(problems))
	for i, p := range problems {
		errs[i] = p
	}
	return errors.Join(errs...)
}

// forceHint ends every problem's message.
const forceHint = "; --force plays it anyway"

// limits collects the problems of one scenario.
type limits struct {
	s    *Scenario
	list []LimitProblem
}

func (l *limits) add(path, limit string, got, lim float64, format string, args ...any) {
	l.list = append(l.list, LimitProblem{
		File: l.s.File, Line: l.s.lineOf(path), Path: path,
		Limit: limit, Got: got, Max: lim,
		Msg: fmt.Sprintf(format, args...) + forceHint,
	})
}

// sorted returns the problems sorted by line, in the order found within a
// line.
func (l *limits) sorted() []LimitProblem {
	sort.SliceStable(l.list, func(i, j int) bool { return l.list[i].Line < l.list[j].Line })
	return l.list
}

// Sanity returns every figure of s that is nonsense on any machine, sorted
// by line: a rate or capacity above MaxRate, a group's workers or a
// topic's partitions above MaxCount, and a duration (a producer's phases,
// a group's capacity phases, a fault's at + for, the critical path's
// latencies) above MaxDuration. It is the check for a scenario that is
// only predicted; Limits includes it.
func (s *Scenario) Sanity() []LimitProblem {
	if s == nil {
		return nil
	}
	l := &limits{s: s}
	l.sanity()
	return l.sorted()
}

// Limits returns every way s exceeds what one machine can play at speedup,
// sorted by line: the problems Sanity finds, and
//
//	N = Σ_p ∫ r_p(t) dt                          > MaxEvents
//	speedup × r, for any phase's rate r           > MaxWallRate
//	speedup × max_t Σ_p r_p(t)                    > MaxWallRate
//	|producers| + Σ_g (workers_g + add-worker_g)  > MaxClients
//	Σ_topics partitions                           > MaxPartitions
//	M (see MaxBrokerMemory)                       > MaxBrokerMemory
//	max_p end_p ÷ speedup                         > MaxDuration
//
// Each problem gives the figure and the limit. LimitError makes the
// problems an error; a caller may play the scenario anyway (see
// ErrTooBig). A speedup that is not a finite number > 0 is the caller's
// to refuse (bench.Config.Validate does); the checks that depend on it
// are then skipped.
func (s *Scenario) Limits(speedup float64) []LimitProblem {
	if s == nil {
		return nil
	}
	l := &limits{s: s}
	l.sanity()
	l.events()
	l.clients()
	l.partitions()
	if speedup > 0 && !math.IsInf(speedup, 0) {
		l.wall(speedup)
	}
	return l.sorted()
}
