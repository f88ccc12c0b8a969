package research

import (
	"context"

	"github.com/deepctx/deepctx/context/window"
)

// Source is a cited passage: one chunk of one document of the corpus.
type Source struct {
	// N is the citation number in the report, from 1.
	N int `json:"n"`
	// DocID, Title and Path (absolute) identify the document; Chunk is the passage's
	// position in it (0-based).
	DocID string `json:"doc_id"`
	Title string `json:"title"`
	Path  string `json:"path"`
	Chunk int    `json:"chunk"`
	// Text is the passage. It is not written to sources.json.
	Text string `json:"-"`
}

// Corpus is where researchers look things up and where citations resolve.
type Corpus interface {
	// Tools are the tools researchers get to find and read passages. Their
	// results name passages with source keys ("[docid#chunk]"); they must
	// be safe for concurrent use. onSeen, if not nil, is called with the
	// key of every passage a tool returns.
	Tools(onSeen func(key string)) []window.Tool
	// Source resolves the passage a citation names. It fails, wrapping an
	// error that says why, when the document or the chunk does not exist.
	Source(ctx context.Context, docID string, chunk int) (Source, error)
}
