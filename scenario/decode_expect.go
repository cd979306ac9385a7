package scenario

import "go.yaml.in/yaml/v3"

// expects decodes the top-level expect: a mapping of group name to that
// group's expected figures. It returns nil for an empty mapping, and the
// group names as references for the caller to check once every group is
// known.
func (d *decoder) expects(n *yaml.Node, path string) (map[string]Expect, []ref) {
	out := map[string]Expect{}
	var refs []ref
	ps, _ := d.pairs(n, path)
	for _, e := range ps {
		epath := join(path, e.key)
		out[e.key] = d.expect(e, epath)
		refs = append(refs, ref{name: e.key, n: e.k, path: epath})
	}
	if len(out) == 0 {
		out = nil
	}
	return out, refs
}

// expect decodes one group's expected figures, each a number ≥ 0.
func (d *decoder) expect(e pair, path string) Expect {
	var x Expect
	m, ok := d.object(e.v, path, expectKeys, nil)
	if !ok {
		return x
	}
	fields := []**float64{&x.Events, &x.PeakBacklog, &x.PeakAtS, &x.GrowthRate, &x.DrainedAtS}
	for i, key := range expectKeys {
		dst := fields[i]
		if f, ok := m[key]; ok {
			if v, ok := d.nonNegative(f.v, join(path, key)); ok {
				*dst = &v
			}
		}
	}
	return x
}
