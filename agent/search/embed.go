package search

import (
	"context"
	"fmt"

	"github.com/deepctx/deepctx/context/offload"
)

// Embedder turns text into a vector for similarity search.
//
// Embed must return vectors of one fixed length for one Name, and must
// be safe for concurrent use. Name identifies the vector space (model and
// dimensions): an index remembers the name it was built with and refuses
// to open with an embedder of another name (see ErrEmbedderMismatch).
type Embedder interface {
	Embed(ctx context.Context, text string) ([]float32, error)
	Name() string
}

// BatchEmbedder is an Embedder that embeds many texts in one call, such
// as a remote API. Index.Add uses EmbedBatch when the embedder has it.
// EmbedBatch returns one vector per text, in order.
type BatchEmbedder interface {
	Embedder
	EmbedBatch(ctx context.Context, texts []string) ([][]float32, error)
}

// EmbedFunc adapts an embedding function, such as a chromem-go
// EmbeddingFunc, to Embedder under the vector-space name name.
func EmbedFunc(name string, f func(ctx context.Context, text string) ([]float32, error)) Embedder {
	return funcEmbedder{name: name, f: f}
}

type funcEmbedder struct {
	name string
	f    func(ctx context.Context, text string) ([]float32, error)
}

func (e funcEmbedder) Embed(ctx context.Context, text string) ([]float32, error) {
	return e.f(ctx, text)
}

func (e funcEmbedder) Name() string { return e.name }

// HashEmbedder returns the built-in local embedder: offload.HashEmbedding
// with dims dimensions (offload.DefaultDims when dims <= 0). It needs no
// model and no network, and the same text always gives the same vector.
// Its name is "hash-v1-<dims>".
func HashEmbedder(dims int) Embedder {
	if dims <= 0 {
		dims = offload.DefaultDims
	}
	return EmbedFunc(fmt.Sprintf("hash-v1-%d", dims), offload.HashEmbedding(dims))
}

// embedAll embeds texts, in batches of batch when e is a BatchEmbedder.
func embedAll(ctx context.Context, e Embedder, texts []string, batch int) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	if be, ok := e.(BatchEmbedder); ok {
		for i := 0; i < len(texts); i += batch {
			j := min(i+batch, len(texts))
			vs, err := be.EmbedBatch(ctx, texts[i:j])
			if err != nil {
				return nil, err
			}
			if len(vs) != j-i {
				return nil, fmt.Errorf("embedder %s returned %d vectors for %d texts", e.Name(), len(vs), j-i)
			}
			out = append(out, vs...)
		}
		return out, nil
	}
	for _, t := range texts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v, err := e.Embed(ctx, t)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
