// Package progress shows a running backlogbench run: on a terminal a
// progress bar (scenario time elapsed of the total, with the wall-time
// ETA) and below it one line per group (processed rate, observed backlog
// versus predicted now), redrawn in place by github.com/vbauerster/mpb;
// elsewhere (CI logs, pipes) one plain line per interval of scenario time.
//
// Samples arrive through Observe, from the run's sampling goroutine; it
// only stores the sample and wakes the display's own goroutine, so it
// never blocks the run.
package progress

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/backlogbench/backlogbench/predict"
	"github.com/backlogbench/backlogbench/results"
	"github.com/backlogbench/backlogbench/scenario"
)

// rateWindow is the scenario time over which rates are averaged.
const rateWindow = 5.0

// Options configure a Display.
type Options struct {
	// Terminal draws a live bar; otherwise plain lines are written.
	Terminal bool
	// Speedup is the run's time compression, for the ETA. The default is 1.
	Speedup float64
	// Every is the scenario time between plain lines. The default is 60s.
	Every float64
	// Width is the bar's width in columns on a terminal. The default is
	// the terminal's width.
	Width int
}

// Display shows a run's progress. Create it with New, hand its Observe to
// bench.Config.OnSample, and Close it when the run returns.
type Display struct {
	w      io.Writer
	opt    Options
	sc     *scenario.Scenario
	groups []string
	total  float64 // scenario seconds: the end of production or the last predicted drain

	mu     sync.Mutex
	window []results.Sample // the last rateWindow scenario seconds
	next   float64          // scenario time of the next plain line

	wake chan struct{}
	stop chan struct{}
	done chan struct{}

	p   *mpb.Progress
	bar *mpb.Bar
}

// New starts a display of a run of sc on w.
func New(w io.Writer, sc *scenario.Scenario, opt Options) *Display {
	if opt.Speedup <= 0 {
		opt.Speedup = 1
	}
	if opt.Every <= 0 {
		opt.Every = 60
	}
	d := &Display{w: w, opt: opt, sc: sc, groups: sc.GroupNames(), total: Total(sc, opt.Speedup),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if opt.Terminal {
		d.startBar()
	}
	go d.loop()
	return d
}

// Total returns the scenario time a run at speedup is expected to take:
// the end of production or the last predicted drain (with the groups'
// worker faults as a run at that speedup plays them), whichever is later.
func Total(sc *scenario.Scenario, speedup float64) float64 {
	total := sc.End()
	for _, p := range predict.PredictTimed(sc, nil, predict.Embedded, predict.Timing{Speedup: speedup}) {
		if !math.IsInf(p.DrainedAtS, 1) {
			total = max(total, p.DrainedAtS)
		}
	}
	return max(total, 1)
}

// Observe records a sample. It never blocks: use it as (part of)
// bench.Config.OnSample.
func (d *Display) Observe(s results.Sample) {
	d.mu.Lock()
	d.window = append(d.window, s)
	i := 0
	for i < len(d.window)-1 && d.window[i].T < s.T-rateWindow {
		i++
	}
	d.window = d.window[i:]
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Close stops the display: the bar is completed and left on screen.
func (d *Display) Close() {
	close(d.stop)
	<-d.done
	if d.bar != nil {
		d.bar.SetTotal(-1, true)
		d.p.Wait()
	}
}

// state is what the display shows, from the latest samples.
type state struct {
	t      float64
	groups []groupState
}

type groupState struct {
	name               string
	rate               float64 // NaN before two samples
	backlog            int64
	predicted          float64
	hasSample, hasRate bool
}

func (d *Display) state() state {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := state{groups: make([]groupState, len(d.groups))}
	for i, g := range d.groups {
		st.groups[i].name = g
	}
	n := len(d.window)
	if n == 0 {
		return st
	}
	last, first := d.window[n-1], d.window[0]
	st.t = last.T
	dt := last.T - first.T
	for i := range st.groups {
		if i >= len(last.Groups) {
			break
		}
		g := &st.groups[i]
		g.hasSample = true
		g.backlog, g.predicted = last.Groups[i].Backlog, last.Groups[i].Predicted
		if dt > 0 {
			g.rate, g.hasRate = float64(last.Groups[i].Processed-first.Groups[i].Processed)/dt, true
		}
	}
	return st
}

func (d *Display) loop() {
	defer close(d.done)
	for {
		select {
		case <-d.stop:
			return
		case <-d.wake:
		}
		st := d.state()
		if d.bar != nil {
			// Keep the bar short of its total until Close, even when the
			// drain runs late: a completed bar stops redrawing.
			cur := int64(math.Min(st.t, d.total) * 1000)
			d.bar.SetCurrent(min(cur, int64(d.total*1000)-1))
			continue
		}
		d.mu.Lock()
		due := st.t >= d.next
		if due {
			for d.next <= st.t {
				d.next += d.opt.Every
			}
		}
		d.mu.Unlock()
		if due {
			fmt.Fprintln(d.w, d.line(st))
		}
	}
}

// line is the plain progress line.
func (d *Display) line(st state) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%3.0f%% t=%s of %s, ETA %s", 100*math.Min(1, st.t/d.total), clock(st.t), clock(d.total), d.eta(st.t))
	for _, g := range st.groups {
		fmt.Fprintf(&b, " | %s %s backlog %s (pred %s)", g.name, rate(g), num(float64(g.backlog)), num(g.predicted))
	}
	return b.String()
}

// eta is the wall time left until the expected end.
func (d *Display) eta(t float64) string {
	left := max(0, d.total-t) / d.opt.Speedup
	return (time.Duration(left * float64(time.Second))).Round(time.Second).String()
}

func (d *Display) startBar() {
	// The caller said w is a terminal: redraw even when w does not look
	// like one to mpb (a wrapped os.Stderr, say).
	opts := []mpb.ContainerOption{mpb.WithOutput(d.w), mpb.WithRefreshRate(200 * time.Millisecond), mpb.WithAutoRefresh()}
	if d.opt.Width > 0 {
		opts = append(opts, mpb.WithWidth(d.opt.Width))
	}
	d.p = mpb.New(opts...)
	width := 0
	for _, g := range d.groups {
		width = max(width, len(g))
	}
	lines := make([]mpb.BarFiller, len(d.groups))
	for i := range d.groups {
		lines[i] = mpb.BarFillerFunc(func(w io.Writer, _ decor.Statistics) error {
			g := d.state().groups[i]
			bk := "—"
			if g.hasSample {
				bk = num(float64(g.backlog))
			}
			_, err := fmt.Fprintf(w, "  %-*s  processed %9s   backlog %8s   predicted %8s\n", width, g.name, rate(g), bk, num(g.predicted))
			return err
		})
	}
	d.bar = d.p.New(int64(d.total*1000), mpb.BarStyle().Lbound("[").Rbound("]"),
		mpb.PrependDecorators(decor.Name(d.sc.Name+" ", decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
			t := d.state().t
			return fmt.Sprintf(" t=%s of %s  %3.0f%%  ETA %s", clock(t), clock(d.total), 100*math.Min(1, t/d.total), d.eta(t))
		})),
		mpb.BarBtmExtender(lines...),
	)
}

// clock formats scenario seconds as 4m05s, 45s.
func clock(s float64) string {
	s = math.Max(0, math.Round(s))
	m, sec := int(s)/60, int(s)%60
	if m == 0 {
		return fmt.Sprintf("%ds", sec)
	}
	return fmt.Sprintf("%dm%02ds", m, sec)
}

func rate(g groupState) string {
	if !g.hasRate {
		return "—/s"
	}
	return strconv.FormatFloat(g.rate, 'f', 1, 64) + "/s"
}

// num formats a count with thousands separators.
func num(x float64) string {
	s := strconv.FormatFloat(math.Round(x), 'f', 0, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
