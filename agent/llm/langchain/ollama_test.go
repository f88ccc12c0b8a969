package langchain

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
)

// ollamaChat is the body of Ollama's POST /api/chat as langchaingo sends it.
type ollamaChat struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	Stream  bool           `json:"stream"`
	Format  string         `json:"format"`
	Options map[string]any `json:"options"`
}

// ollamaServer speaks Ollama's native chat API: NDJSON lines, the last one
// with done:true and the token counts. It records the requests it serves.
type ollamaServer struct {
	*httptest.Server
	status int
	lines  []string

	mu       sync.Mutex
	requests []ollamaChat
}

func newOllamaServer(t *testing.T, status int, lines ...string) *ollamaServer {
	s := &ollamaServer{status: status, lines: lines}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *ollamaServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/chat" {
		http.Error(w, `{"error":"unexpected `+r.Method+" "+r.URL.Path+`"}`, http.StatusNotFound)
		return
	}
	var req ollamaChat
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"error":"bad json"}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(s.status)
	for _, line := range s.lines {
		_, _ = w.Write([]byte(line + "\n"))
		w.(http.Flusher).Flush()
	}
}

func (s *ollamaServer) received() []ollamaChat {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

func ollamaLine(content string) string {
	return `{"model":"qwen3:8b","created_at":"2025-06-01T10:00:00.000Z","message":{"role":"assistant","content":` +
		jsonString(content) + `},"done":false}`
}

const ollamaDone = `{"model":"qwen3:8b","created_at":"2025-06-01T10:00:01.000Z","message":{"role":"assistant","content":""},` +
	`"done_reason":"stop","done":true,"total_duration":4883583458,"load_duration":1334875,` +
	`"prompt_eval_count":26,"prompt_eval_duration":342546000,"eval_count":3,"eval_duration":4535599000}`

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestOllamaGenerateEndToEnd(t *testing.T) {
	srv := newOllamaServer(t, http.StatusOK, ollamaLine("Hello"), ollamaLine(" there"), ollamaDone)
	m, err := OpenOllama("qwen3:8b", ProviderConfig{BaseURL: srv.URL})
	require.NoError(t, err)

	resp, err := m.Generate(context.Background(), llm.Request{
		Messages: []llm.Message{
			llm.System("Be brief."),
			llm.User("Search for moons."),
			llm.Assistant("", llm.ToolCall{ID: "c1", Name: "search", Args: json.RawMessage(`{"q":"moons"}`)}),
			llm.Tool(llm.ToolResult{CallID: "c1", Content: "Io, Europa"}),
		},
		Temperature: llm.Temp(0),
		MaxTokens:   64,
		Stop:        []string{"\n\n"},
		Schema:      &llm.ResponseSchema{Name: "greeting"},
	})
	require.NoError(t, err)

	assert.Equal(t, "Hello there", resp.Message.Text())
	assert.Equal(t, llm.Usage{Input: 26, Output: 3}, resp.Usage)
	assert.Equal(t, llm.FinishStop, resp.FinishReason)
	assert.Equal(t, "qwen3:8b", resp.Model)

	reqs := srv.received()
	require.Len(t, reqs, 1)
	got := reqs[0]
	assert.Equal(t, "qwen3:8b", got.Model)
	assert.False(t, got.Stream)
	assert.Equal(t, "json", got.Format)
	assert.Equal(t, 0.0, got.Options["temperature"])
	assert.Equal(t, 64.0, got.Options["num_predict"])
	assert.Equal(t, []any{"\n\n"}, got.Options["stop"])
	require.Len(t, got.Messages, 4)
	assert.Equal(t, "system", got.Messages[0].Role)
	assert.True(t, strings.HasPrefix(got.Messages[0].Content, "Be brief.\n\nRespond with a single JSON document"))
	assert.Equal(t, "user", got.Messages[1].Role)
	assert.Equal(t, "assistant", got.Messages[2].Role)
	assert.Equal(t, `[Called tool search (call c1) with arguments {"q":"moons"}]`, got.Messages[2].Content)
	assert.Equal(t, "user", got.Messages[3].Role)
	assert.Equal(t, "[Result of tool search (call c1)]\nIo, Europa", got.Messages[3].Content)
}

func TestOllamaStreamEndToEnd(t *testing.T) {
	srv := newOllamaServer(t, http.StatusOK, ollamaLine("Hel"), ollamaLine("lo"), ollamaDone)
	m, err := OpenOllama("qwen3:8b", ProviderConfig{BaseURL: srv.URL})
	require.NoError(t, err)

	events, err := drain(m.Stream(context.Background(), hiRequest()))
	require.NoError(t, err)

	assert.Equal(t, []llm.EventKind{llm.EventText, llm.EventText, llm.EventDone}, kinds(events))
	assert.Equal(t, "Hel", events[0].Text)
	assert.Equal(t, "lo", events[1].Text)
	assert.Equal(t, "Hello", events[2].Response.Message.Text())
	assert.Equal(t, llm.Usage{Input: 26, Output: 3}, events[2].Response.Usage)
	reqs := srv.received()
	require.Len(t, reqs, 1)
	assert.True(t, reqs[0].Stream)
	assert.Equal(t, 0.8, reqs[0].Options["temperature"], "nil temperature sends Ollama's default, not 0")
}

func TestOllamaHostFromEnvironment(t *testing.T) {
	srv := newOllamaServer(t, http.StatusOK, ollamaLine("hi"), ollamaDone)
	t.Setenv(EnvOllamaHost, srv.Listener.Addr().String()) // host:port, no scheme
	m, err := OpenOllama("qwen3:8b", ProviderConfig{})
	require.NoError(t, err)

	resp, err := m.Generate(context.Background(), hiRequest())
	require.NoError(t, err)
	assert.Equal(t, "hi", resp.Message.Text())
	assert.Len(t, srv.received(), 1)
}

func TestOllamaErrorsEndToEnd(t *testing.T) {
	srv := newOllamaServer(t, http.StatusNotFound, `{"error":"model \"nope\" not found, try pulling it first"}`)
	m, err := OpenOllama("nope", ProviderConfig{BaseURL: srv.URL + "/v1"})
	require.NoError(t, err)

	_, err = m.Generate(context.Background(), hiRequest())
	require.ErrorIs(t, err, llm.ErrBadRequest)
	assert.Contains(t, err.Error(), `model "nope" not found`)
	assert.Contains(t, err.Error(), "ollama")
	assert.Len(t, srv.received(), 1, "a /v1 base URL still reaches /api/chat")

	_, err = m.Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("hi")}, Tools: []llm.ToolDef{{Name: "search"}}})
	require.ErrorIs(t, err, llm.ErrBadRequest, "langchaingo's ollama client cannot call tools")
	assert.Len(t, srv.received(), 1, "a request with tools never reaches the server")
}
