package audit

import (
	"sync/atomic"
)

// Store is an idempotent consumer's dedup store: the set of event ids it
// has applied, shared by every worker of the group the way a real
// service's store (a table keyed by event id) would be, so it stays right
// across rebalances. It keeps one bit per event id, in pages of 2^16 ids
// per producer: 10 million ids take 1.25 MB.
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

type bitPage [pageEvents / 64]atomic.Uint64

// has reports whether bit i is set.
func (b *bitset) has(i uint64) bool {
	p := b.get(i>>pageBits, false)
	if p == nil {
		return false
	}
	off := i & (pageEvents - 1)
	return p[off/64].Load()&(1<<(off%64)) != 0
}

// bitset is one producer's bits.
type bitset struct{ paged[bitPage] }

// testAndSet sets bit i and reports whether it was clear.
func (b *bitset) testAndSet(i uint64) bool {
	p := b.get(i>>pageBits, true)
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
