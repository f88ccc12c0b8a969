package search

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// OpenAIConfig configures OpenAIEmbedder.
type OpenAIConfig struct {
	// Model is the embedding model. Optional. Defaults to
	// "text-embedding-3-small". With Ollama, use a pulled embedding model
	// such as "nomic-embed-text".
	Model string
	// BaseURL is the API's base URL, up to and including "/v1". Optional.
	// Defaults to $OPENAI_BASE_URL, else "https://api.openai.com/v1".
	// Ollama serves the same API at "http://localhost:11434/v1".
	BaseURL string
	// APIKey authenticates the calls. Optional. Defaults to
	// $OPENAI_API_KEY; servers such as Ollama need none.
	APIKey string
	// Dimensions asks models that support it (text-embedding-3 and later)
	// for shorter vectors. Optional. Defaults to 0: the model's own size.
	Dimensions int
	// BatchSize is the number of texts sent per request. Optional.
	// Defaults to 64.
	BatchSize int
	// HTTPClient sends the requests. Optional. Defaults to
	// http.DefaultClient.
	HTTPClient *http.Client
}

// Default of OpenAIConfig.
const (
	DefaultOpenAIEmbeddingModel = "text-embedding-3-small"
	defaultOpenAIBaseURL        = "https://api.openai.com/v1"
	defaultOpenAIBatch          = 64
)

// OpenAIEmbedder returns an embedder that calls an OpenAI-compatible
// /v1/embeddings endpoint (OpenAI, Azure-style proxies, Ollama, vLLM,
// llama.cpp…), cfg.BatchSize texts per request. It also implements
// BatchEmbedder. Its name is "openai:<model>", with "/<dims>" appended
// when Dimensions is set. Errors name the model and the server and wrap
// go-openai's *openai.APIError or *openai.RequestError, which carry the
// HTTP status.
func OpenAIEmbedder(cfg OpenAIConfig) Embedder {
	if cfg.Model == "" {
		cfg.Model = DefaultOpenAIEmbeddingModel
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = os.Getenv("OPENAI_BASE_URL")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = defaultOpenAIBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.APIKey == "" {
		cfg.APIKey = os.Getenv("OPENAI_API_KEY")
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = defaultOpenAIBatch
	}
	cc := openai.DefaultConfig(cfg.APIKey)
	cc.BaseURL = cfg.BaseURL
	if cfg.HTTPClient != nil {
		cc.HTTPClient = cfg.HTTPClient
	}
	return &openAIEmbedder{cfg: cfg, client: openai.NewClientWithConfig(cc)}
}

type openAIEmbedder struct {
	cfg    OpenAIConfig
	client *openai.Client
}

func (e *openAIEmbedder) Name() string {
	if e.cfg.Dimensions > 0 {
		return fmt.Sprintf("openai:%s/%d", e.cfg.Model, e.cfg.Dimensions)
	}
	return "openai:" + e.cfg.Model
}

func (e *openAIEmbedder) Embed(ctx context.Context, text string) ([]float32, error) {
	vs, err := e.EmbedBatch(ctx, []string{text})
	if err != nil {
		return nil, err
	}
	return vs[0], nil
}

// EmbedBatch embeds texts, cfg.BatchSize per request.
func (e *openAIEmbedder) EmbedBatch(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for i := 0; i < len(texts); i += e.cfg.BatchSize {
		batch := texts[i:min(i+e.cfg.BatchSize, len(texts))]
		vs, err := e.request(ctx, batch)
		if err != nil {
			return nil, err
		}
		out = append(out, vs...)
	}
	return out, nil
}

func (e *openAIEmbedder) request(ctx context.Context, texts []string) ([][]float32, error) {
	input := make([]string, len(texts))
	for i, t := range texts {
		if input[i] = strings.TrimSpace(t); input[i] == "" {
			input[i] = " " // the API rejects empty input
		}
	}
	resp, err := e.client.CreateEmbeddings(ctx, openai.EmbeddingRequestStrings{
		Input:      input,
		Model:      openai.EmbeddingModel(e.cfg.Model),
		Dimensions: e.cfg.Dimensions,
	})
	if err != nil {
		var api *openai.APIError
		if errors.As(err, &api) {
			return nil, fmt.Errorf("search: embedding with %s at %s failed with HTTP %d: %w", e.cfg.Model, e.cfg.BaseURL, api.HTTPStatusCode, err)
		}
		return nil, fmt.Errorf("search: embedding with %s at %s: %w", e.cfg.Model, e.cfg.BaseURL, err)
	}
	if len(resp.Data) != len(texts) {
		return nil, fmt.Errorf("search: embedding with %s at %s: got %d vectors for %d texts", e.cfg.Model, e.cfg.BaseURL, len(resp.Data), len(texts))
	}
	out := make([][]float32, len(texts))
	for _, d := range resp.Data {
		if d.Index < 0 || d.Index >= len(out) || out[d.Index] != nil {
			return nil, fmt.Errorf("search: embedding with %s at %s: bad or repeated index %d in the response", e.cfg.Model, e.cfg.BaseURL, d.Index)
		}
		if len(d.Embedding) == 0 {
			return nil, fmt.Errorf("search: embedding with %s at %s: empty vector for input %d", e.cfg.Model, e.cfg.BaseURL, d.Index)
		}
		out[d.Index] = d.Embedding
	}
	return out, nil
}
