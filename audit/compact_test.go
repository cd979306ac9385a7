package audit

import (
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// checkShared fails the test unless the shared pages still hold what they
// stand for: a write into one would change every page it replaced.
func checkShared(t *testing.T) {
	t.Helper()
	for j := range onceCells {
		if w := onceCells[j].Load(); w != onceWord {
			t.Fatalf("allOnce word %d = %#x: the shared page was written", j, w)
		}
	}
	for j := range fullPage {
		if w := fullPage[j].Load(); w != ^uint64(0) {
			t.Fatalf("fullPage word %d = %#x: the shared page was written", j, w)
		}
	}
}

// deliverOnce delivers producer p's events [from, to) once each.
func deliverOnce(l *Log, p uint32, from, to uint64) {
	for s := from; s < to; s++ {
		l.Deliver(p, s)
	}
}

func TestLogCompact(t *testing.T) {
	const hole, dup = pageEvents + 7, 2*pageEvents + 9 // in pages 1 and 2
	l := New(2)
	for s := range uint64(3*pageEvents + 100) { // page 3 is being filled
		if s != hole {
			l.Deliver(1, s)
		}
	}
	l.Deliver(1, dup)
	deliverOnce(l, 0, 0, pageEvents) // another producer's full page
	before := l.Bytes()
	counts := func(s uint64) int {
		switch s {
		case hole:
			return 0
		case dup:
			return 2
		}
		if s < 3*pageEvents+100 {
			return 1
		}
		return 0
	}
	check := func(when string) {
		t.Helper()
		for s := range uint64(4 * pageEvents) {
			if got, want := l.Count(1, s), counts(s); got != want {
				t.Fatalf("%s: Count(1, %d) = %d, want %d", when, s, got, want)
			}
		}
		for _, n := range []uint64{0, 1, 64, pageEvents, hole, hole + 1, 3 * pageEvents, 3*pageEvents + 100, 4 * pageEvents} {
			want := uint64(0)
			for s := range n {
				if counts(s) == 0 {
					want++
				}
			}
			if got := l.Missing(1, n); got != want {
				t.Fatalf("%s: Missing(1, %d) = %d, want %d", when, n, got, want)
			}
		}
	}
	check("before compaction")
	if n := l.Compact(); n != 2 { // producer 1's page 0 and producer 0's page 0
		t.Fatalf("Compact() = %d pages, want 2 (a page with a 0, one with a 2 and one being filled stay)", n)
	}
	if n := l.Compact(); n != 0 {
		t.Fatalf("second Compact() = %d, want 0", n)
	}
	pageCost := pageWords*8 + 16
	if got, want := l.Bytes(), before-2*pageCost; got != want {
		t.Errorf("Bytes() after compaction = %d, want %d (%d before)", got, want, before)
	}
	check("after compaction")
	if l.Count(0, 12345) != 1 || l.Missing(0, pageEvents) != 0 {
		t.Errorf("producer 0 after compaction: Count %d, Missing %d", l.Count(0, 12345), l.Missing(0, pageEvents))
	}

	// A redelivery into a compacted page counts 2, then 3.
	if l.Deliver(1, 5) || l.Count(1, 5) != 2 {
		t.Fatalf("redelivery into a compacted page: Count %d, want 2 (and not first)", l.Count(1, 5))
	}
	l.Deliver(1, 5)
	if got := l.Count(1, 5); got != 3 {
		t.Fatalf("second redelivery: Count %d, want 3", got)
	}
	if got := l.Bytes(); got != before-pageCost {
		t.Errorf("Bytes() after the copy back = %d, want %d", got, before-pageCost)
	}
	for s := range uint64(pageEvents) {
		if want := 1 + 2*b2i(s == 5); l.Count(1, s) != want {
			t.Fatalf("after the copy back: Count(1, %d) = %d, want %d", s, l.Count(1, s), want)
		}
	}
	if l.Missing(1, pageEvents) != 0 || l.Compact() != 0 {
		t.Errorf("the copy back: Missing %d; a page with a 3 must not compact", l.Missing(1, pageEvents))
	}

	// The hole filled, page 1 compacts; page 2, with its 2, never does.
	if !l.Deliver(1, hole) {
		t.Fatal("the hole's first delivery is not first")
	}
	if n := l.Compact(); n != 1 {
		t.Fatalf("Compact() after the hole was filled = %d, want 1", n)
	}
	if l.Count(1, hole) != 1 || l.Count(1, dup) != 2 || l.Missing(1, 3*pageEvents) != 0 {
		t.Errorf("Count(hole) %d, Count(dup) %d, Missing %d", l.Count(1, hole), l.Count(1, dup), l.Missing(1, 3*pageEvents))
	}
	if got, want := l.Unique(), int64(3*pageEvents+100+pageEvents); got != want {
		t.Errorf("Unique() = %d, want %d", got, want)
	}
	checkShared(t)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// casCell does a delivery's CAS on seq's word of page p by hand: step (a)
// of inc, so a test can place the compactor between it and the seal check.
func casCell(p *cpage, seq uint64) (old uint64, v uint8) {
	off := seq & (pageEvents - 1)
	w := &p.cells[off/cellsWord]
	shift := (off % cellsWord) * 2
	old = w.Load()
	if !w.CompareAndSwap(old, old+1<<shift) {
		panic("concurrent CAS in a single-goroutine test")
	}
	return old, uint8(old>>shift) & 3
}

// TestSettleSeen: a delivery's CAS lands after the seal, the compactor's
// scan sees it and replaces the page, and only then does the delivery find
// the page sealed. The increment is in allOnce already: redoing it would
// count the event twice.
func TestSettleSeen(t *testing.T) {
	var c counts
	for s := range uint64(pageEvents) {
		if s != 100 {
			c.inc(s)
		}
	}
	p := c.get(0)
	old, v := casCell(p, 100) // (a), the event's first delivery
	if c.compactPage(0) != 1 || !p.sealed.Load() {
		t.Fatal("the page with every cell at 1 was not replaced")
	}
	if got := c.settle(0, p, 100, old, v); got != 0 {
		t.Errorf("settle returned %d, want 0 (the first delivery)", got)
	}
	if got := c.cell(100); got != 1 {
		t.Errorf("cell = %d, want 1: the increment the scan saw was applied twice", got)
	}
	if c.get(0) != allOnce {
		t.Error("settle copied the page back")
	}
	checkShared(t)
}

// TestSettleMissed: the compactor scans a word, then a delivery's CAS
// lands on it, then the page is replaced: the increment is only in the
// orphaned page and must be applied to the live one.
func TestSettleMissed(t *testing.T) {
	var c counts
	for s := range uint64(pageEvents) {
		c.inc(s)
	}
	p := c.get(0)
	if c.compactPage(0) != 1 {
		t.Fatal("not replaced")
	}
	for want := uint8(2); want <= 3; want++ { // two late redeliveries of event 7
		old, v := casCell(p, 7)
		if !p.sealed.Load() {
			t.Fatal("a replaced page is not sealed")
		}
		if got := c.settle(0, p, 7, old, v); got != want-1 {
			t.Errorf("settle returned %d, want %d", got, want-1)
		}
		if got := c.cell(7); got != want {
			t.Errorf("cell = %d, want %d", got, want)
		}
	}
	if c.get(0) == allOnce || c.cell(6) != 1 || c.cell(8) != 1 || c.unseen(pageEvents) != 0 {
		t.Error("the live page is not a copy of allOnce with the increments")
	}
	checkShared(t)
}

// TestSettleUnsealed: a delivery finds its page sealed by a round that
// then leaves it (a cell is 0 elsewhere): the page is live, nothing to redo.
func TestSettleUnsealed(t *testing.T) {
	var c counts
	for s := range uint64(pageEvents - 1) {
		c.inc(s)
	}
	c.inc(3)
	p := c.get(0)
	p.sealed.Store(true) // the round's seal
	old, v := casCell(p, 3)
	p.sealed.Store(false) // the round saw a 0 and left the page
	if got := c.settle(0, p, 3, old, v); got != 2 || c.cell(3) != 3 || c.get(0) != p {
		t.Errorf("settle = %d, cell = %d, want 2 and 3 on the same page", got, c.cell(3))
	}
}

func TestStoreCompact(t *testing.T) {
	const hole = pageEvents + 3
	s := NewStore(1)
	for i := range uint64(2*pageEvents + 10) {
		if i != hole && !s.FirstApply(0, i) {
			t.Fatalf("FirstApply(%d) of a new id = false", i)
		}
	}
	before := s.Bytes()
	if n := s.Compact(); n != 1 {
		t.Fatalf("Compact() = %d, want 1 (a page with a hole and one being filled stay)", n)
	}
	if got, want := s.Bytes(), before-pageEvents/8; got != want {
		t.Errorf("Bytes() = %d, want %d", got, want)
	}
	for i := range uint64(3 * pageEvents) {
		if got, want := s.Has(0, i), i != hole && i < 2*pageEvents+10; got != want {
			t.Fatalf("Has(%d) = %v, want %v", i, got, want)
		}
	}
	for i := range uint64(pageEvents) {
		if s.FirstApply(0, i) {
			t.Fatalf("FirstApply(%d) on a compacted page = true", i)
		}
	}
	if !s.FirstApply(0, hole) || s.FirstApply(0, hole) {
		t.Fatal("the hole is not test-and-set")
	}
	if n := s.Compact(); n != 1 || !s.Has(0, hole) {
		t.Fatalf("Compact() after the hole was filled = %d, want 1", n)
	}
	checkShared(t)
}

// TestSharedPagesReadOnly writes into the shared pages on purpose: where
// they are mapped read-only the write must fault, so any write by mistake
// in the other tests would have crashed them.
func TestSharedPagesReadOnly(t *testing.T) {
	if !onceReadOnly || !fullReadOnly {
		t.Skip("the shared pages are not mapped read-only on this system")
	}
	if raceEnabled {
		t.Skip("a fault inside the race detector's atomics cannot be recovered; go test without -race plays this")
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	for name, w := range map[string]*atomic.Uint64{"allOnce": &onceCells[9], "fullPage": &fullPage[9]} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("a write into %s did not fault", name)
				}
			}()
			w.Store(0)
		}()
	}
	checkShared(t)
}

// TestCompactConcurrent delivers from several workers, with duplicates,
// while Compact runs in a loop; then every cell, the first deliveries and
// the totals must be exact. Pages come in three kinds by their index mod
// 3: delivered once (they stay compacted); with redeliveries 1.5 pages
// behind (compacted, then copied back); with redeliveries of their last
// events 64 events behind (they race the page's compaction).
func TestCompactConcurrent(t *testing.T) {
	const n, workers = 6 * pageEvents, 4
	const lagLong, lagShort = pageEvents * 3 / 2, 64
	// extra returns how many times beyond the first event s is delivered,
	// and how many events later.
	extra := func(s uint64) (times int, lag uint64) {
		h := s * 0x9e3779b97f4a7c15 >> 54 // 0 … 1023
		switch (s >> pageBits) % 3 {
		case 1:
			switch {
			case h < 2:
				return 3, lagLong // four deliveries in all: saturates at 3
			case h < 6:
				return 2, lagLong
			case h < 20:
				return 1, lagLong
			}
		case 2:
			if s%pageEvents >= pageEvents-512 && h < 256 {
				return 1 + int(h%2), lagShort
			}
		}
		return 0, 0
	}
	l := New(1)
	var firsts, deliveries atomic.Int64
	stop := make(chan struct{})
	var compactor sync.WaitGroup
	compactor.Add(1)
	go func() {
		defer compactor.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			l.Compact()
		}
	}()
	// The workers go in steps of chunk events each, all together, so a
	// page fills up at about one time and its redeliveries come after it.
	const chunk = 1024
	var wg sync.WaitGroup
	steps := make([]chan uint64, workers)
	for w := range uint64(workers) {
		steps[w] = make(chan uint64)
		go func() {
			deliver := func(s uint64) {
				deliveries.Add(1)
				if l.Deliver(0, s) {
					firsts.Add(1)
				}
			}
			// Worker w delivers every workers-th event, and the
			// redeliveries due at the same step.
			for from := range steps[w] {
				for s := from + w; s < from+chunk*workers; s += workers {
					if s < n {
						deliver(s)
					}
					for _, lag := range []uint64{lagShort, lagLong} {
						if s < lag || s-lag >= n {
							continue
						}
						if times, d := extra(s - lag); d == lag {
							for range times {
								deliver(s - lag)
							}
						}
					}
				}
				wg.Done()
			}
		}()
	}
	for from := uint64(0); from < n+lagLong; from += chunk * workers {
		wg.Add(workers)
		for _, ch := range steps {
			ch <- from
		}
		wg.Wait()
	}
	for _, ch := range steps {
		close(ch)
	}
	close(stop)
	compactor.Wait()
	var want int64
	for s := range uint64(n) {
		times, _ := extra(s)
		if got, c := l.Count(0, s), min(1+times, 3); got != c {
			t.Fatalf("Count(0, %d) = %d, want %d", s, got, c)
		}
		want += int64(1 + times)
	}
	if firsts.Load() != n || l.Unique() != n || l.Missing(0, n) != 0 || l.Delivered() != want || deliveries.Load() != want {
		t.Errorf("firsts %d, unique %d, missing %d, delivered %d (want %d each, %d delivered)",
			firsts.Load(), l.Unique(), l.Missing(0, n), l.Delivered(), n, want)
	}
	l.Compact()
	for i := range uint64(n / pageEvents) {
		if got := l.producers[0].get(i) == allOnce; got != (i%3 == 0) {
			t.Errorf("page %d compacted: %v", i, got)
		}
	}
	checkShared(t)
}

// TestCompactRace plays, many times over, one page whose cells are all 1
// but for a few holes: one worker fills the holes, another redelivers
// cells (the holes among them) from some point on, and a third compacts
// in a loop, so deliveries land before, while and after the page is
// sealed, scanned and replaced. Every cell must end exact, and each hole
// must be reported first exactly once.
func TestCompactRace(t *testing.T) {
	const holes = 16
	budget := time.Now().Add(1500 * time.Millisecond) // and at most 5000 rounds
	for r := 0; r < 5000 && time.Now().Before(budget); r++ {
		var c counts
		p := c.getOrAdd(0, newCpage)
		var want page
		for j := range p.cells {
			p.cells[j].Store(onceWord)
			want[j].Store(onceWord)
		}
		var hole, dup [holes]uint64
		for k := range uint64(holes) {
			hole[k] = (uint64(r)*7919 + k*4099) % pageEvents
			dup[k] = (hole[k] + 1) % pageEvents
			w, shift := hole[k]/cellsWord, hole[k]%cellsWord*2
			p.cells[w].Store(p.cells[w].Load() &^ (1 << shift))
			want[w].Add(1 << shift) // 2: delivered by both workers
			w, shift = dup[k]/cellsWord, dup[k]%cellsWord*2
			want[w].Add(1 << shift) // 2: redelivered
		}
		var firsts [holes]atomic.Int32
		var filled atomic.Int32
		var done atomic.Bool
		var wg sync.WaitGroup
		wg.Add(3)
		go func() { // the compactor
			defer wg.Done()
			for !done.Load() {
				c.compact()
				runtime.Gosched()
			}
		}()
		var workers sync.WaitGroup
		workers.Add(2)
		go func() { // the first deliveries
			defer wg.Done()
			defer workers.Done()
			for k, s := range hole {
				if c.inc(s) == 0 {
					firsts[k].Add(1)
				}
				filled.Add(1)
			}
		}()
		go func() { // the redeliveries, after a varying number of holes filled
			defer wg.Done()
			defer workers.Done()
			for filled.Load() < int32(r%(holes+1)) {
				runtime.Gosched()
			}
			for k := range holes {
				if c.inc(dup[k]) == 0 {
					t.Errorf("round %d: the redelivery of %d was reported first", r, dup[k])
				}
				if c.inc(hole[k]) == 0 {
					firsts[k].Add(1)
				}
			}
		}()
		workers.Wait()
		done.Store(true)
		wg.Wait()
		live := c.get(0)
		for j := range live.cells {
			if got := live.cells[j].Load(); got != want[j].Load() {
				t.Fatalf("round %d: word %d = %#x, want %#x (compacted meanwhile: %v)", r, j, got, want[j].Load(), live != p)
			}
		}
		for k := range holes {
			if firsts[k].Load() != 1 {
				t.Fatalf("round %d: hole %d reported first %d times", r, hole[k], firsts[k].Load())
			}
		}
	}
	checkShared(t)
}

// TestStoreCompactConcurrent applies every id from two workers while
// Compact runs in a loop: each id must be first exactly once.
func TestStoreCompactConcurrent(t *testing.T) {
	const n, workers = 8 * pageEvents, 4
	s := NewStore(1)
	firsts := make([]atomic.Int32, n)
	stop := make(chan struct{})
	var compactor sync.WaitGroup
	compactor.Add(1)
	go func() {
		defer compactor.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			s.Compact()
		}
	}()
	var wg sync.WaitGroup
	for w := range uint64(workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range uint64(n) {
				if i%workers == w || (i+1)%workers == w { // two workers per id
					if s.FirstApply(0, i) {
						firsts[i].Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	compactor.Wait()
	s.Compact()
	for i := range uint64(n) {
		if firsts[i].Load() != 1 || !s.Has(0, i) {
			t.Fatalf("id %d: first %d times, Has %v", i, firsts[i].Load(), s.Has(0, i))
		}
	}
	if got := s.Bytes(); got > 8*8 {
		t.Errorf("Bytes() = %d after compacting full pages, want the entries only", got)
	}
	checkShared(t)
}
