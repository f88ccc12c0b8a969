package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
)

// DefaultK is the number of hits Search returns when k <= 0.
const DefaultK = 5

// Mode selects the rankings a search fuses.
type Mode int

const (
	// Hybrid fuses BM25 and vector similarity by reciprocal rank fusion.
	Hybrid Mode = iota
	// Lexical ranks by BM25 only.
	Lexical
	// Vector ranks by the embedder's cosine similarity only.
	Vector
)

// String returns "hybrid", "lexical" or "vector".
func (m Mode) String() string {
	switch m {
	case Hybrid:
		return "hybrid"
	case Lexical:
		return "lexical"
	case Vector:
		return "vector"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// SearchOptions tunes one search.
type SearchOptions struct {
	// K is the number of hits wanted. Optional. Defaults to 5.
	K int
	// Mode selects the rankings. Optional. Defaults to Hybrid.
	Mode Mode
}

// Hit is a passage a search found.
type Hit struct {
	// DocID, Title and Path describe the passage's document; Path is
	// absolute (a directory for a Go package).
	DocID, Title, Path string
	// RelPath is Path relative to the folder it was indexed from (see
	// Document.RelPath).
	RelPath string
	// Chunk is the passage's position in the document, from 0.
	Chunk int
	// Start and End are the passage's byte offsets in the document's
	// text.
	Start, End int
	// Text is the passage, exactly as indexed.
	Text string
	// Score is the fused score (reciprocal rank fusion), or the BM25
	// score or cosine similarity for a Lexical or Vector search. Higher
	// is better; scores of different searches do not compare.
	Score float64
}

// Key returns the passage's key.
func (h Hit) Key() Key { return Key{DocID: h.DocID, Chunk: h.Chunk} }

// Search returns the k passages that best match query (DefaultK when
// k <= 0), best first, by hybrid retrieval: the BM25 ranking over the
// passages' words and the embedder's nearest neighbours, fused by
// reciprocal rank fusion (k=60). Equal scores are ordered by document ID
// and chunk, so a search is deterministic. A query without any word
// returns no hits.
func (ix *Index) Search(ctx context.Context, query string, k int) ([]Hit, error) {
	return ix.SearchWith(ctx, query, SearchOptions{K: k})
}

// SearchWith is Search with options: the number of hits and which
// rankings to use.
func (ix *Index) SearchWith(ctx context.Context, query string, opts SearchOptions) ([]Hit, error) {
	if opts.K <= 0 {
		opts.K = DefaultK
	}
	if opts.Mode < Hybrid || opts.Mode > Vector {
		return nil, fmt.Errorf("search: unknown mode %v", opts.Mode)
	}
	if strings.TrimSpace(query) == "" {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	n := max(ix.opts.Candidates, opts.K)
	var qvec []float32
	if opts.Mode != Lexical {
		v, err := ix.opts.Embedder.Embed(ctx, query)
		if err != nil {
			return nil, fmt.Errorf("search: embed query with %s: %w", ix.opts.Embedder.Name(), err)
		}
		qvec = v
	}

	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if err := ix.errIfClosed(); err != nil {
		return nil, err
	}
	var lex, vec []scored
	if opts.Mode != Vector {
		lex = ix.lex.search(query, n)
	}
	if opts.Mode != Lexical {
		var err error
		if vec, err = ix.nearest(ctx, qvec, n); err != nil {
			return nil, err
		}
	}
	var ranked []scored
	switch opts.Mode {
	case Lexical:
		ranked = lex
	case Vector:
		ranked = vec
	default:
		ranked = fuse(lex, vec)
	}
	if len(ranked) > opts.K {
		ranked = ranked[:opts.K]
	}
	hits := make([]Hit, 0, len(ranked))
	for _, s := range ranked {
		d, ok := ix.docs[s.key.DocID]
		text, ok2 := ix.lex.text(s.key)
		if !ok || !ok2 || s.key.Chunk >= len(d.Chunks) {
			continue // cannot happen while the index is consistent
		}
		sp := d.Chunks[s.key.Chunk]
		hits = append(hits, Hit{
			DocID: d.ID, Title: d.Title, Path: d.Path, RelPath: d.RelPath(),
			Chunk: s.key.Chunk, Start: sp.Start, End: sp.End, Text: text, Score: s.score,
		})
	}
	return hits, nil
}

// nearest returns up to n passages by cosine similarity to qvec, those
// below Options.MinSimilarity left out. Callers hold ix.mu.
func (ix *Index) nearest(ctx context.Context, qvec []float32, n int) ([]scored, error) {
	count := ix.col.Count()
	if count == 0 {
		return nil, nil
	}
	res, err := ix.col.QueryEmbedding(ctx, qvec, min(n, count), nil, nil)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("search: %w", cerr)
		}
		return nil, fmt.Errorf("search: vector query: %w", err)
	}
	out := make([]scored, 0, len(res))
	for _, r := range res {
		if float64(r.Similarity) < ix.opts.MinSimilarity {
			continue
		}
		k, err := ParseKey(r.ID)
		if err != nil {
			continue
		}
		out = append(out, scored{key: k, score: float64(r.Similarity)})
	}
	slices.SortFunc(out, func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return compareKeys(a.key, b.key)
	})
	return out, nil
}
