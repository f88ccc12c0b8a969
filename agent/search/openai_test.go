package search

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// embeddingsServer speaks /v1/embeddings: each input embeds as
// [len(input), 1], and the data come back in reverse order to check that
// the client orders them by index.
func embeddingsServer(t *testing.T, status int) (*httptest.Server, *[]int, *[]string) {
	var mu sync.Mutex
	var batches []int
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/v1/embeddings", r.URL.Path)
		assert.Equal(t, http.MethodPost, r.Method)
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		if status != http.StatusOK {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, `{"error":{"message":"Incorrect API key provided: sk-bad.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`)
			return
		}
		var req struct {
			Input []string `json:"input"`
			Model string   `json:"model"`
		}
		require.NoError(t, json.NewDecoder(r.Body).Decode(&req))
		assert.Equal(t, "nomic-embed-text", req.Model)
		mu.Lock()
		batches = append(batches, len(req.Input))
		mu.Unlock()
		type item struct {
			Object    string    `json:"object"`
			Embedding []float32 `json:"embedding"`
			Index     int       `json:"index"`
		}
		var data []item
		for i := len(req.Input) - 1; i >= 0; i-- {
			data = append(data, item{"embedding", []float32{float32(len(req.Input[i])), 1}, i})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"object": "list", "data": data, "model": req.Model,
			"usage": map[string]int{"prompt_tokens": 3, "total_tokens": 3},
		})
	}))
	t.Cleanup(srv.Close)
	return srv, &batches, &auth
}

func TestOpenAIEmbedderBatches(t *testing.T) {
	srv, batches, auth := embeddingsServer(t, http.StatusOK)
	e := OpenAIEmbedder(OpenAIConfig{Model: "nomic-embed-text", BaseURL: srv.URL + "/v1/", APIKey: "sk-test", BatchSize: 2})
	assert.Equal(t, "openai:nomic-embed-text", e.Name())
	be, ok := e.(BatchEmbedder)
	require.True(t, ok)
	vs, err := be.EmbedBatch(bg, []string{"a", "bb", "ccc", "dddd", "eeeee"})
	require.NoError(t, err)
	require.Len(t, vs, 5)
	for i, v := range vs {
		assert.Equal(t, []float32{float32(i + 1), 1}, v, "vector %d is in input order", i)
	}
	assert.Equal(t, []int{2, 2, 1}, *batches)
	assert.Equal(t, "Bearer sk-test", (*auth)[0])

	v, err := e.Embed(bg, "four")
	require.NoError(t, err)
	assert.Equal(t, []float32{4, 1}, v)
}

func TestOpenAIEmbedderEnvAndIndex(t *testing.T) {
	srv, _, auth := embeddingsServer(t, http.StatusOK)
	t.Setenv("OPENAI_BASE_URL", srv.URL+"/v1")
	t.Setenv("OPENAI_API_KEY", "sk-env")
	e := OpenAIEmbedder(OpenAIConfig{Model: "nomic-embed-text", Dimensions: 2})
	assert.Equal(t, "openai:nomic-embed-text/2", e.Name())

	src := t.TempDir()
	writeFiles(t, src, corpus)
	ix, _ := openIndex(t, Options{Embedder: e})
	st, err := ix.Add(bg, src)
	require.NoError(t, err)
	assert.Equal(t, 3, st.Added)
	hits, err := ix.Search(bg, "garbage", 1)
	require.NoError(t, err)
	require.Len(t, hits, 1)
	assert.Equal(t, "Bearer sk-env", (*auth)[0])
}

func TestOpenAIEmbedderErrorStatus(t *testing.T) {
	srv, _, _ := embeddingsServer(t, http.StatusUnauthorized)
	e := OpenAIEmbedder(OpenAIConfig{Model: "nomic-embed-text", BaseURL: srv.URL + "/v1", APIKey: "sk-bad"})
	_, err := e.Embed(bg, "x")
	require.Error(t, err)
	for _, want := range []string{"search: embedding with nomic-embed-text", srv.URL, "HTTP 401", "Incorrect API key"} {
		assert.Contains(t, err.Error(), want)
	}

	src := t.TempDir()
	writeFiles(t, src, corpus)
	ix, _ := openIndex(t, Options{Embedder: e})
	_, err = ix.Add(bg, src)
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "HTTP 401"), err.Error())
	assert.Zero(t, ix.Len(), "nothing half-indexed")
}
