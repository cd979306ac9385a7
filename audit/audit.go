// Package audit keeps, per consumer group, what happened to every event:
// whether it was processed and how often, in about two bits per event, so
// duplicates and loss can be counted exactly on long runs.
//
// An event's id is its producer id and sequence number. For each producer
// the audit holds a counter array of 2-bit cells, one per sequence number
// (0 = never, 1 = once, 2 = twice, 3 = three times or more), in pages of
// 2^16 events allocated as sequence numbers are reached: 10 million events
// take 2.5 MB. Cells are updated with atomic compare-and-swap, so every
// worker of a group shares one audit without a lock on the hot path.
package audit

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

const (
	pageBits   = 16
	pageEvents = 1 << pageBits // events per page
	cellsWord  = 32            // 2-bit cells per uint64
	pageWords  = pageEvents / cellsWord
)

type page [pageWords]atomic.Uint64

// paged is an array of pages allocated as they are first reached: reads
// take no lock, growth takes one.
type paged[P any] struct {
	mu    sync.Mutex // guards growth
	pages atomic.Pointer[[]*P]
}

// get returns page i, allocating it when grow is set (nil otherwise, for
// a page never reached).
func (a *paged[P]) get(i uint64, grow bool) *P {
	if ps := a.pages.Load(); ps != nil && i < uint64(len(*ps)) && (*ps)[i] != nil {
		return (*ps)[i]
	}
	if !grow {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var ps []*P
	if p := a.pages.Load(); p != nil {
		ps = *p
	}
	if i < uint64(len(ps)) && ps[i] != nil {
		return ps[i]
	}
	nps := make([]*P, max(uint64(len(ps)), i+1))
	copy(nps, ps)
	nps[i] = new(P)
	a.pages.Store(&nps)
	return nps[i]
}

// all returns the pages (nil entries for pages never reached).
func (a *paged[P]) all() []*P {
	if ps := a.pages.Load(); ps != nil {
		return *ps
	}
	return nil
}

// counts is one producer's 2-bit counters.
type counts struct{ paged[page] }

// inc adds one to seq's cell (saturating at 3) and returns the count
// before.
func (c *counts) inc(seq uint64) uint8 {
	p := c.get(seq>>pageBits, true)
	off := seq & (pageEvents - 1)
	w := &p[off/cellsWord]
	shift := (off % cellsWord) * 2
	for {
		old := w.Load()
		v := uint8(old>>shift) & 3
		if v == 3 {
			return 3
		}
		if w.CompareAndSwap(old, old+1<<shift) {
			return v
		}
	}
}

// cell returns seq's cell.
func (c *counts) cell(seq uint64) uint8 {
	p := c.get(seq>>pageBits, false)
	if p == nil {
		return 0
	}
	off := seq & (pageEvents - 1)
	return uint8(p[off/cellsWord].Load()>>((off%cellsWord)*2)) & 3
}

// unseen counts the cells equal to 0 among sequence numbers [0, n).
func (c *counts) unseen(n uint64) uint64 {
	var seen uint64
	for i, p := range c.all() {
		if p == nil {
			continue
		}
		base := uint64(i) << pageBits
		if base >= n {
			break
		}
		for j := range p {
			w := p[j].Load()
			first := base + uint64(j)*cellsWord
			if first >= n {
				break
			}
			if last := first + cellsWord; last > n {
				w &= (1 << ((n - first) * 2)) - 1 // keep the cells below n
			}
			// A cell is non-zero when either of its bits is set.
			nz := (w | w>>1) & 0x5555555555555555
			seen += uint64(bits.OnesCount64(nz))
		}
	}
	return n - seen
}

// bytes returns the memory the pages hold.
func (c *counts) bytes() int {
	ps := c.all()
	n := 0
	for _, p := range ps {
		if p != nil {
			n += pageWords * 8
		}
	}
	return n + len(ps)*8
}

// Log is a group's delivery log: per producer id, how often each event was
// processed.
type Log struct {
	producers []counts // index: producer id
	delivered atomic.Int64
	unique    atomic.Int64
}

// New returns a log for events of producers 0 … producers−1.
func New(producers int) *Log {
	return &Log{producers: make([]counts, producers)}
}

// Deliver records one delivery of event (producer, seq) and reports
// whether it is the first. Unknown producers are ignored (false).
func (l *Log) Deliver(producer uint32, seq uint64) (first bool) {
	if int(producer) >= len(l.producers) {
		return false
	}
	l.delivered.Add(1)
	if l.producers[producer].inc(seq) == 0 {
		l.unique.Add(1)
		return true
	}
	return false
}

// Count returns how often event (producer, seq) was delivered, up to 3.
func (l *Log) Count(producer uint32, seq uint64) int {
	if int(producer) >= len(l.producers) {
		return 0
	}
	return int(l.producers[producer].cell(seq))
}

// Delivered returns all deliveries recorded.
func (l *Log) Delivered() int64 { return l.delivered.Load() }

// Unique returns the events delivered at least once.
func (l *Log) Unique() int64 { return l.unique.Load() }

// Missing returns how many of the events 0 … n−1 of producer were never
// delivered.
func (l *Log) Missing(producer uint32, n uint64) uint64 {
	if int(producer) >= len(l.producers) {
		return n
	}
	return l.producers[producer].unseen(n)
}

// Bytes returns the memory the log's counters take.
func (l *Log) Bytes() int {
	n := 0
	for i := range l.producers {
		n += l.producers[i].bytes()
	}
	return n
}
