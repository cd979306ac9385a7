package audit

import (
	"sync/atomic"
	"unsafe"
)

// Store is an idempotent consumer's dedup store: the set of event ids it
// has applied, shared by every worker of the group the way a real
// service's store (a table keyed by event id) would be, so it stays right
// across rebalances. It keeps one bit per event id, in pages of 2^16 ids
// per producer: 10 million ids take 1.25 MB, and once compacted (Compact)
// only the pages with an id missing do.
type Store struct {
	producers []bitset
}

// NewStore returns a store for events of producers 0 … producers−1.
func NewStore(producers int) *Store { return &Store{producers: make([]bitset, producers)} }

// FirstApply marks event (producer, seq) as applied and reports whether
// it was not applied before: the caller applies its effect only then.
func (s *Store) FirstApply(producer uint32, seq uint64) bool {
	if int(producer) >= len(s.producers) {
		return true
	}
	return s.producers[producer].testAndSet(seq)
}

// Has reports whether event (producer, seq) is in the store.
func (s *Store) Has(producer uint32, seq uint64) bool {
	if int(producer) >= len(s.producers) {
		return false
	}
	return s.producers[producer].has(seq)
}

// Compact replaces every page of the store whose ids are all in it by one
// shared page, freeing its memory, and returns how many it replaced.
// FirstApply and Has stay exact and may go on meanwhile; it may be called
// at any time, from any goroutine.
func (s *Store) Compact() int {
	n := 0
	for i := range s.producers {
		n += s.producers[i].compact()
	}
	return n
}

// Bytes returns the memory the store's bits take: the arrays of entries
// and every page of its own. A compacted page costs its entry only; the
// shared full page, one per process, is not counted.
func (s *Store) Bytes() int {
	n := 0
	for i := range s.producers {
		n += s.producers[i].bytes()
	}
	return n
}

type bitPage [pageEvents / 64]atomic.Uint64

func newBitPage() *bitPage { return new(bitPage) }

// fullPage is the shared page that stands for every page whose bits are
// all set. It is never written (where the system allows, it is mapped
// read-only): testAndSet writes only to set a bit that is clear.
var fullPage, fullReadOnly = frozen(func(p *bitPage) {
	for i := range p {
		p[i].Store(^uint64(0))
	}
})

// bitset is one producer's bits.
//
// Compaction replaces a page whose every bit is set by fullPage. No
// further synchronisation is needed, because a full page never changes
// again: bits are only ever set, and testAndSet writes nothing when its bit
// is set already. A testAndSet that still holds the replaced page (loaded
// before the replacement, or from an older array of entries) finds its bit
// set there and reports false, as it would on fullPage: the bit was set by
// an earlier call, and the orphaned page is never written again. has reads
// ones from either. The replacement itself is made under the paged mutex,
// so a growth copying the entries cannot undo it.
type bitset struct{ paged[bitPage] }

// has reports whether bit i is set.
func (b *bitset) has(i uint64) bool {
	p := b.get(i >> pageBits)
	if p == nil {
		return false
	}
	off := i & (pageEvents - 1)
	return p[off/64].Load()&(1<<(off%64)) != 0
}

// testAndSet sets bit i and reports whether it was clear. It writes only
// when the bit is clear, so it never writes to fullPage.
func (b *bitset) testAndSet(i uint64) bool {
	p := b.getOrAdd(i>>pageBits, newBitPage)
	off := i & (pageEvents - 1)
	w := &p[off/64]
	mask := uint64(1) << (off % 64)
	for {
		old := w.Load()
		if old&mask != 0 {
			return false
		}
		if w.CompareAndSwap(old, old|mask) {
			return true
		}
	}
}

// compact replaces every full page by fullPage and returns how many. A
// page is read without the mutex (a page seen full stays full), from the
// last word down, so the page being filled stops at its first word read.
func (b *bitset) compact() int {
	n := 0
	for i := range uint64(len(b.slots())) {
		p := b.get(i)
		if p == nil || p == fullPage || !p.full() {
			continue
		}
		b.mu.Lock()
		if b.get(i) == p {
			b.set(i, fullPage)
			n++
		}
		b.mu.Unlock()
	}
	return n
}

// full reports whether every bit of p is set.
func (p *bitPage) full() bool {
	for j := len(p) - 1; j >= 0; j-- {
		if p[j].Load() != ^uint64(0) {
			return false
		}
	}
	return true
}

// bytes returns the memory of the entries and of every page but fullPage.
func (b *bitset) bytes() int {
	ps := b.slots()
	n := b.slotBytes()
	for i := range ps {
		if p := ps[i].Load(); p != nil && p != fullPage {
			n += int(unsafe.Sizeof(bitPage{}))
		}
	}
	return n
}
