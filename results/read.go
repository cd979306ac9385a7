package results

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

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/backlogbench/backlogbench/scenario"
)

// ErrNotRun is returned when a folder holds no summary.json.
var ErrNotRun = errors.New("not a run folder")

// Folder is a run folder's stored data, as Read loads it.
type Folder struct {
	// Dir is the folder the run was loaded from.
	Dir string
	// Summary is summary.json.
	Summary Summary
	// SummaryJSON is summary.json as stored, for readers that want the
	// figures this version does not know.
	SummaryJSON []byte
	// Series is timeseries.csv.
	Series *Series
	// Latency holds each group's latency percentiles from <group>.hgrm
	// (nil when the file is missing or empty).
	Latency map[string][]Percentile
	// Histograms holds each group's lossless latency histogram from
	// <group>.hdr, scenario microseconds; runs written before the
	// encoding was stored have none.
	Histograms map[string]*hdrhistogram.Histogram
	// ScenarioYAML is scenario.yaml as stored.
	ScenarioYAML []byte
	// Scenario is scenario.yaml parsed, or nil when it is missing or does not
	// parse.
	Scenario *scenario.Scenario
	// Problems lists what could not be read; reports show it.
	Problems []string
}

// Read loads a run folder. Only summary.json is required; a missing or
// unreadable timeseries, histogram or scenario is noted in Problems, so a
// report shows what there is.
func Read(dir string) (*Folder, error) {
	sj, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: no summary.json: %w", dir, ErrNotRun)
		}
		return nil, err
	}
	r := &Folder{Dir: dir, SummaryJSON: sj, Latency: map[string][]Percentile{}, Histograms: map[string]*hdrhistogram.Histogram{}}
	if err := json.Unmarshal(sj, &r.Summary); err != nil {
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
		// The lossless histogram is optional: older runs lack it.
		if b, err := os.ReadFile(filepath.Join(dir, g+".hdr")); err == nil && len(bytes.TrimSpace(b)) > 0 {
			h, err := hdrhistogram.Decode(bytes.TrimSpace(b))
			if err != nil {
				r.problem("%s.hdr: %v", g, err)
			} else {
				r.Histograms[g] = h
			}
		}
	}
	if r.Summary.Scenario == "" || len(r.Summary.Groups) == 0 {
		r.problem("summary.json: no scenario name or no groups (an empty or foreign summary?)")
	}
	r.ScenarioYAML, err = os.ReadFile(filepath.Join(dir, "scenario.yaml"))
	if err != nil {
		r.problem("scenario.yaml: %v", short(err))
	} else if sc, err := scenario.Parse("scenario.yaml", r.ScenarioYAML); err != nil {
		r.problem("%v", err)
	} else {
		r.Scenario = sc
		if got, want := r.Groups(), sc.GroupNames(); !slices.Equal(got, want) {
			r.problem("summary.json holds groups %v, scenario.yaml %v: not the same run", got, want)
		}
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

func (r *Folder) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// Groups returns the run's group names in order.
func (r *Folder) Groups() []string { return slices.Sorted(maps.Keys(r.Summary.Groups)) }

// Producers returns the run's producer names in order.
func (r *Folder) Producers() []string { return slices.Sorted(maps.Keys(r.Summary.Producers)) }

// Name returns the run's label: its folder's base name.
func (r *Folder) Name() string { return filepath.Base(filepath.Clean(r.Dir)) }

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
		if len(rec) < len(head) {
			return s, fmt.Errorf("line %d: cut short: %d of %d fields (a truncated file?)", line, len(rec), len(head))
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

// Drop removes the named column, as if the file never had it (readers of
// older runs fall back to what they derive instead).
func (s *Series) Drop(name string) { delete(s.index, name) }
