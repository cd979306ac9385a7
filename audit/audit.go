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
//
// Compact then replaces every page whose events were each delivered
// exactly once by one shared, read-only page, so on a run that keeps up
// the audit's memory follows the events not yet settled, not all the
// events of the run: 10 million events delivered once take 18 KB (the
// array of page entries and the last page, part filled). A later
// redelivery into such a page copies it back first; compact.go has the
// protocol and why no delivery is lost or counted twice.
package audit

import (
	"math/bits"
	"sync/atomic"
	"unsafe"
)

const (
	pageBits   = 16
	pageEvents = 1 << pageBits // events per page
	cellsWord  = 32            // 2-bit cells per uint64
	pageWords  = pageEvents / cellsWord
	// onceWord is a word of 32 cells that each hold 1.
	onceWord = 0x5555555555555555
)

// page holds the 2-bit cells of 2^16 consecutive sequence numbers.
type page [pageWords]atomic.Uint64

// cpage is a page of cells with its compaction state. The header is an
// allocation of its own (16 bytes) so that the cells keep the exact 16 KiB
// size class.
type cpage struct {
	cells *page
	// sealed is set while the compactor scans the page, and stays set once
	// the page has been replaced by allOnce (see counts.settle).
	sealed atomic.Bool
	// never records that a cell was seen at 2 or more: cells only grow, so
	// the page can never be all-once. Guarded by the paged mutex.
	never bool
}

func newCpage() *cpage { return &cpage{cells: new(page)} }

// allOnce is the shared page that stands for every page whose events were
// each delivered exactly once: all its cells are 1. It is never written
// (where the system allows, it is mapped read-only); a delivery into it
// first copies it (see counts.incLive).
var allOnce = &cpage{cells: onceCells}

var onceCells, onceReadOnly = frozen(func(p *page) {
	for i := range p {
		p[i].Store(onceWord)
	}
})

// counts is one producer's 2-bit counters.
type counts struct{ paged[cpage] }

// inc adds one to seq's cell (saturating at 3) and returns the count
// before.
//
// The fast path is a compare-and-swap on the cell's word, as without
// compaction, followed by one load of the page's sealed flag; only a
// delivery into the shared all-once page, or one that raced a compaction
// of its page, takes the mutex (see compact.go for why that is exact).
// A cell already at 3 is not written at all.
func (c *counts) inc(seq uint64) uint8 {
	i := seq >> pageBits
	p := c.getOrAdd(i, newCpage)
	if p == allOnce {
		return c.incShared(i, seq)
	}
	off := seq & (pageEvents - 1)
	w := &p.cells[off/cellsWord]
	shift := (off % cellsWord) * 2
	for {
		old := w.Load()
		v := uint8(old>>shift) & 3
		if v == 3 {
			return 3
		}
		if w.CompareAndSwap(old, old+1<<shift) {
			if p.sealed.Load() {
				return c.settle(i, p, seq, old, v)
			}
			return v
		}
	}
}

// cell returns seq's cell.
func (c *counts) cell(seq uint64) uint8 {
	p := c.get(seq >> pageBits)
	if p == nil {
		return 0
	}
	off := seq & (pageEvents - 1)
	return uint8(p.cells[off/cellsWord].Load()>>((off%cellsWord)*2)) & 3
}

// unseen counts the cells equal to 0 among sequence numbers [0, n).
func (c *counts) unseen(n uint64) uint64 {
	var seen uint64
	ps := c.slots()
	for i := range ps {
		p := ps[i].Load()
		if p == nil {
			continue
		}
		base := uint64(i) << pageBits
		if base >= n {
			break
		}
		for j := range p.cells {
			w := p.cells[j].Load()
			first := base + uint64(j)*cellsWord
			if first >= n {
				break
			}
			if last := first + cellsWord; last > n {
				w &= (1 << ((n - first) * 2)) - 1 // keep the cells below n
			}
			// A cell is non-zero when either of its bits is set.
			nz := (w | w>>1) & onceWord
			seen += uint64(bits.OnesCount64(nz))
		}
	}
	return n - seen
}

// bytes returns the memory the counters hold: the array of entries and
// every page of their own (cells and header). Pages replaced by allOnce
// cost their entry only: the shared page is one per process, whatever the
// number of logs and pages, and is not counted.
func (c *counts) bytes() int {
	ps := c.slots()
	n := c.slotBytes()
	for i := range ps {
		if p := ps[i].Load(); p != nil && p != allOnce {
			n += int(unsafe.Sizeof(page{})) + int(unsafe.Sizeof(cpage{}))
		}
	}
	return n
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
