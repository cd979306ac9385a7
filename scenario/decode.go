package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The keys of each level of the format, in the order YAML writes them.
// (Keys reserved for a capability that has not landed yet go in a map
// passed to object as later: "not supported yet" beats "unknown key".)
var (
	scenarioKeys     = []string{"name", "description", "seed", "topics", "producers", "groups", "expect", "tolerance", "faults", "critical_path"}
	topicKeys        = []string{"partitions", "replication", "min_insync"}
	producerKeys     = []string{"topic", "event", "size", "phases", "resend", "idempotent", "keys"}
	ratePhaseKeys    = []string{"duration", "rate", "to"}
	groupKeys        = []string{"topics", "workers", "capacity", "phases", "dedup", "delivery", "service", "fetch"}
	faultKeys        = []string{"at", "for", "action", "group", "topic", "fraction"}
	faultActions     = []string{ProduceErrors, CrashWorker, AddWorker, RemoveWorker}
	capPhaseKeys     = []string{"duration", "capacity"}
	expectKeys       = []string{"events", "peak_backlog", "peak_at_s", "growth_rate", "drained_at_s"}
	events           = []string{"order", "click"}
	defaultSeed      = int64(1)
	defaultEvent     = "order"
	defaultSize      = 512
	defaultWorkers   = 1
	defaultTolerance = 0.02
)

// The bounds of a producer's payload size: the event's JSON fields need
// room, and Kafka's default maximum message size is about 1 MiB.
const (
	minSize = 256
	maxSize = 1 << 20
)

// Parse decodes a scenario from YAML, fills in its defaults and validates
// it; file names the source in messages and gives the default name (its
// base name without extension).
//
// Decoding is strict: unknown and duplicate keys, values of the wrong type,
// keys of capabilities that are not supported yet, and values out of range
// are all errors. Parse reports every problem it finds, sorted by line, as
// one error joined with errors.Join; each is an *Error with file, line and
// key path, and errors.Is(err, ErrInvalid) holds. Non-fatal remarks (more
// workers than partitions) go to the scenario's Warnings.
//
// The defaults are: seed 1, event "order", size 512, workers 1 and
// tolerance 2%.
func Parse(file string, data []byte) (*Scenario, error) {
	d := &decoder{file: file, lines: lines{}}
	var s *Scenario
	if root := d.document(data); root != nil {
		s = d.scenario(root)
	}
	if len(d.errs) > 0 {
		return nil, joinSorted(d.errs)
	}
	sort.SliceStable(d.warns, func(i, j int) bool { return d.warns[i].Line < d.warns[j].Line })
	for _, w := range d.warns {
		s.Warnings = append(s.Warnings, w.Error())
	}
	keepLines(s, d.lines)
	return s, nil
}

func joinSorted(list []*Error) error {
	sort.SliceStable(list, func(i, j int) bool { return list[i].Line < list[j].Line })
	errs := make([]error, len(list))
	for i, e := range list {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// decoder walks a YAML node tree against the schema, collecting errors and
// warnings, and the line of every key and list item it reads (for the
// checks that run after Parse, such as Limits).
type decoder struct {
	file  string
	errs  []*Error
	warns []*Error
	lines lines
}

func (d *decoder) errorf(line int, path, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) warnf(line int, path, format string, args ...any) {
	d.warns = append(d.warns, &Error{File: d.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

var yamlErrLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

// document returns the root mapping of the single YAML document in data,
// or nil after reporting why there is none.
func (d *decoder) document(data []byte) (root *yaml.Node) {
	defer func() {
		// yaml.v3 reports its own failures as errors; this is a last
		// line of defence so that bad input never crashes the caller.
		if r := recover(); r != nil {
			d.errorf(1, "", "invalid YAML: %v", r)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.errorf(1, "", "empty scenario: it needs topics, producers and groups")
		} else {
			d.yamlError(err)
		}
		return nil
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		d.errorf(max(next.Line, 1), "", "a scenario file holds one YAML document, found another")
		return nil
	} else if !errors.Is(err, io.EOF) {
		d.yamlError(err)
		return nil
	}
	if len(doc.Content) == 0 {
		d.errorf(1, "", "empty scenario: it needs topics, producers and groups")
		return nil
	}
	n := deref(doc.Content[0])
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		d.errorf(1, "", "empty scenario: it needs topics, producers and groups")
		return nil
	case n.Kind != yaml.MappingNode:
		d.errorf(1, "", "a scenario must be a mapping of keys (%s), got %s", strings.Join(scenarioKeys, ", "), describe(n))
		return nil
	}
	return n
}

// yamlError turns a yaml.v3 syntax error into an *Error, with the line
// yaml.v3 reports (line 1 when it reports none).
func (d *decoder) yamlError(err error) {
	msg := err.Error()
	line := 1
	if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
		if m[1] != "" {
			if l, err := strconv.Atoi(m[1]); err == nil && l > 0 {
				line = l
			}
		}
		msg = msg[len(m[0]):]
	}
	d.errorf(line, "", "invalid YAML: %s", msg)
}
