package scenario

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestPresetNames(t *testing.T) {
	got := PresetNames()
	want := []string{"duplicates", "flash-sale", "hot-keys", "outage", "ramp", "random-service", "two-topics", "uneven"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PresetNames() = %q, want %q", got, want)
	}
	for _, name := range []string{"", "nope", "../decode", "presets/ramp", "."} {
		if _, ok := Preset(name); ok {
			t.Errorf("Preset(%q) found a preset", name)
		}
	}
}

// comparable returns s without the fields that depend on where it was read
// from.
func comparable(s *Scenario) Scenario {
	c := *s
	c.File, c.Warnings = "", nil
	return c
}

func TestPresets(t *testing.T) {
	tests := []struct {
		name     string
		warnings int
	}{
		{"flash-sale", 0},
		{"outage", 0},
		{"ramp", 1},
		{"two-topics", 0},
		{"uneven", 0},
		{"random-service", 0},
		{"hot-keys", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, ok := Preset(tt.name)
			if !ok {
				t.Fatalf("Preset(%q) not found", tt.name)
			}
			s, err := Parse("preset:"+tt.name, data)
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != tt.name || s.Description == "" {
				t.Errorf("name %q, description %q; want name %q and a description", s.Name, s.Description, tt.name)
			}
			if got := len(s.Warnings); got != tt.warnings {
				t.Errorf("warnings = %q, want %d", s.Warnings, tt.warnings)
			}
			out, err := s.YAML()
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse("round-trip.yaml", out)
			if err != nil {
				t.Fatalf("Parse(YAML()) failed: %v\n%s", err, out)
			}
			if got, want := comparable(back), comparable(s); !reflect.DeepEqual(got, want) {
				t.Errorf("Parse(YAML()) =\n%+v\nwant\n%+v\nYAML:\n%s", got, want, out)
			}
			again, err := back.YAML()
			if err != nil {
				t.Fatal(err)
			}
			if string(again) != string(out) {
				t.Errorf("YAML() is not stable:\n%s\nthen\n%s", out, again)
			}
		})
	}
}

func TestFlashSale(t *testing.T) {
	s, err := Load("flash-sale")
	if err != nil {
		t.Fatal(err)
	}
	a := s.Groups["analytics"]
	in := 0.0
	for _, p := range s.Inputs(a) {
		in += p.Rate(6 * 60)
	}
	if got, want := in-a.Capacity, 60.0; got != want {
		t.Errorf("analytics grows by %v/s at 6m, want %v", got, want)
	}
	if got, want := *s.Expect["analytics"].PeakBacklog, 18000.0; got != want {
		t.Errorf("expected peak backlog %v, want %v", got, want)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("mine.yaml", []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	// A file named like a preset wins over the preset.
	if err := os.WriteFile("ramp", []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		arg      string
		wantFile string
		wantName string
	}{
		{"flash-sale", "preset:flash-sale", "flash-sale"},
		{"outage", "preset:outage", "outage"},
		{"mine.yaml", "mine.yaml", "mine"},
		{"ramp", "ramp", "ramp"},
	}
	for _, tt := range tests {
		s, err := Load(tt.arg)
		if err != nil {
			t.Errorf("Load(%q): %v", tt.arg, err)
			continue
		}
		if s.File != tt.wantFile || s.Name != tt.wantName {
			t.Errorf("Load(%q) = file %q, name %q; want %q, %q", tt.arg, s.File, s.Name, tt.wantFile, tt.wantName)
		}
	}
	if s, _ := Load("ramp"); s != nil && len(s.Groups) != 1 {
		t.Errorf("Load(\"ramp\") read the preset, not the file")
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("topics: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		arg      string
		want     string
		notExist bool
	}{
		{missing, `open scenario "` + missing + `": no such file or directory`, true},
		{"flash-sal", `open scenario "flash-sal": no such file or directory (nor is it a preset: ` + strings.Join(PresetNames(), ", ") + `)`, true},
		{bad, bad + ":1: topics: must be a mapping, got 3", false},
	}
	for _, tt := range tests {
		s, err := Load(tt.arg)
		if err == nil {
			t.Errorf("Load(%q) = %v, nil; want an error", tt.arg, s.Name)
			continue
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Load(%q): errors.Is(%v, ErrInvalid) = false", tt.arg, err)
		}
		if got := errors.Is(err, fs.ErrNotExist); got != tt.notExist {
			t.Errorf("Load(%q): errors.Is(%v, fs.ErrNotExist) = %v, want %v", tt.arg, err, got, tt.notExist)
		}
		if got := strings.SplitN(err.Error(), "\n", 2)[0]; got != tt.want {
			t.Errorf("Load(%q) error = %q, want %q", tt.arg, got, tt.want)
		}
	}
}
