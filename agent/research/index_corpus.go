package research

import (
	"context"
	"fmt"

	"github.com/deepctx/deepctx/agent/search"
	"github.com/deepctx/deepctx/context/window"
)

// IndexCorpus is the Corpus of a local search index: researchers get its
// search and read_document tools, and citations resolve to its passages.
func IndexCorpus(idx *search.Index) Corpus { return indexCorpus{idx} }

type indexCorpus struct{ idx *search.Index }

func (c indexCorpus) Tools(onSeen func(key string)) []window.Tool {
	var opts search.ToolOptions
	if onSeen != nil {
		opts.OnHit = func(h search.Hit) { onSeen(h.Key().String()) }
	}
	return search.Tools(c.idx, opts)
}

func (c indexCorpus) Source(ctx context.Context, docID string, chunk int) (Source, error) {
	if err := ctx.Err(); err != nil {
		return Source{}, err
	}
	doc, err := c.idx.Document(docID)
	if err != nil {
		return Source{}, err
	}
	text, err := c.idx.Passage(search.Key{DocID: docID, Chunk: chunk})
	if err != nil {
		return Source{}, err
	}
	if text == "" {
		return Source{}, fmt.Errorf("passage %s#%d is empty", docID, chunk)
	}
	return Source{DocID: docID, Title: doc.Title, Path: doc.Path, Chunk: chunk, Text: text}, nil
}
