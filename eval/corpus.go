package eval

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/deepctx/deepctx/agent/research"
	"github.com/deepctx/deepctx/agent/research/verify"
	"github.com/deepctx/deepctx/agent/search"
)

// IndexResolver resolves citations against a corpus index: the passage a
// document ID and chunk name, or an error when it does not exist.
func IndexResolver(idx *search.Index) verify.Resolver {
	return research.Resolver(research.IndexCorpus(idx))
}

// Snapshots identifies each of roots in idx by a SHA-256 over the
// relative paths and content hashes of the documents indexed from it, so
// a log records exactly which corpus its scores are about.
func Snapshots(idx *search.Index, roots []string) []Snapshot {
	out := make([]Snapshot, 0, len(roots))
	docs := idx.Documents()
	for _, root := range roots {
		root = filepath.Clean(root)
		var lines []string
		s := Snapshot{Path: root}
		for _, d := range docs {
			if filepath.Clean(d.Root) != root {
				continue
			}
			s.Documents++
			s.Passages += len(d.Chunks)
			lines = append(lines, d.RelPath()+"\x00"+d.SHA256)
		}
		sort.Strings(lines)
		h := sha256.New()
		for _, l := range lines {
			fmt.Fprintf(h, "%s\n", l)
		}
		s.SHA256 = hex.EncodeToString(h.Sum(nil))
		out = append(out, s)
	}
	return out
}
