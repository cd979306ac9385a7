package scenario

import (
	"embed"
	"errors"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
)

//go:embed presets/*.yaml
var presets embed.FS

// PresetNames returns the names of the built-in presets, sorted.
func PresetNames() []string {
	entries, _ := fs.ReadDir(presets, "presets")
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !e.IsDir() {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// Preset returns the YAML of the built-in preset name, and whether there is
// one.
func Preset(name string) ([]byte, bool) {
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return nil, false
	}
	data, err := presets.ReadFile(path.Join("presets", name+".yaml"))
	if err != nil {
		return nil, false
	}
	return data, true
}

// Load returns the scenario arg names: the built-in preset of that name
// when there is one and no file of that name exists (its File is then
// "preset:NAME"), else the parsed file. A file that cannot be read is an
// error that wraps both the cause (fs.ErrNotExist, say) and ErrInvalid.
func Load(arg string) (*Scenario, error) {
	if data, ok := Preset(arg); ok {
		if _, err := os.Stat(arg); errors.Is(err, fs.ErrNotExist) {
			return Parse("preset:"+arg, data)
		}
	}
	data, err := os.ReadFile(arg)
	if err != nil {
		// "open scenario "x": no such file or directory" rather than
		// repeating the path the PathError holds.
		cause := err
		var pe *fs.PathError
		if errors.As(err, &pe) && pe.Path == arg {
			cause = pe.Err
		}
		return nil, &fileError{arg: arg, err: cause}
	}
	return Parse(arg, data)
}
