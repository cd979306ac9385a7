//go:build unix

package results

import (
	"path/filepath"

	"github.com/google/renameio/v2"
)

// WriteFile writes data to path through a temporary file beside it, synced
// and renamed over path: a reader, or a second Ctrl-C, sees the old file
// or the new one whole, never half of it.
func WriteFile(path string, data []byte) error {
	return renameio.WriteFile(path, data, 0o644, renameio.WithTempDir(filepath.Dir(path)))
}
