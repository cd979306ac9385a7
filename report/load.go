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
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/backlogbench/backlogbench/predict"
	"github.com/backlogbench/backlogbench/results"
)

// ErrNotRun is returned when a folder holds no summary.json.
var ErrNotRun = results.ErrNotRun

// Run is a run folder's stored data (see results.Folder), with what the
// reports derive from it.
type Run struct {
	*results.Folder

	// raw is summary.json decoded generically, so that figures this
	// version does not know (a delivery audit, say) are still shown.
	raw rawSummary
	// preds caches the model's predictions from Scenario, for a folder
	// without a stored predicted backlog.
	preds map[string]predict.GroupPrediction
}

// prediction returns the model's prediction for a group from the stored
// scenario (the current model's, which may differ from the run's).
func (r *Run) prediction(group string) (predict.GroupPrediction, bool) {
	if r.Scenario == nil {
		return predict.GroupPrediction{}, false
	}
	if r.preds == nil {
		r.preds = map[string]predict.GroupPrediction{}
		for _, p := range predict.Predict(r.Scenario) {
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

// Load reads a run folder (see results.Read). Only summary.json is
// required; a missing or unreadable timeseries, histogram or scenario is
// noted in Problems and the report shows what there is.
func Load(dir string) (*Run, error) {
	f, err := results.Read(dir)
	if err != nil {
		return nil, err
	}
	r := &Run{Folder: f}
	if err := json.Unmarshal(f.SummaryJSON, &r.raw); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "summary.json"), err)
	}
	return r, nil
}

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

// deliveryKeys are shown first, in this order, among a group's delivery
// figures; any other figure summary.json holds follows in name order.
var deliveryKeys = []string{"delivered", "unique", "duplicates_delivered", "duplicates_suppressed", "applied_twice", "lost", "out_of_order", "redelivered"}

// headlineKeys are the figures shown elsewhere (the predicted-versus-
// observed table, the latency and lag tables), not among delivery figures.
var headlineKeys = map[string]bool{
	"events": true, "peak_backlog": true, "peak_at_s": true, "growth_rate": true, "drained_at_s": true,
	"latency_ms": true, "max_offset_lag": true, "max_time_lag_s": true, "conditional": true,
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
