package search

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Files of an index directory. The manifest names the vectors file it
// goes with, so the pair always changes in one atomic step: a new
// vectors file is written first under a new generation number, then the
// manifest is replaced, then older vectors files are deleted.
const (
	manifestName   = "manifest.json"
	vectorsPrefix  = "vectors-"
	vectorsSuffix  = ".gob"
	manifestFormat = "deepctx-search/1"
)

// manifest is the index's catalogue, saved as manifest.json.
type manifest struct {
	Format       string     `json:"format"`
	Embedder     string     `json:"embedder"`
	ChunkSize    int        `json:"chunk_size"`
	ChunkOverlap int        `json:"chunk_overlap"`
	Generation   int64      `json:"generation"`
	Documents    []Document `json:"documents"`
}

func vectorsName(gen int64) string {
	return vectorsPrefix + strconv.FormatInt(gen, 10) + vectorsSuffix
}

// readManifest reads dir's manifest; a missing one reads as nil.
func readManifest(dir string) (*manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", manifestName, err)
	}
	return &m, nil
}

// writeAtomic writes a file through a temporary file in the same
// directory that is synced and renamed over name, so readers (and a
// process that crashed halfway) see either the old or the new content.
func writeAtomic(dir, name string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(dir, name+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	w := bufio.NewWriterSize(f, 1<<20)
	if err := write(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable, where the platform allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// writeManifest replaces dir's manifest atomically.
func writeManifest(dir string, m *manifest) error {
	return writeAtomic(dir, manifestName, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(m)
	})
}

// removeStale deletes vectors files of other generations than keep and
// temporary files left by a crash.
func removeStale(dir string, keep int64) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		stale := strings.HasSuffix(n, ".tmp") ||
			strings.HasPrefix(n, vectorsPrefix) && strings.HasSuffix(n, vectorsSuffix) && n != vectorsName(keep)
		if stale {
			os.Remove(filepath.Join(dir, n))
		}
	}
}
