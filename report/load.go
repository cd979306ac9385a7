// Package report renders what a backlogbench run measured, from the files
// of its run folder alone: report.md, a self-contained report.html with
// charts, and backlog.png for READMEs and issues. It also compares runs side
// by side.
//
// Every report is a pure function of the stored results (summary.json,
// timeseries.csv, <group>.hgrm, scenario.yaml): rendering twice, or on
// another machine, gives the same bytes, so `backlogbench report DIR`
// reproduces what `run` wrote without a broker.
package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/backlogbench/backlogbench/bench"
	"github.com/backlogbench/backlogbench/scenario"
)

// ErrNotRun is returned when a folder holds no summary.json.
var ErrNotRun = errors.New("not a run folder")

// Run is a run folder's stored data: everything a report is derived from.
type Run struct {
	// Dir is the folder the run was loaded from.
	Dir string
	// Summary is summary.json.
	Summary bench.Summary
	// Series is timeseries.csv.
	Series *Series
	// Latency holds each group's latency percentiles from <group>.hgrm
	// (nil when the file is missing or empty).
	Latency map[string][]Percentile
	// ScenarioYAML is scenario.yaml as stored.
	ScenarioYAML []byte
	// Scenario is scenario.yaml parsed, or nil when it is missing or does not
	// parse.
	Scenario *scenario.Scenario
	// Problems lists what could not be read; reports show it.
	Problems []string

	// raw is summary.json decoded generically, so that figures this
	// version does not know (a delivery audit, say) are still shown.
	raw rawSummary
	// preds caches the model's predictions from Scenario, for a folder
	// without a stored predicted backlog.
	preds map[string]bench.GroupPrediction
}

// prediction returns the model's prediction for a group from the stored
// scenario (the current model's, which may differ from the run's).
func (r *Run) prediction(group string) (bench.GroupPrediction, bool) {
	if r.Scenario == nil {
		return bench.GroupPrediction{}, false
	}
	if r.preds == nil {
		r.preds = map[string]bench.GroupPrediction{}
		for _, p := range bench.Predict(r.Scenario) {
			r.preds[p.Name] = p
		}
	}
	p, ok := r.preds[group]
	return p, ok
}

type rawSummary struct {
	Groups map[string]rawGroup `json:"groups"`
}

type rawGroup struct {
	Predicted map[string]json.RawMessage `json:"predicted"`
	Observed  map[string]json.RawMessage `json:"observed"`
	Verdicts  map[string]string          `json:"verdicts"`
}

// Load reads a run folder. Only summary.json is required; a missing or
// unreadable timeseries, histogram or scenario is noted in Problems and
// the report shows what there is.
func Load(dir string) (*Run, error) {
	sj, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: no summary.json: %w", dir, ErrNotRun)
		}
		return nil, err
	}
	r := &Run{Dir: dir, Latency: map[string][]Percentile{}}
	if err := json.Unmarshal(sj, &r.Summary); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "summary.json"), err)
	}
	if err := json.Unmarshal(sj, &r.raw); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "summary.json"), err)
	}
	if f, err := os.Open(filepath.Join(dir, "timeseries.csv")); err != nil {
		r.problem("timeseries.csv: %v", short(err))
	} else {
		r.Series, err = ReadSeries(f)
		f.Close()
		if err != nil {
			r.problem("timeseries.csv: %v", err)
		}
	}
	if r.Series == nil {
		r.Series = &Series{index: map[string]int{}}
	}
	for _, g := range r.Groups() {
		b, err := os.ReadFile(filepath.Join(dir, g+".hgrm"))
		if err != nil {
			r.problem("%s.hgrm: %v", g, short(err))
			continue
		}
		ps, err := ParsePercentiles(bytes.NewReader(b))
		if err != nil {
			r.problem("%s.hgrm: %v", g, err)
		}
		r.Latency[g] = ps
	}
	r.ScenarioYAML, err = os.ReadFile(filepath.Join(dir, "scenario.yaml"))
	if err != nil {
		r.problem("scenario.yaml: %v", short(err))
	} else if sc, err := scenario.Parse("scenario.yaml", r.ScenarioYAML); err != nil {
		r.problem("%v", err)
	} else {
		r.Scenario = sc
	}
	return r, nil
}

// short drops the path from a file error, so that what a report says does
// not depend on where the run folder is.
func short(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return errors.New("missing")
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (r *Run) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// Groups returns the run's group names in order.
func (r *Run) Groups() []string { return sortedKeys(r.Summary.Groups) }

// Producers returns the run's producer names in order.
func (r *Run) Producers() []string { return sortedKeys(r.Summary.Producers) }

// Name returns the run's label: its folder's base name.
func (r *Run) Name() string { return filepath.Base(filepath.Clean(r.Dir)) }

// End returns the scenario time the charts cover: the last sample, or the
// predicted drain when that is later.
func (r *Run) End() float64 {
	end := 0.0
	if n := len(r.Series.T); n > 0 {
		end = r.Series.T[n-1]
	}
	for _, g := range r.Summary.Groups {
		if d := g.Predicted.DrainedAtS; d != nil {
			end = max(end, *d)
		}
	}
	if r.Scenario != nil {
		end = max(end, r.Scenario.End())
	}
	return end
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// Series is timeseries.csv: one row per sample, by column name. Unknown
// columns are kept; empty cells are NaN.
type Series struct {
	// Columns are the column names in file order.
	Columns []string
	// T is the scenario time of each row, seconds (column t_s).
	T     []float64
	index map[string]int
	cols  [][]float64
}

// ReadSeries reads timeseries.csv.
func ReadSeries(r io.Reader) (*Series, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	s := &Series{Columns: head, index: map[string]int{}, cols: make([][]float64, len(head))}
	for i, c := range head {
		s.index[c] = i
	}
	ti, ok := s.index["t_s"]
	if !ok {
		return nil, errors.New("no t_s column")
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return s, err
		}
		for i := range head {
			v := math.NaN()
			if i < len(rec) && rec[i] != "" {
				if v, err = strconv.ParseFloat(rec[i], 64); err != nil {
					return s, fmt.Errorf("line %d: %s: %w", line, head[i], err)
				}
			}
			s.cols[i] = append(s.cols[i], v)
		}
	}
	s.T = s.cols[ti]
	return s, nil
}

// Column returns the named column, and false when there is none.
func (s *Series) Column(name string) ([]float64, bool) {
	i, ok := s.index[name]
	if !ok {
		return nil, false
	}
	return s.cols[i], true
}

// Len returns the number of rows.
func (s *Series) Len() int { return len(s.T) }

// Percentile is one line of an HdrHistogram percentile file.
type Percentile struct {
	// ValueMs is the latency at the quantile, scenario milliseconds.
	ValueMs float64
	// Quantile is in [0, 1].
	Quantile float64
	// Count is the number of values at or below ValueMs.
	Count int64
}

// ParsePercentiles reads an HdrHistogram percentile file (.hgrm, as
// hdrhistogram-go's PercentilesPrint writes it): header and "#[" lines are
// skipped.
func ParsePercentiles(r io.Reader) ([]Percentile, error) {
	var out []Percentile
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || strings.HasPrefix(f[0], "#") {
			continue
		}
		v, err1 := strconv.ParseFloat(f[0], 64)
		q, err2 := strconv.ParseFloat(f[1], 64)
		n, err3 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			continue // the header line
		}
		out = append(out, Percentile{ValueMs: v, Quantile: q, Count: n})
	}
	return out, sc.Err()
}

// deliveryKeys are shown first, in this order, among a group's delivery
// figures; any other figure summary.json holds follows in name order.
var deliveryKeys = []string{"delivered", "unique", "duplicates_delivered", "duplicates_suppressed", "applied_twice", "lost", "out_of_order", "redelivered"}

// headlineKeys are the figures shown elsewhere (the predicted-versus-
// observed table, the latency and lag tables), not among delivery figures.
var headlineKeys = map[string]bool{
	"events": true, "peak_backlog": true, "peak_at_s": true, "growth_rate": true, "drained_at_s": true,
	"latency_ms": true, "max_offset_lag": true, "max_time_lag_s": true,
}

// predictedAs names, for an observed delivery figure, the predicted
// figures it is judged against: exactly, or at most (a "_max" key).
var predictedAs = map[string][]string{"duplicates_delivered": {"duplicates", "duplicates_max"}}

// Delivery is one delivery-audit figure of a group.
type Delivery struct {
	Key string
	// Predicted and Observed are nil when summary.json has no such figure.
	Predicted, Observed *float64
	// AtMost marks Predicted as an upper bound.
	AtMost bool
	// Verdict is the verdict under the same key, if any.
	Verdict string
}

// Delivery returns the group's delivery-audit figures: every number in its
// observed or predicted figures (nested objects flattened with dots) that
// is not a headline figure. It is data-driven, so fields added to
// summary.json later show without a change here.
func (r *Run) Delivery(group string) []Delivery {
	g, ok := r.raw.Groups[group]
	if !ok {
		return nil
	}
	obs, pred := flatten(g.Observed), flatten(g.Predicted)
	used := map[string]bool{} // predicted keys shown beside an observed one
	for k, alts := range predictedAs {
		if _, ok := obs[k]; ok {
			for _, a := range alts {
				used[a] = true
			}
		}
	}
	seen := map[string]bool{}
	var keys []string
	add := func(k string) {
		if !seen[k] && !headlineKeys[strings.SplitN(k, ".", 2)[0]] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, k := range deliveryKeys {
		if _, ok := obs[k]; ok {
			add(k)
		} else if _, ok := pred[k]; ok && !used[k] {
			add(k)
		}
	}
	for _, k := range sortedKeys(obs) {
		add(k)
	}
	for _, k := range sortedKeys(pred) {
		if !used[k] {
			add(k)
		}
	}
	out := make([]Delivery, 0, len(keys))
	for _, k := range keys {
		d := Delivery{Key: k, Verdict: g.Verdicts[k]}
		if v, ok := obs[k]; ok {
			d.Observed = &v
		}
		if v, ok := pred[k]; ok {
			d.Predicted = &v
		}
		for _, a := range predictedAs[k] {
			if v, ok := pred[a]; ok && d.Predicted == nil {
				d.Predicted, d.AtMost = &v, strings.HasSuffix(a, "_max")
			}
		}
		out = append(out, d)
	}
	return out
}

// flatten returns the numbers of a JSON object by key, nested objects'
// keys joined with dots; other values are left out.
func flatten(m map[string]json.RawMessage) map[string]float64 {
	out := map[string]float64{}
	var walk func(prefix string, m map[string]json.RawMessage)
	walk = func(prefix string, m map[string]json.RawMessage) {
		for k, raw := range m {
			var f float64
			if json.Unmarshal(raw, &f) == nil {
				out[prefix+k] = f
				continue
			}
			var sub map[string]json.RawMessage
			if json.Unmarshal(raw, &sub) == nil {
				walk(prefix+k+".", sub)
			}
		}
	}
	walk("", m)
	return out
}
