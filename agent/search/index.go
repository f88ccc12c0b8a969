package search

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/philippgille/chromem-go"
)

// collectionName is the chromem-go collection holding the passages.
const collectionName = "passages"

// Index is a hybrid (BM25 + vector) search index over a local corpus,
// persisted in a directory. Search, Document and Passage may be called
// concurrently with each other and with Add; one Add runs at a time.
type Index struct {
	dir     string
	opts    Options
	chunker chunker

	addMu sync.Mutex // held by Add and Close

	mu     sync.RWMutex // guards everything below
	closed bool
	db     *chromem.DB
	col    *chromem.Collection
	docs   map[string]*Document
	lex    *bm25
	gen    int64
	dirty  bool // changed since the last save
	// lexBuild is how long Open took to build the BM25 index.
	lexBuild time.Duration
}

// IndexStats describes an open index.
type IndexStats struct {
	// Dir is the index's directory.
	Dir string
	// Documents and Passages count what the index holds.
	Documents, Passages int
	// Embedder is the Name of the index's embedder.
	Embedder string
	// LexiconBuild is how long Open took to build the in-memory BM25
	// index from the stored passages.
	LexiconBuild time.Duration
}

// Open opens the index stored in dir, creating dir and an empty index if
// there is none. The stored vectors and passages are loaded into memory
// and the BM25 index is built from the passages.
//
// An index built with an embedder of another Name, or by an
// incompatible version of this package, is refused with an error
// wrapping ErrEmbedderMismatch unless opts.Rebuild is set, in which case
// it is discarded (the next Add indexes everything again). An index
// built with other chunk sizes opens normally; Add re-chunks each
// document the next time it sees it.
func Open(dir string, opts Options) (*Index, error) {
	opts = opts.withDefaults()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("search: open %s: %w", dir, err)
	}
	ix := &Index{
		dir:     dir,
		opts:    opts,
		chunker: newChunker(opts.ChunkSize, opts.ChunkOverlap),
		db:      chromem.NewDB(),
		docs:    map[string]*Document{},
		lex:     newBM25(),
	}
	m, err := readManifest(dir)
	if err != nil {
		return nil, fmt.Errorf("search: open %s: %w", dir, err)
	}
	if m != nil && (m.Format != manifestFormat || m.Embedder != opts.Embedder.Name()) {
		if !opts.Rebuild {
			if m.Format != manifestFormat {
				return nil, fmt.Errorf("%w: %s has format %q, this version reads %q; open with Options.Rebuild to start over", ErrEmbedderMismatch, dir, m.Format, manifestFormat)
			}
			return nil, fmt.Errorf("%w: %s was built with %q, not %q; open with that embedder, or with Options.Rebuild to re-embed everything", ErrEmbedderMismatch, dir, m.Embedder, opts.Embedder.Name())
		}
		m = nil
		ix.dirty = true
	}
	if m != nil {
		ix.gen = m.Generation
		if err := ix.db.ImportFromFile(filepath.Join(dir, vectorsName(m.Generation)), ""); err != nil {
			return nil, fmt.Errorf("search: open %s: read vectors: %w", dir, err)
		}
	}
	ix.col = ix.db.GetCollection(collectionName, ix.embedFunc)
	if ix.col == nil {
		if ix.col, err = ix.db.CreateCollection(collectionName, nil, ix.embedFunc); err != nil {
			return nil, fmt.Errorf("search: open %s: %w", dir, err)
		}
	}
	if m != nil {
		ix.load(m)
	}
	removeStale(dir, ix.gen)
	return ix, nil
}

// embedFunc lets chromem-go embed with the index's embedder.
func (ix *Index) embedFunc(ctx context.Context, text string) ([]float32, error) {
	return ix.opts.Embedder.Embed(ctx, text)
}

// load fills the catalogue and the BM25 index from m and the imported
// vectors. A document with a missing passage is dropped, so the next Add
// indexes it again.
func (ix *Index) load(m *manifest) {
	start := time.Now()
	rechunk := m.ChunkSize != ix.opts.ChunkSize || m.ChunkOverlap != ix.opts.ChunkOverlap
	ctx := context.Background()
	for i := range m.Documents {
		d := m.Documents[i]
		texts := make([]string, len(d.Chunks))
		ok := ValidDocID(d.ID)
		for c := 0; ok && c < len(d.Chunks); c++ {
			got, err := ix.col.GetByID(ctx, Key{d.ID, c}.String())
			ok = err == nil
			texts[c] = got.Content
		}
		if !ok {
			ix.deleteChunks(d.ID, len(d.Chunks))
			ix.dirty = true
			continue
		}
		if rechunk {
			d.SHA256 = "" // re-index on the next Add
		}
		ix.docs[d.ID] = &d
		for c, t := range texts {
			ix.lex.add(Key{d.ID, c}, t)
		}
	}
	ix.lexBuild = time.Since(start)
}

// deleteChunks removes passages 0..n-1 of document id from the vector
// store.
func (ix *Index) deleteChunks(id string, n int) {
	if n == 0 {
		return
	}
	ids := make([]string, n)
	for c := range ids {
		ids[c] = Key{id, c}.String()
	}
	// Delete only fails for an empty filter; ids is not empty.
	_ = ix.col.Delete(context.Background(), nil, nil, ids...)
}

// save writes the vectors and then the manifest, atomically, if anything
// changed since the last save. Callers hold ix.mu (read or write).
func (ix *Index) save() error {
	if !ix.dirty {
		return nil
	}
	gen := ix.gen + 1
	if err := writeAtomic(ix.dir, vectorsName(gen), func(w io.Writer) error {
		return ix.db.ExportToWriter(w, false, "")
	}); err != nil {
		return fmt.Errorf("search: save vectors: %w", err)
	}
	m := &manifest{
		Format:       manifestFormat,
		Embedder:     ix.opts.Embedder.Name(),
		ChunkSize:    ix.opts.ChunkSize,
		ChunkOverlap: ix.opts.ChunkOverlap,
		Generation:   gen,
		Documents:    make([]Document, 0, len(ix.docs)),
	}
	for _, d := range ix.docs {
		m.Documents = append(m.Documents, *d)
	}
	slices.SortFunc(m.Documents, func(a, b Document) int { return compareStrings(a.Path, b.Path, a.ID, b.ID) })
	if err := writeManifest(ix.dir, m); err != nil {
		return fmt.Errorf("search: save manifest: %w", err)
	}
	ix.gen = gen
	ix.dirty = false
	removeStale(ix.dir, gen)
	return nil
}

func compareStrings(a1, b1, a2, b2 string) int {
	switch {
	case a1 < b1:
		return -1
	case a1 > b1:
		return 1
	case a2 < b2:
		return -1
	case a2 > b2:
		return 1
	}
	return 0
}

// Close saves anything unsaved and releases the index. It waits for a
// running Add to finish (cancel its context to hurry it). Calls after the
// first return nil; other methods then fail with ErrClosed.
func (ix *Index) Close() error {
	ix.addMu.Lock()
	defer ix.addMu.Unlock()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return nil
	}
	err := ix.save()
	ix.closed = true
	ix.db, ix.col, ix.docs, ix.lex = nil, nil, nil, nil
	return err
}

// Document returns the document with the given ID. The error wraps
// ErrNotFound if there is none.
func (ix *Index) Document(id string) (Document, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return Document{}, ErrClosed
	}
	d, ok := ix.docs[id]
	if !ok {
		return Document{}, fmt.Errorf("%w: document %q", ErrNotFound, id)
	}
	return d.clone(), nil
}

// Documents returns every document of the index, ordered by path.
func (ix *Index) Documents() []Document {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]Document, 0, len(ix.docs))
	for _, d := range ix.docs {
		out = append(out, d.clone())
	}
	slices.SortFunc(out, func(a, b Document) int { return compareStrings(a.Path, b.Path, a.ID, b.ID) })
	return out
}

// Passage returns the exact text of the passage key names: the bytes
// Document.Chunks[key.Chunk] spans in the document's text. The error
// wraps ErrNotFound if there is no such passage.
func (ix *Index) Passage(key Key) (string, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return "", ErrClosed
	}
	t, ok := ix.lex.text(key)
	if !ok {
		d, found := ix.docs[key.DocID]
		if !found {
			return "", fmt.Errorf("%w: passage %s: no document %q", ErrNotFound, key, key.DocID)
		}
		return "", fmt.Errorf("%w: passage %s: document %s has %d passages (0-%d)", ErrNotFound, key, key.DocID, len(d.Chunks), len(d.Chunks)-1)
	}
	return t, nil
}

// Stats describes the index.
func (ix *Index) Stats() IndexStats {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s := IndexStats{Dir: ix.dir, Embedder: ix.opts.Embedder.Name(), LexiconBuild: ix.lexBuild}
	if !ix.closed {
		s.Documents, s.Passages = len(ix.docs), ix.lex.live()
	}
	return s
}

// Len returns the number of documents in the index.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.docs)
}

// errIfClosed returns ErrClosed after Close. Callers hold ix.mu.
func (ix *Index) errIfClosed() error {
	if ix.closed {
		return ErrClosed
	}
	return nil
}
