package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backlogbench/backlogbench/results"
	"github.com/backlogbench/backlogbench/scenario"
)

// mini: analytics grows at 30/s from 12 s to 42 s and drains by 72 s.
const mini = `
name: mini
topics:
  orders: {partitions: 12}
  clickstream: {partitions: 6}
producers:
  orders: {topic: orders, phases: [{duration: 60s, rate: 50}]}
  clickstream: {topic: clickstream, event: click, phases: [{duration: 12s, rate: 0}, {duration: 30s, rate: 40}]}
groups:
  analytics: {topics: [orders, clickstream], workers: 3, capacity: 60}
  email: {topics: [orders], workers: 4, capacity: 125}
`

func parse(t *testing.T) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("mini.yaml", []byte(mini))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// lines is a writer that collects lines and signals each write.
type lines struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{}
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.buf.Write(p)
	select {
	case l.wrote <- struct{}{}:
	default:
	}
	return n, err
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// sample is the mini scenario's state at t when it goes as predicted.
func sample(t float64) results.Sample {
	b := 0.0
	switch {
	case t > 12 && t <= 42:
		b = 30 * (t - 12)
	case t > 42 && t <= 60:
		b = 900 - 10*(t-42)
	case t > 60:
		b = max(0, 720-60*(t-60))
	}
	return results.Sample{T: t, Acked: []int64{0, 0}, Failed: []int64{0, 0}, Groups: []results.GroupSample{
		{Processed: int64(60 * t), Backlog: int64(b), Predicted: b},
		{Processed: int64(50 * t)},
	}}
}

func TestTotal(t *testing.T) {
	if got := Total(parse(t), 1); got != 72 {
		t.Errorf("Total = %v, want 72 (the analytics drain)", got)
	}
}

// TestPlainLines feeds samples to a display on a non-terminal and gets one
// line per interval of scenario time, with each group's rate, backlog and
// prediction.
func TestPlainLines(t *testing.T) {
	out := &lines{wrote: make(chan struct{}, 1)}
	d := New(out, parse(t), Options{Speedup: 10, Every: 20})
	for i := 0; i <= 72; i++ {
		d.Observe(sample(float64(i)))
		if i%20 == 0 { // a line is due: wait for it
			select {
			case <-out.wrote:
			case <-time.After(10 * time.Second):
				t.Fatalf("no line at t=%d", i)
			}
		}
	}
	d.Close()
	got := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(got) != 4 {
		t.Fatalf("got %d lines, want 4 (t = 0, 20, 40, 60):\n%s", len(got), out.String())
	}
	want := "56% t=40s of 1m12s, ETA 3s | analytics 60.0/s backlog 840 (pred 840) | email 50.0/s backlog 0 (pred 0)"
	if !strings.Contains(got[2], want) {
		t.Errorf("line at 40 s:\n%s\nwant it to contain\n%s", got[2], want)
	}
}

// TestTerminalBar draws the bar (forced, into a buffer) and leaves the
// last frame with the groups' lines.
func TestTerminalBar(t *testing.T) {
	out := &lines{wrote: make(chan struct{}, 1)}
	d := New(out, parse(t), Options{Terminal: true, Speedup: 10, Width: 100})
	for i := 0; i <= 30; i++ {
		d.Observe(sample(float64(i)))
	}
	time.Sleep(300 * time.Millisecond) // at least one redraw
	d.Close()
	s := out.String()
	for _, want := range []string{"mini", "ETA", "analytics", "email", "backlog", "predicted", "540"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}
