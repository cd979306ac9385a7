package results

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/backlogbench/backlogbench/scenario"
)

// Data is what a run measured, as it is stored: the resolved scenario, the
// summary, the samples and the latency histograms. Reports are derived from
// it alone.
type Data struct {
	Scenario *scenario.Scenario
	Summary  Summary
	Samples  []Sample
	// Latency holds each group's end-to-end latency histogram, scenario
	// microseconds.
	Latency map[string]*LatencyHistogram
}

// DataFiles are the files Write stores, besides one <group>.hgrm and one
// <group>.hdr per group.
var DataFiles = []string{"scenario.yaml", "summary.json", "timeseries.csv"}

// Write stores a run's data in dir: scenario.yaml (the resolved scenario),
// summary.json, timeseries.csv, and per group <group>.hgrm (the latency
// percentiles, milliseconds, as hdrhistogram-go prints them) and
// <group>.hdr (the same histogram losslessly, in HdrHistogram's V2
// compressed encoding, base64, so runs can be merged and re-computed).
// It writes data only: the reports are rendered from these files.
func Write(dir string, d *Data) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results folder: %w", err)
	}
	y, err := d.Scenario.YAML()
	if err != nil {
		return fmt.Errorf("scenario.yaml: %w", err)
	}
	files := map[string][]byte{"scenario.yaml": y}
	sj, err := json.MarshalIndent(d.Summary, "", "  ")
	if err != nil {
		return fmt.Errorf("summary.json: %w", err)
	}
	files["summary.json"] = append(sj, '\n')
	var ts strings.Builder
	if err := WriteTimeseries(&ts, d.Scenario, d.Samples); err != nil {
		return fmt.Errorf("timeseries.csv: %w", err)
	}
	files["timeseries.csv"] = []byte(ts.String())
	for name, h := range d.Latency {
		var b strings.Builder
		var enc []byte
		if h != nil && h.Histogram != nil {
			// Values are scenario microseconds; print milliseconds.
			if _, err := h.PercentilesPrint(&b, 5, 1000); err != nil {
				return fmt.Errorf("%s.hgrm: %w", name, err)
			}
			if enc, err = h.Encode(hdrhistogram.V2CompressedEncodingCookieBase); err != nil {
				return fmt.Errorf("%s.hdr: %w", name, err)
			}
			enc = append(enc, '\n')
		}
		files[name+".hgrm"] = []byte(b.String())
		files[name+".hdr"] = enc
	}
	// summary.json last: a folder cut short by a kill holds no summary,
	// which report names, rather than a summary without its data.
	sum := files["summary.json"]
	delete(files, "summary.json")
	for name, data := range files {
		if err := WriteFile(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	return WriteFile(filepath.Join(dir, "summary.json"), sum)
}

// WriteTimeseries writes one CSV row per sample: the scenario time, per
// producer the events acked and the acked rate, and per group the unique
// events processed, the processed rate, the exact backlog, the predicted
// backlog, the offset lag (empty before the first reading), the time lag,
// the predicted time lag, the conditional prediction's backlog, the time
// lag from the committed offsets and the fluid FIFO's time lag. Producers
// and groups are in the scenario's name order, as in the samples.
func WriteTimeseries(w io.Writer, sc *scenario.Scenario, samples []Sample) error {
	cw := csv.NewWriter(w)
	prods := sc.ProducerNames()
	groups := sc.GroupNames()
	head := []string{"t_s"}
	for _, p := range prods {
		head = append(head, p+".acked", p+".acked_rate")
	}
	for _, g := range groups {
		head = append(head, g+".processed", g+".processed_rate", g+".backlog", g+".predicted_backlog", g+".offset_lag", g+".time_lag_s", g+".predicted_time_lag_s", g+".conditional_backlog",
			g+".commit_time_lag_s", g+".fifo_time_lag_s")
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	f := func(x float64, d int) string { return strconv.FormatFloat(x, 'f', d, 64) }
	i64 := func(x int64) string { return strconv.FormatInt(x, 10) }
	var prev *Sample
	for k := range samples {
		s := &samples[k]
		row := []string{f(s.T, 3)}
		dt := 0.0
		if prev != nil {
			dt = s.T - prev.T
		}
		rate := func(now, before int64) string {
			if prev == nil || dt <= 0 {
				return ""
			}
			return f(float64(now-before)/dt, 1)
		}
		for i := range prods {
			var before int64
			if prev != nil {
				before = prev.Acked[i]
			}
			row = append(row, i64(s.Acked[i]), rate(s.Acked[i], before))
		}
		for i := range groups {
			g := s.Groups[i]
			var before int64
			if prev != nil {
				before = prev.Groups[i].Processed
			}
			lag := ""
			if g.OffsetLag >= 0 {
				lag = i64(g.OffsetLag)
			}
			row = append(row, i64(g.Processed), rate(g.Processed, before), i64(g.Backlog), f(g.Predicted, 1), lag, f(g.TimeLag, 3), f(g.PredictedTimeLag, 3), f(g.Conditional, 1),
				f(g.CommitTimeLag, 3), f(g.FIFOTimeLag, 3))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
		prev = s
	}
	cw.Flush()
	return cw.Error()
}
