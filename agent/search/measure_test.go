package search

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// TestMeasureGoCorpus indexes $(go env GOROOT)/doc and the package docs
// of $(go env GOROOT)/src and logs the figures: indexing, re-indexing
// unchanged, opening, and search latency. Gated by DEEPCTX_MEASURE=1; it
// asserts nothing about time. DEEPCTX_MEASURE_DIR keeps the index in a
// given folder instead of a temporary one.
//
//	DEEPCTX_MEASURE=1 go test -run TestMeasureGoCorpus -v ./agent/search/
func TestMeasureGoCorpus(t *testing.T) {
	if os.Getenv("DEEPCTX_MEASURE") == "" {
		t.Skip("set DEEPCTX_MEASURE=1 to measure")
	}
	ctx := context.Background()
	goroot := runtime.GOROOT()
	dir := os.Getenv("DEEPCTX_MEASURE_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	ix, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	roots := []string{filepath.Join(goroot, "doc"), filepath.Join(goroot, "src")}
	st, err := ix.Add(ctx, roots...)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("index: seen %d, added %d, updated %d, unchanged %d, failed %d, chunks %d, bytes %d, in %v",
		st.Seen, st.Added, st.Updated, st.Unchanged, st.Failed, st.Chunks, st.Bytes, st.Duration)
	for _, e := range st.Errors {
		t.Logf("  skipped: %v", e)
	}
	info := ix.Stats()
	t.Logf("index: %d documents, %d passages, on disk %d bytes", info.Documents, info.Passages, dirSize(dir))

	st, err = ix.Add(ctx, roots...)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("re-index unchanged: unchanged %d, added %d, updated %d, removed %d, in %v", st.Unchanged, st.Added, st.Updated, st.Removed, st.Duration)
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	ix, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	t.Logf("open: %v (of which BM25 build %v)", time.Since(start), ix.Stats().LexiconBuild)

	queries := []string{"garbage collector", "ListenAndServe", "happens before memory model", "how to read a file line by line", "context cancellation deadline", "generic type parameters constraints"}
	for _, mode := range []Mode{Hybrid, Lexical, Vector} {
		start = time.Now()
		const rounds = 5
		for range rounds {
			for _, q := range queries {
				if _, err := ix.SearchWith(ctx, q, SearchOptions{K: 5, Mode: mode}); err != nil {
					t.Fatal(err)
				}
			}
		}
		t.Logf("search %v: %v per query", mode, time.Since(start)/time.Duration(rounds*len(queries)))
	}
	for _, q := range queries {
		hits, _ := ix.Search(ctx, q, 3)
		for _, h := range hits {
			t.Logf("%q -> [%s] %s — %s (%.4f)", q, h.Key(), h.Title, h.RelPath, h.Score)
		}
	}
}
