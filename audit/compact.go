package audit

// Compaction of the 2-bit counters.
//
// A page whose 2^16 cells all hold 1 (every word onceWord: each event
// delivered exactly once) says nothing the shared page allOnce does not:
// compaction replaces its entry by allOnce and its 16 KiB go to the garbage
// collector. On a run that keeps up, every page but the newest few ends up
// like that, so the log's memory stops growing with the events. Cells are
// still updated without a lock, so a delivery may be under way on a page
// while it is replaced; what follows is why every delivery is still
// counted exactly once.
//
// Facts used:
//
//	(F1) Go's atomic operations behave as if executed in one sequentially
//	     consistent order that agrees with each goroutine's program order.
//	(F2) A word only grows: a successful CAS adds 1<<shift to a cell below
//	     3, with no carry out of the cell, so it takes the word to a strictly
//	     greater value. A word therefore holds onceWord during at most one
//	     interval, and a CAS old → new either ends at or before it
//	     (new ≤ onceWord, i.e. old < onceWord) or starts at or after it
//	     (old ≥ onceWord).
//	(F3) A page's sealed flag and its entry change only under the paged
//	     mutex, and a compaction round of a page holds the mutex throughout.
//	(F4) A page leaves its entry only by being replaced by allOnce, once it
//	     has been read all-once; a copy made of allOnce (incLive) holds a 2,
//	     so it is never replaced. An entry once allOnce is allOnce or a copy
//	     of it for good.
//
// A round on page p at entry i (compactPage), under the mutex: (1) scan p
// without sealing it, and stop unless every word is onceWord (a cell seen
// at 2 or 3 marks p never, so it is skipped from then on); (2) set
// p.sealed; (3) scan every word again; (4) if every word is onceWord,
// replace entry i by allOnce, and p stays sealed forever; else clear
// p.sealed. Only the scan of step 3 decides.
//
// A delivery on p (inc): (a) CAS its word from old to new, then (b) load
// p.sealed.
//
// (b) reads false. The seal of a round that replaces p is never cleared,
// so by F1 it comes after (b) in the order (or (b) would read true), hence
// after (a), and that round's step-3 scan of the word comes after its seal:
// it reads new or later. The increment is in what the compactor saw: if the
// page is replaced, the cell was 1 with this delivery counted, and allOnce
// says 1. Nothing to do.
//
// (b) reads true: a round on p is between its seal and its decision, or p
// has been replaced. The delivery takes the mutex (settle); by F3 any
// round on p is over.
//   - Entry i is still p: the round cleared the seal and p is live, with
//     the increment in it. Nothing to do.
//   - Entry i is no longer p: p was replaced (F4), and step 3 read this
//     word as onceWord. By F2 either old < onceWord: the CAS came before
//     that read, the compactor saw the increment and allOnce holds it;
//     nothing to do. Or old ≥ onceWord: the CAS came after the read and the
//     increment is only in p, now orphaned; settle applies it again to the
//     live page (incLive). Either way it is in the live array exactly once.
//
// A sealed flag alone does not tell the two apart: a CAS that lands after
// the seal but before the scan reaches its word is seen by the scan, so
// redoing every increment that finds its page sealed and replaced would
// count some twice (TestSettleSeen plays that interleaving).
//
// An increment the scan missed found its cell at 1 or more (the cell was 1
// when read), so it was never an event's first delivery: the one delivery
// that takes a cell from 0 to 1 comes before the scan reads onceWord, and
// the redo starts from the live cell, at least 1. Deliver's first is
// exact too. A delivery that finds its cell at 3 writes nothing and needs
// nothing: on a live page nothing changes; on an orphaned one the 3 was
// reached by two missed increments (the cell was 1 when read), whose redos
// take the live cell to 3 as well. Several missed increments of one cell
// redo in the order they get the mutex, so each one's count-before may
// differ from what it saw in p, but the live cell ends right.
//
// A delivery that loads allOnce itself, from the entry or from an older
// array of entries, takes the mutex (incShared) and applies the increment
// to the live page: if the entry is still allOnce, a fresh copy of it
// (every cell 1), installed first; otherwise the copy already installed.
// Two deliveries that both find allOnce are ordered by the mutex: the
// first copies, the second finds the copy. Under the mutex no round runs,
// so the increment needs no seal check; deliveries on the copy's fast path
// use CAS as on any page. allOnce itself is never written.
//
// Readers (cell, unseen) need nothing: allOnce holds a 1 in every cell,
// which is what the replaced page held. A reader that still holds an
// orphaned page sees it as it was, plus the missed increments also being
// applied to the live page; once deliveries stop the two agree.
//
// A round is cheap: a replaced page costs one pointer comparison, a page
// marked never one mutex round trip, and the pre-check scans from the last
// word down, so the page being filled (zeros at its end, events arriving
// roughly in order) stops at its first word read. Pages past the highest
// sequence number reached were never allocated and cost nothing.

// compact replaces every page whose cells all hold 1 by allOnce and
// returns how many it replaced.
func (c *counts) compact() int {
	n := 0
	for i := range uint64(len(c.slots())) {
		if p := c.get(i); p != nil && p != allOnce {
			n += c.compactPage(i)
		}
	}
	return n
}

// compactPage is one round on entry i (1 when it replaced the page).
func (c *counts) compactPage(i uint64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.get(i)
	if p == nil || p == allOnce || p.never {
		return 0
	}
	if ok, never := p.isAllOnce(); !ok {
		p.never = never
		return 0
	}
	p.sealed.Store(true)
	if ok, _ := p.isAllOnce(); !ok {
		p.sealed.Store(false)
		return 0
	}
	c.set(i, allOnce)
	return 1
}

// isAllOnce reports whether every cell of p holds 1, reading from the last
// word down and stopping at the first word that is not onceWord; never
// reports that this word has a cell at 2 or 3.
func (p *cpage) isAllOnce() (ok, never bool) {
	for j := len(p.cells) - 1; j >= 0; j-- {
		if w := p.cells[j].Load(); w != onceWord {
			return false, w&^onceWord != 0
		}
	}
	return true, false
}

// settle finishes a delivery whose CAS took seq's word of page p (entry
// i) from old, with v the cell before, and then found p sealed.
func (c *counts) settle(i uint64, p *cpage, seq, old uint64, v uint8) uint8 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.get(i) == p || old < onceWord {
		return v // p is live, or the compactor saw the increment
	}
	return c.incLive(i, seq) // the increment is only in the orphaned p
}

// incShared is a delivery that found allOnce at entry i.
func (c *counts) incShared(i, seq uint64) uint8 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.incLive(i, seq)
}

// incLive adds one to seq's cell in the live page at entry i, copying
// allOnce first when it is that page. The caller holds the mutex.
func (c *counts) incLive(i, seq uint64) uint8 {
	p := c.get(i)
	if p == allOnce {
		p = &cpage{cells: new(page)}
		for j := range p.cells {
			p.cells[j].Store(onceWord)
		}
		c.set(i, p)
	}
	off := seq & (pageEvents - 1)
	w := &p.cells[off/cellsWord]
	shift := (off % cellsWord) * 2
	for {
		old := w.Load()
		v := uint8(old>>shift) & 3
		if v == 3 || w.CompareAndSwap(old, old+1<<shift) {
			return v
		}
	}
}

// Compact replaces every page of the log whose events were each delivered
// exactly once by one shared page, freeing its memory, and returns how
// many pages it replaced. Counts stay exact, and deliveries may go on
// meanwhile (the proof is in compact.go). It may be called at any time,
// from any goroutine.
func (l *Log) Compact() int {
	n := 0
	for i := range l.producers {
		n += l.producers[i].compact()
	}
	return n
}
