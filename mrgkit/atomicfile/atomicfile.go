// Package atomicfile is the kit's one way of writing a file that matters
// (annotations, vocabularies, run.json, evaluation results, figures, tables):
// the bytes go to a temporary file beside the target, which is synced,
// made 0644 and renamed over the target, and the directory is synced so the
// rename itself survives a crash. A reader sees the old file or the new one,
// never half of one. The target's directory is created when missing.
//
// google/renameio does the same; the kit keeps its own few lines to avoid a
// dependency, and because renameio leaves files 0600 unless told otherwise.
package atomicfile

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/pkg/errors"
)

// Perm is the mode of every file written here: as readable as one
// os.WriteFile makes under the usual umask.
const Perm = 0o644

// TempPrefix returns the prefix of the temporary files WriteFile leaves
// behind when a crash interrupts it, for a target named base: a run
// directory's clean-up removes them.
func TempPrefix(base string) string { return "." + base + ".tmp" }

// WriteFile writes data to path atomically (see the package comment).
// Errors name the path.
func WriteFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.Wrapf(err, "creating directory for %s", path)
	}
	f, err := os.CreateTemp(dir, TempPrefix(filepath.Base(path))+"*")
	if err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	tmp := f.Name()
	// CreateTemp makes 0600.
	werr := f.Chmod(Perm)
	if werr == nil {
		_, werr = f.Write(data)
	}
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return errors.Wrapf(werr, "writing %s", path)
	}
	if err := SyncDir(dir); err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	return nil
}

// WriteJSON writes v as JSON indented by two spaces, atomically.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return errors.Wrapf(err, "encoding %s", path)
	}
	return WriteFile(path, b)
}

// SyncDir flushes a directory's entries (a rename or a new file in it) to
// disk.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return errors.Wrapf(err, "syncing directory %s", dir)
	}
	return nil
}
