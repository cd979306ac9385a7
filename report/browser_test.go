package report

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

var (
	screenshot = flag.String("screenshot", "", "also save the browser test's screenshot of report.html to this file")
	reportDir  = flag.String("report", "", "run folder whose report.html the browser test opens (default: the testdata/mini-3w fixture, rendered afresh)")
)

// chromium returns the path of a Chromium or Chrome binary, or "" when
// there is none. BACKLOGBENCH_CHROMIUM names one explicitly.
func chromium() string {
	if p := os.Getenv("BACKLOGBENCH_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// chartInfo is what the page says about one chart.
type chartInfo struct {
	Group  string  `json:"group"`
	Chart  string  `json:"chart"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
	Paths  int     `json:"paths"`
	Texts  int     `json:"texts"`
}

// chartsJS lists every chart of the page with its rendered size and its
// number of drawn paths and texts.
const chartsJS = `Array.from(document.querySelectorAll('figure.chart')).map(f => {
	const svg = f.querySelector('svg');
	const r = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
	return {group: f.dataset.group || '', chart: f.dataset.chart || '', width: r.width, height: r.height,
		paths: svg ? svg.querySelectorAll('path').length : 0, texts: svg ? svg.querySelectorAll('text').length : 0};
})`

// TestBrowser opens report.html in headless Chromium, takes a screenshot,
// and checks that every group's charts rendered with something drawn in
// them, that the page logged no error, and that it fetched nothing but
// itself. Without Chromium it skips; .ci/run installs it.
func TestBrowser(t *testing.T) {
	exe := chromium()
	if exe == "" {
		t.Skip("no Chromium: install the Debian package chromium (apt-get install chromium) to run the browser test")
	}
	dir := *reportDir
	if dir == "" {
		dir = copyRun(t, "testdata/mini-3w")
		if _, err := Render(dir); err != nil {
			t.Fatal(err)
		}
	}
	run, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	url := "file://" + filepath.ToSlash(abs)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()

	var (
		mu       sync.Mutex
		problems []string
		requests []string
	)
	tctx, cancelTab := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg := "exception: " + e.ExceptionDetails.Text
			if ex := e.ExceptionDetails.Exception; ex != nil {
				msg += " " + ex.Description
			}
			problems = append(problems, msg)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
				problems = append(problems, fmt.Sprintf("console.%s", e.Type))
			}
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError {
				problems = append(problems, fmt.Sprintf("log %s: %s %s", e.Entry.Source, e.Entry.Text, e.Entry.URL))
			}
		case *network.EventRequestWillBeSent:
			requests = append(requests, e.Request.URL)
		}
	}))
	defer cancelTab()

	if err := chromedp.Do(tctx, chromedp.Navigate(url), chromedp.WaitReady("body")); err != nil {
		t.Fatalf("open %s in %s: %v", url, exe, err)
	}
	charts, err := chromedp.Run(tctx, chromedp.Evaluate[[]chartInfo](chartsJS))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "report.png")
	if *screenshot != "" {
		out = *screenshot
	}
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of %s: %s", url, out)

	// Every group has its four charts, laid out and drawn.
	byGroup := map[string]map[string]chartInfo{}
	for _, c := range charts {
		if byGroup[c.Group] == nil {
			byGroup[c.Group] = map[string]chartInfo{}
		}
		byGroup[c.Group][c.Chart] = c
	}
	for _, g := range run.Groups() {
		for _, kind := range []string{"backlog", "time-lag", "rates", "latency"} {
			c, ok := byGroup[g][kind]
			switch {
			case !ok:
				t.Errorf("%s: no %s chart", g, kind)
			case c.Width < 200 || c.Height < 100:
				t.Errorf("%s %s chart rendered %.0f×%.0f px, want a visible chart", g, kind, c.Width, c.Height)
			case c.Paths < 10 || c.Texts < 5:
				t.Errorf("%s %s chart has %d paths and %d texts: nothing drawn", g, kind, c.Paths, c.Texts)
			}
		}
		// The observed backlog is one point per (thinned) sample.
		if c := byGroup[g]["backlog"]; c.Paths < min(run.Series.Len(), maxPoints)/2 {
			t.Errorf("%s backlog chart has %d paths for %d samples", g, c.Paths, run.Series.Len())
		}
	}
	if c, ok := byGroup[""]["overview"]; !ok || c.Width < 200 || c.Paths < 10 {
		t.Errorf("overview chart: %+v", c)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(problems, "\n"))
	}
	for _, u := range requests {
		if u != url {
			t.Errorf("the page fetched %s: it must be self-contained", u)
		}
	}

	// The screenshot is a page with content, not a blank.
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	if f := inked(img); f < 0.02 {
		t.Errorf("screenshot is %.1f%% non-white: blank page?", 100*f)
	}
}

// inked returns the share of an image's pixels (sampled) that are not
// near white.
func inked(img image.Image) float64 {
	b := img.Bounds()
	var n, ink int
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			n++
			if r < 0xe000 || g < 0xe000 || bl < 0xe000 {
				ink++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(ink) / float64(n)
}
