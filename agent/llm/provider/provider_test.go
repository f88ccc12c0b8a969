package provider_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/provider"
)

// recordingServer answers every request with reply and records the path,
// headers and JSON body it received.
type recordingServer struct {
	*httptest.Server
	mu     sync.Mutex
	paths  []string
	auth   []string
	bodies []map[string]any
}

func newServer(t *testing.T, reply string) *recordingServer {
	s := &recordingServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		s.mu.Lock()
		s.paths = append(s.paths, r.URL.Path)
		s.auth = append(s.auth, r.Header.Get("Authorization"))
		s.bodies = append(s.bodies, body)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, reply)
	}))
	t.Cleanup(s.Close)
	return s
}

const chatReply = `{"id":"x","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"pong"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}`

func TestOpenAICompatibleProviders(t *testing.T) {
	for _, name := range []string{llm.ProviderOpenAI, llm.ProviderVLLM, llm.ProviderLlamaCpp, llm.ProviderOpenRouter} {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t, chatReply)
			spec := llm.Spec{Provider: name, Model: "some-model"}
			m, err := provider.Open(context.Background(), spec, provider.Options{
				Endpoints: map[string]provider.Endpoint{name: {APIKey: "k-test", BaseURL: srv.URL + "/v1"}},
			})
			require.NoError(t, err)
			resp, err := m.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("ping")}, Temperature: llm.Temp(0)})
			require.NoError(t, err)
			assert.Equal(t, "pong", resp.Message.Text())
			assert.Equal(t, llm.Usage{Input: 5, Output: 1}, resp.Usage)
			require.Len(t, srv.paths, 1)
			assert.Equal(t, "/v1/chat/completions", srv.paths[0])
			assert.Equal(t, "Bearer k-test", srv.auth[0])
			assert.Equal(t, "some-model", srv.bodies[0]["model"])
			assert.Equal(t, 0.0, srv.bodies[0]["temperature"])
		})
	}
}

func TestOpenAIReadsEnvironment(t *testing.T) {
	srv := newServer(t, chatReply)
	t.Setenv("OPENAI_API_KEY", "sk-env")
	t.Setenv("OPENAI_BASE_URL", srv.URL)
	m, err := provider.Open(context.Background(), llm.Spec{Provider: "openai", Model: "gpt-4.1"}, provider.Options{})
	require.NoError(t, err)
	_, err = m.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("ping")}})
	require.NoError(t, err)
	assert.Equal(t, "Bearer sk-env", srv.auth[0])
}

func TestOpenErrors(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("ANTHROPIC_API_KEY", "")

	_, err := provider.Open(context.Background(), llm.Spec{Provider: "openai", Model: "gpt-4.1"}, provider.Options{})
	require.ErrorContains(t, err, "OPENAI_API_KEY", "a missing key names the variable to set")

	_, err = provider.Open(context.Background(), llm.Spec{Provider: "anthropic", Model: "claude-sonnet-4-5"}, provider.Options{})
	require.ErrorContains(t, err, "ANTHROPIC_API_KEY")

	m, err := provider.Open(context.Background(), llm.Spec{Provider: "extractive"}, provider.Options{})
	require.NoError(t, err, "the offline engine needs no key")
	resp, err := m.Generate(context.Background(), llm.Request{
		Role:     llm.CallPlanner,
		Schema:   &llm.ResponseSchema{Name: "clarify_decision"},
		Messages: []llm.Message{llm.User("# Question\nHow does BM25 rank passages?")},
	})
	require.NoError(t, err)
	assert.Equal(t, "extractive", resp.Model)

	_, err = provider.Open(context.Background(), llm.Spec{Provider: "acme", Model: "x"}, provider.Options{})
	require.ErrorIs(t, err, provider.ErrUnavailable)
}

func TestOpenerBuildsRouter(t *testing.T) {
	srv := newServer(t, chatReply)
	opts := provider.Options{Endpoints: map[string]provider.Endpoint{"vllm": {BaseURL: srv.URL + "/v1"}}}
	r, err := llm.OpenRouter(llm.RouterConfig{Default: "vllm:qwen3-32b"}, provider.Opener(opts))
	require.NoError(t, err)
	resp, err := r.Generate(context.Background(), llm.Request{Role: llm.CallWriter, Messages: []llm.Message{llm.User("ping")}})
	require.NoError(t, err)
	assert.Equal(t, "pong", resp.Message.Text())
	assert.Empty(t, srv.auth[0], "vLLM without a key sends no Authorization header")
}

func TestOllamaUsesTheCompatibleEndpoint(t *testing.T) {
	srv := newServer(t, `{"id":"x","object":"chat.completion","model":"qwen3:8b","choices":[{"index":0,"message":{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"search","arguments":"{\"q\":\"bm25\"}"}}]},"finish_reason":"tool_calls"}]}`)
	// OLLAMA_HOST as Ollama itself reads it: a URL, a URL with the
	// compatible path, or a bare host:port.
	for _, host := range []string{srv.URL, srv.URL + "/v1/", strings.TrimPrefix(srv.URL, "http://")} {
		t.Setenv("OLLAMA_HOST", host)
		m, err := provider.Open(context.Background(), llm.Spec{Provider: "ollama", Model: "qwen3:8b"}, provider.Options{})
		require.NoError(t, err)
		_, err = m.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("ping")}})
		require.NoError(t, err, host)
		assert.Equal(t, "/v1/chat/completions", srv.paths[len(srv.paths)-1], host)
	}
	m, err := provider.Open(context.Background(), llm.Spec{Provider: "ollama", Model: "qwen3:8b"}, provider.Options{})
	require.NoError(t, err)
	resp, err := m.Generate(context.Background(), llm.Request{
		Messages: []llm.Message{llm.User("find bm25")},
		Tools:    []llm.ToolDef{{Name: "search"}},
	})
	require.NoError(t, err)
	require.Len(t, resp.Message.ToolCalls(), 1, "tool calls work through the compatible endpoint")
	assert.Equal(t, "search", resp.Message.ToolCalls()[0].Name)
	assert.Equal(t, "/v1/chat/completions", srv.paths[0])
	assert.Equal(t, "qwen3:8b", srv.bodies[0]["model"])
	assert.Empty(t, srv.auth[0])
}

func TestOllamaRejectsABadHost(t *testing.T) {
	t.Setenv("OLLAMA_HOST", "ftp://gpu-box")
	m, err := provider.Open(context.Background(), llm.Spec{Provider: "ollama", Model: "qwen3:8b"}, provider.Options{})
	require.ErrorContains(t, err, `bad Ollama URL "ftp://gpu-box"`)
	assert.Nil(t, m)
}

func TestOllamaNativeGoesThroughLangchain(t *testing.T) {
	srv := newServer(t, `{"model":"qwen3:8b","created_at":"2026-01-01T00:00:00Z","message":{"role":"assistant","content":"pong"},"done":true,"prompt_eval_count":7,"eval_count":2}`+"\n")
	m, err := provider.Open(context.Background(), llm.Spec{Provider: "ollama-native", Model: "qwen3:8b"}, provider.Options{
		Endpoints: map[string]provider.Endpoint{"ollama-native": {BaseURL: srv.URL}},
	})
	require.NoError(t, err)
	resp, err := m.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("ping")}})
	require.NoError(t, err)
	assert.Equal(t, "pong", resp.Message.Text())
	assert.Equal(t, llm.Usage{Input: 7, Output: 2}, resp.Usage)
	assert.Equal(t, "/api/chat", srv.paths[0])
}

func TestOpenReturnsNilInterfaceOnError(t *testing.T) {
	t.Setenv("ANTHROPIC_API_KEY", "")
	m, err := provider.Open(context.Background(), llm.Spec{Provider: "anthropic", Model: "claude-sonnet-4-5"}, provider.Options{})
	require.Error(t, err)
	assert.True(t, m == nil, "no typed nil hides in the interface")
}
