package audit

import (
	"sync"
	"sync/atomic"
)

// paged is an array of pages allocated as they are first reached, whose
// entries compaction may later replace by a shared page. Reads take no
// lock; growth and every replacement of an entry take mu, so a growth
// that copies the entries into a larger array cannot lose a replacement.
//
// The array grows by doubling its capacity; a reader may hold an older,
// shorter array (an old snapshot of pages). While the capacity holds, old
// and new arrays share their entries; past it they do not, and a reader
// of an older array may see a page that has since been replaced. That is
// the same as having loaded the entry just before the replacement, which
// every user of paged must allow for anyway (see bitset.compact and
// counts.settle).
type paged[P any] struct {
	mu    sync.Mutex // guards growth and the replacement of entries
	pages atomic.Pointer[[]atomic.Pointer[P]]
}

// slots returns the entries (nil for a page never reached).
func (a *paged[P]) slots() []atomic.Pointer[P] {
	if ps := a.pages.Load(); ps != nil {
		return *ps
	}
	return nil
}

// get returns page i, nil for a page never reached.
func (a *paged[P]) get(i uint64) *P {
	if ps := a.pages.Load(); ps != nil && i < uint64(len(*ps)) {
		return (*ps)[i].Load()
	}
	return nil
}

// getOrAdd returns page i, allocating it with mk when never reached.
func (a *paged[P]) getOrAdd(i uint64, mk func() *P) *P {
	if p := a.get(i); p != nil {
		return p
	}
	return a.add(i, mk)
}

func (a *paged[P]) add(i uint64, mk func() *P) *P {
	a.mu.Lock()
	defer a.mu.Unlock()
	ps := a.slots()
	switch {
	case i < uint64(len(ps)):
		if p := ps[i].Load(); p != nil {
			return p
		}
	case i < uint64(cap(ps)):
		ps = ps[:i+1]
		a.pages.Store(&ps)
	default:
		nps := make([]atomic.Pointer[P], i+1, max(2*uint64(cap(ps)), i+1, 4))
		for j := range ps {
			nps[j].Store(ps[j].Load())
		}
		ps = nps
		a.pages.Store(&ps)
	}
	p := mk()
	ps[i].Store(p)
	return p
}

// set replaces entry i, which exists. The caller holds mu.
func (a *paged[P]) set(i uint64, p *P) { a.slots()[i].Store(p) }

// slotBytes returns the memory of the entries' array.
func (a *paged[P]) slotBytes() int { return cap(a.slots()) * 8 }
