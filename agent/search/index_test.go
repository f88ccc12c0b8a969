package search

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAddIndexesKindsAndTitles(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, corpus)
	writeFiles(t, src, map[string]string{
		"notes/README":        "no extension: skipped",
		".hidden/secret.md":   "# Hidden",
		"testdata/x.md":       "# Test data",
		"_draft/y.md":         "# Draft",
		"image.png":           "not text",
		"notes/deep/plan.rst": "Plan\n====\n\nThe plan.",
	})
	ix, _ := openIndex(t, Options{})
	st, err := ix.Add(bg, src)
	require.NoError(t, err)
	assert.Equal(t, Stats{Seen: 4, Added: 4, Chunks: st.Chunks, Bytes: st.Bytes, Duration: st.Duration}, st)
	assert.Positive(t, st.Chunks)

	titles := map[string]string{}
	for _, d := range ix.Documents() {
		titles[d.RelPath()] = d.Title + " (" + d.Kind + ")"
		assert.Equal(t, DocID(d.Path), d.ID)
		assert.Len(t, d.SHA256, 64)
	}
	assert.Equal(t, map[string]string{
		"gc.md":               "Garbage collection (markdown)",
		"sched.txt":           "sched.txt (text)",
		"mem.html":            "The Go Memory Model (html)",
		"notes/deep/plan.rst": "plan.rst (text)",
	}, titles)

	hits, err := ix.Search(bg, "zzzscript", 5)
	require.NoError(t, err)
	assert.Empty(t, hits, "script content is not indexed")

	hits, err = ix.Search(bg, "garbage collector", 1)
	require.NoError(t, err)
	require.Len(t, hits, 1)
	h := hits[0]
	assert.Equal(t, "Garbage collection", h.Title)
	assert.Equal(t, filepath.Join(src, "gc.md"), h.Path)
	raw, err := os.ReadFile(h.Path)
	require.NoError(t, err)
	assert.Equal(t, h.Text, string(raw[h.Start:h.End]), "offsets point into the Markdown text")
	p, err := ix.Passage(h.Key())
	require.NoError(t, err)
	assert.Equal(t, h.Text, p)
}

func TestReindexSkipsUpdatesRemoves(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, corpus)
	ix, dir := openIndex(t, Options{})
	_, err := ix.Add(bg, src)
	require.NoError(t, err)

	st, err := ix.Add(bg, src)
	require.NoError(t, err)
	assert.Equal(t, 3, st.Unchanged)
	assert.Zero(t, st.Added+st.Updated+st.Removed+st.Chunks)
	gen := ix.gen

	st, err = ix.Add(bg, src)
	require.NoError(t, err)
	assert.Equal(t, gen, ix.gen, "an unchanged re-index writes nothing")

	// Change one file, delete another, add a third.
	writeFiles(t, src, map[string]string{
		"sched.txt": strings.Repeat("The scheduler now uses quokka work stealing. ", 60),
		"new.md":    "# New\n\nFresh content.",
	})
	require.NoError(t, os.Remove(filepath.Join(src, "mem.html")))
	st, err = ix.Add(bg, src)
	require.NoError(t, err)
	assert.Equal(t, Stats{Seen: 3, Added: 1, Updated: 1, Unchanged: 1, Removed: 1, Chunks: st.Chunks, Bytes: st.Bytes, Duration: st.Duration}, st)
	assert.Equal(t, 3, ix.Len())

	_, err = ix.Document(DocID(filepath.Join(src, "mem.html")))
	assert.ErrorIs(t, err, ErrNotFound)
	hits, err := ix.Search(bg, "memory model goroutine read write", 10)
	require.NoError(t, err)
	for _, h := range hits {
		assert.NotEqual(t, "The Go Memory Model", h.Title, "removed documents are not found")
	}
	hits, err = ix.Search(bg, "preempts", 5)
	require.NoError(t, err)
	assert.Empty(t, hits, "the old version's passages are gone")
	sched, err := ix.Document(DocID(filepath.Join(src, "sched.txt")))
	require.NoError(t, err)
	assert.Greater(t, len(sched.Chunks), 1)
	_, err = ix.Passage(Key{sched.ID, len(sched.Chunks)})
	assert.ErrorIs(t, err, ErrNotFound)
	hits, err = ix.Search(bg, "quokka", 1)
	require.NoError(t, err)
	require.Len(t, hits, 1)
	assert.Equal(t, sched.ID, hits[0].DocID)

	// Adding a sub-folder removes nothing outside it; a single file works.
	st, err = ix.Add(bg, filepath.Join(src, "gc.md"))
	require.NoError(t, err)
	assert.Equal(t, 1, st.Unchanged)
	assert.Zero(t, st.Removed)

	// The index on disk is the index in memory.
	require.NoError(t, ix.Close())
	re, err := Open(dir, Options{})
	require.NoError(t, err)
	defer re.Close()
	assert.Equal(t, 3, re.Len())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{manifestName, vectorsName(re.gen)}, names, "no stale vectors or temporary files")
}

func TestAddMissingRootFails(t *testing.T) {
	ix, _ := openIndex(t, Options{})
	_, err := ix.Add(bg, filepath.Join(t.TempDir(), "nope"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "search: add")
	_, err = ix.Add(bg, filepath.Join(t.TempDir()))
	require.NoError(t, err)
}

func TestReopenGivesIdenticalResults(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, corpus)
	ix, dir := openIndex(t, Options{ChunkSize: 120, ChunkOverlap: 20})
	_, err := ix.Add(bg, src)
	require.NoError(t, err)
	queries := []string{"garbage collector", "goroutine", "memory model read write", "heap growth GOGC", "threads"}
	before := map[string][]Hit{}
	for _, q := range queries {
		before[q], err = ix.Search(bg, q, 5)
		require.NoError(t, err)
		require.NotEmpty(t, before[q], q)
	}
	docs := ix.Documents()
	require.NoError(t, ix.Close())
	_, err = ix.Search(bg, "x", 1)
	assert.ErrorIs(t, err, ErrClosed)

	re, err := Open(dir, Options{ChunkSize: 120, ChunkOverlap: 20})
	require.NoError(t, err)
	defer re.Close()
	assert.Equal(t, docs, re.Documents())
	for _, q := range queries {
		got, err := re.Search(bg, q, 5)
		require.NoError(t, err)
		assert.Equal(t, before[q], got, q)
	}
}

func TestOpenRefusesOtherEmbedder(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, corpus)
	ix, dir := openIndex(t, Options{})
	_, err := ix.Add(bg, src)
	require.NoError(t, err)
	require.NoError(t, ix.Close())

	_, err = Open(dir, Options{Embedder: HashEmbedder(64)})
	require.ErrorIs(t, err, ErrEmbedderMismatch)
	assert.Contains(t, err.Error(), `"hash-v1-1024"`)
	assert.Contains(t, err.Error(), `"hash-v1-64"`)

	re, err := Open(dir, Options{Embedder: HashEmbedder(64), Rebuild: true})
	require.NoError(t, err)
	defer re.Close()
	assert.Zero(t, re.Len(), "rebuild starts empty")
	st, err := re.Add(bg, src)
	require.NoError(t, err)
	assert.Equal(t, 3, st.Added)
}

func TestChangedChunkingReindexes(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, corpus)
	ix, dir := openIndex(t, Options{})
	_, err := ix.Add(bg, src)
	require.NoError(t, err)
	require.NoError(t, ix.Close())
	re, err := Open(dir, Options{ChunkSize: 50, ChunkOverlap: 5})
	require.NoError(t, err)
	defer re.Close()
	assert.Equal(t, 3, re.Len(), "still searchable")
	st, err := re.Add(bg, src)
	require.NoError(t, err)
	assert.Equal(t, 3, st.Updated)
}

func TestAddCancelledKeepsFinishedFiles(t *testing.T) {
	src := t.TempDir()
	files := map[string]string{}
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		files[n+".md"] = "# Doc " + n + "\n\nAbout " + n + " and more."
	}
	writeFiles(t, src, files)
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	var reports []Progress
	ix, dir := openIndex(t, Options{Workers: 1, Progress: func(p Progress) {
		reports = append(reports, p)
		if p.Done == 2 {
			cancel()
		}
	}})
	st, err := ix.Add(ctx, src)
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "interrupted")
	require.NotEmpty(t, reports)
	assert.Equal(t, 8, reports[0].Total)
	assert.GreaterOrEqual(t, st.Added, 2)
	assert.Less(t, st.Added, 8)
	assert.Equal(t, st.Added, ix.Len())

	// The saved index holds exactly the finished documents.
	require.NoError(t, ix.Close())
	re, err := Open(dir, Options{})
	require.NoError(t, err)
	defer re.Close()
	assert.Equal(t, st.Added, re.Len())
	for _, d := range re.Documents() {
		_, err := re.Passage(Key{d.ID, 0})
		assert.NoError(t, err)
	}
	st2, err := re.Add(bg, src)
	require.NoError(t, err)
	assert.Equal(t, st.Added, st2.Unchanged)
	assert.Equal(t, 8-st.Added, st2.Added)
}

func TestAddStopsOnEmbedderFailure(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, corpus)
	boom := errors.New("boom")
	ix, _ := openIndex(t, Options{Embedder: EmbedFunc("failing", func(context.Context, string) ([]float32, error) { return nil, boom })})
	_, err := ix.Add(bg, src)
	require.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), "failing")
	assert.Zero(t, ix.Len())
}

func TestGoPackageDocs(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, map[string]string{
		"go.mod": "module example.com/demo\n\ngo 1.22\n",
		"widget/doc.go": `// Package widget makes widgets.
//
// A widget is a frobnicated gadget.
package widget

// MaxSize is the largest widget.
const MaxSize = 10

// Widget is a thing.
type Widget struct {
	// Name names it.
	Name string
	secret int
}

// New returns a Widget named name.
func New(name string) *Widget { return &Widget{Name: name} }

// Spin spins w.
func (w *Widget) Spin() error { return nil }

func hidden() {}
`,
		"widget/widget_test.go":  "package widget\n\n// TestOnly is in a test.\nfunc TestOnly() {}\n",
		"widget/ignored.go":      "//go:build ignore\n\npackage main\n\n// Ignored is not built.\nfunc Ignored() {}\n",
		"widget/broken.go":       "package widget\n\nfunc Broken( {\n",
		"widget/internal/x/x.go": "// Package x is internal.\npackage x\n",
		"widget/testdata/t.go":   "package t\n",
		"cmd/tool/main.go":       "// Tool does things.\npackage main\n\nfunc main() {}\n",
	})
	ix, _ := openIndex(t, Options{})
	st, err := ix.Add(bg, src)
	require.NoError(t, err)
	assert.Equal(t, 2, st.Added)
	assert.Equal(t, 1, st.Failed, "the broken file is skipped and counted")
	require.Len(t, st.Errors, 1)
	assert.Contains(t, st.Errors[0].Error(), "broken.go")

	var w Document
	titles := []string{}
	for _, d := range ix.Documents() {
		titles = append(titles, d.Title)
		if d.Title == "package example.com/demo/widget" {
			w = d
		}
	}
	assert.ElementsMatch(t, []string{"package example.com/demo/widget", "package example.com/demo/cmd/tool"}, titles)
	require.Equal(t, KindGo, w.Kind)
	assert.Equal(t, filepath.Join(src, "widget"), w.Path)
	var text strings.Builder
	for c := range w.Chunks {
		p, err := ix.Passage(Key{w.ID, c})
		require.NoError(t, err)
		text.WriteString(p + "\n")
	}
	got := text.String()
	for _, want := range []string{
		`package widget // import "example.com/demo/widget"`,
		"Package widget makes widgets.",
		"const MaxSize = 10",
		"    MaxSize is the largest widget.",
		"type Widget struct {",
		"// Name names it.",
		"func New(name string) *Widget",
		"    New returns a Widget named name.",
		"func (w *Widget) Spin() error",
	} {
		assert.Contains(t, got, want)
	}
	for _, absent := range []string{"hidden", "secret", "TestOnly", "Ignored", "return &Widget", "internal"} {
		assert.NotContains(t, got, absent)
	}

	// Unchanged packages are skipped; a doc change re-indexes.
	st, err = ix.Add(bg, src)
	require.NoError(t, err)
	assert.Equal(t, 2, st.Unchanged)
	writeFiles(t, src, map[string]string{"widget/more.go": "package widget\n\n// Extra is new.\nfunc Extra() {}\n"})
	st, err = ix.Add(bg, src)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Updated)
	hits, err := ix.SearchWith(bg, "Extra", SearchOptions{Mode: Lexical})
	require.NoError(t, err)
	require.NotEmpty(t, hits)
	assert.Equal(t, w.ID, hits[0].DocID)
}

// vocabEmbedder is a stand-in for a semantic model: it maps known words
// to dimensions, synonyms to the same one, and is blind to every other
// word, as a model is to a rare identifier it never saw.
type vocabEmbedder map[string]int

func (v vocabEmbedder) Name() string { return "vocab-test" }

func (v vocabEmbedder) Embed(_ context.Context, text string) ([]float32, error) {
	vec := make([]float32, 8)
	vec[7] = 0.01 // never the zero vector
	for _, w := range tokens(text) {
		if i, ok := v[w]; ok {
			vec[i]++
		}
	}
	return vec, nil
}

func TestHybridBeatsVectorOnRareTerm(t *testing.T) {
	src := t.TempDir()
	writeFiles(t, src, map[string]string{
		"network.txt": "Network latency grows under load.",
		"lag.txt":     "Lag and latency, measured.",
		"rare.txt":    "Set XK42QZ to lower the delay of the cache warmup.",
		"other.txt":   "Nothing about it.",
	})
	emb := vocabEmbedder{"latency": 0, "delay": 0, "lag": 0, "cache": 1, "network": 2, "load": 3}
	ix, _ := openIndex(t, Options{Embedder: emb})
	_, err := ix.Add(bg, src)
	require.NoError(t, err)
	rare := DocID(filepath.Join(src, "rare.txt"))
	q := "XK42QZ delay"

	vec, err := ix.SearchWith(bg, q, SearchOptions{K: 1, Mode: Vector})
	require.NoError(t, err)
	require.Len(t, vec, 1)
	assert.Equal(t, DocID(filepath.Join(src, "lag.txt")), vec[0].DocID, "vector search prefers the synonym-dense passage")

	hyb, err := ix.Search(bg, q, 1)
	require.NoError(t, err)
	require.Len(t, hyb, 1)
	assert.Equal(t, rare, hyb[0].DocID, "hybrid search puts the exact rare term first")
	assert.InDelta(t, 1.0/61+1.0/62, hyb[0].Score, 1e-9, "BM25 rank 1 + vector rank 2")

	_, err = ix.SearchWith(bg, q, SearchOptions{Mode: Mode(9)})
	assert.Error(t, err)
	none, err := ix.Search(bg, "   ", 3)
	require.NoError(t, err)
	assert.Empty(t, none)
}
