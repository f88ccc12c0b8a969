package scorers

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/deepctx/deepctx/eval"
)

// MatchSource reports whether the expected-source pattern matches the
// document path p. A pattern of k slash-separated segments is matched
// with path.Match against the last k segments of p, so "go_mem.html",
// "sync/atomic" and "doc/*.html" match whatever folder the corpus lives
// in. A path with fewer than k segments does not match. Backslashes in p
// are read as separators on Windows only (filepath.ToSlash); leading "./"
// and "/" of the pattern are ignored. A malformed pattern is an error
// (path.ErrBadPattern).
func MatchSource(pattern, p string) (bool, error) {
	pattern = strings.TrimLeft(strings.TrimPrefix(strings.TrimSpace(pattern), "./"), "/")
	pattern = strings.TrimRight(pattern, "/")
	p = strings.TrimRight(filepath.ToSlash(p), "/")
	if pattern == "" {
		return false, nil
	}
	if _, err := path.Match(pattern, ""); err != nil {
		return false, fmt.Errorf("scorers: expected source %q: %w", pattern, err)
	}
	k := strings.Count(pattern, "/") + 1
	segs := strings.Split(p, "/")
	if len(segs) < k || p == "" {
		return false, nil
	}
	return path.Match(pattern, strings.Join(segs[len(segs)-k:], "/"))
}

// scoreSourceRecall is source_recall: the share of the sample's expected
// sources that the report cites (some Output.Sources entry's Path, or its
// DocID when it has no path, matches the pattern; see MatchSource).
// Metadata: "cited" (pattern → the first path that matched) and
// "missed" patterns. Skipped without expected sources.
func scoreSourceRecall(_ context.Context, s eval.Sample, r eval.Result) (eval.Score, error) {
	if len(s.ExpectedSources) == 0 {
		return eval.Score{}, eval.Skip("the sample has no expected sources")
	}
	cited := map[string]string{}
	missed := []string{}
	for _, pat := range s.ExpectedSources {
		hit := ""
		for _, src := range r.Output.Sources {
			p := src.Path
			if p == "" {
				p = src.DocID
			}
			ok, err := MatchSource(pat, p)
			if err != nil {
				return eval.Score{}, err
			}
			if ok {
				hit = p
				break
			}
		}
		if hit != "" {
			cited[pat] = hit
		} else {
			missed = append(missed, pat)
		}
	}
	n := len(s.ExpectedSources)
	return eval.Score{
		Value:       float64(n-len(missed)) / float64(n),
		Explanation: fmt.Sprintf("%d of %d expected sources cited", n-len(missed), n),
		Metadata:    map[string]any{"cited": cited, "missed": missed},
	}, nil
}
