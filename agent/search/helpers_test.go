package search

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// writeFiles creates files under dir: path (slash-separated) -> content.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

// openIndex opens an index in a fresh temporary folder and closes it
// when the test ends.
func openIndex(t *testing.T, opts Options) (*Index, string) {
	t.Helper()
	dir := t.TempDir()
	ix, err := Open(dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { ix.Close() })
	return ix, dir
}

// corpus is a small corpus of three kinds of document.
var corpus = map[string]string{
	"gc.md": "# Garbage collection\n\nThe garbage collector reclaims memory that is no longer reachable.\n\n" +
		"## Tuning\n\nGOGC sets the collector's target heap growth.\n",
	"sched.txt": "The scheduler multiplexes goroutines onto operating system threads.\n\nIt preempts long-running goroutines.\n",
	"mem.html": `<!--{ "Title": "The Go Memory Model" }-->
<nav>Home | Docs</nav>
<h2>Introduction</h2>
<p>The memory model specifies when a read can observe a write in another goroutine.</p>
<script>var tracking = "zzzscript";</script>`,
}

// keys returns the keys of hits.
func keys(hits []Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Key().String()
	}
	return out
}

var bg = context.Background()
