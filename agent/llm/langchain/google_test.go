package langchain

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
)

// googleServer speaks the Gemini REST API (generateContent and
// streamGenerateContent) as the genai library calls it, recording request
// paths, keys and bodies.
type googleServer struct {
	*httptest.Server
	status int
	body   string

	mu       sync.Mutex
	paths    []string
	keys     []string
	requests []map[string]any
}

func newGoogleServer(t *testing.T, status int, body string) *googleServer {
	s := &googleServer{status: status, body: body}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *googleServer) serve(w http.ResponseWriter, r *http.Request) {
	var req map[string]any
	_ = json.NewDecoder(r.Body).Decode(&req)
	s.mu.Lock()
	s.paths = append(s.paths, r.Method+" "+r.URL.Path)
	s.keys = append(s.keys, r.Header.Get("x-goog-api-key")+r.URL.Query().Get("key"))
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	body := s.body
	if s.status == http.StatusOK && strings.HasSuffix(r.URL.Path, ":streamGenerateContent") {
		body = "[" + body + "]" // the REST stream is a JSON array of responses
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(s.status)
	_, _ = w.Write([]byte(body))
}

func (s *googleServer) received() (paths, keys []string, requests []map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paths, s.keys, s.requests
}

const geminiToolCall = `{
  "candidates": [{
    "content": {"role": "model", "parts": [
      {"text": "Looking it up."},
      {"functionCall": {"name": "search", "args": {"query": "moons of jupiter"}}}
    ]},
    "finishReason": "STOP",
    "index": 0
  }],
  "usageMetadata": {"promptTokenCount": 70, "candidatesTokenCount": 12, "totalTokenCount": 82, "cachedContentTokenCount": 64}
}`

func TestGoogleGenerateEndToEnd(t *testing.T) {
	for _, client := range []*http.Client{nil, {}} {
		srv := newGoogleServer(t, http.StatusOK, geminiToolCall)
		m, err := OpenGoogle(context.Background(), "gemini-2.5-flash", ProviderConfig{APIKey: "gk", BaseURL: srv.URL, HTTPClient: client})
		require.NoError(t, err)
		t.Cleanup(func() { _ = m.Close() })

		resp, err := m.Generate(context.Background(), llm.Request{
			Messages: []llm.Message{
				llm.System("You research."),
				llm.User("Moons of Jupiter?"),
				llm.Assistant("", llm.ToolCall{ID: "c1", Name: "search", Args: json.RawMessage(`{"query":"jupiter"}`)}),
				llm.Tool(llm.ToolResult{CallID: "c1", Content: "95 moons"}),
			},
			Tools:       []llm.ToolDef{{Name: "search", Description: "Web search", Parameters: json.RawMessage(`{"type":"object","properties":{"query":{"type":"string"}}}`)}},
			Temperature: llm.Temp(0),
		})
		require.NoError(t, err)

		assert.Equal(t, "Looking it up.", resp.Message.Text())
		calls := resp.Message.ToolCalls()
		require.Len(t, calls, 1)
		assert.NotEmpty(t, calls[0].ID, "Gemini sends no call IDs; one is made up")
		assert.Equal(t, "search", calls[0].Name)
		assert.JSONEq(t, `{"query":"moons of jupiter"}`, string(calls[0].Args))
		assert.Equal(t, llm.FinishToolCalls, resp.FinishReason)
		assert.Equal(t, llm.Usage{Input: 70, CachedInput: 64, Output: 12}, resp.Usage)

		paths, keys, reqs := srv.received()
		assert.Equal(t, []string{"POST /v1beta/models/gemini-2.5-flash:streamGenerateContent"}, paths, "genai's chat session streams")
		assert.Equal(t, []string{"gk"}, keys, "the key travels with or without a custom client")
		require.Len(t, reqs, 1)
		assert.JSONEq(t, `{"parts":[{"text":"You research."}],"role":"system"}`, jsonOf(t, reqs[0]["systemInstruction"]))
		assert.JSONEq(t, `[
			{"role":"user","parts":[{"text":"Moons of Jupiter?"}]},
			{"role":"model","parts":[{"functionCall":{"name":"search","args":{"query":"jupiter"}}}]},
			{"role":"user","parts":[{"functionResponse":{"name":"search","response":{"response":"95 moons"}}}]}
		]`, jsonOf(t, reqs[0]["contents"]))
		assert.Contains(t, jsonOf(t, reqs[0]["tools"]), `"name":"search"`)
		gen, _ := reqs[0]["generationConfig"].(map[string]any)
		assert.Equal(t, 0.0, gen["temperature"], "an explicit 0 reaches the API")
		assert.Equal(t, 8192.0, gen["maxOutputTokens"])
	}
}

func TestGoogleRateLimitEndToEnd(t *testing.T) {
	srv := newGoogleServer(t, http.StatusTooManyRequests,
		`{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}`)
	m, err := OpenGoogle(context.Background(), "gemini-2.5-flash", ProviderConfig{APIKey: "gk", BaseURL: srv.URL})
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })

	_, err = m.Generate(context.Background(), hiRequest())

	require.ErrorIs(t, err, llm.ErrRateLimited)
	var pe *llm.ProviderError
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, "google", pe.Provider)
	assert.Equal(t, 429, pe.Status)
	assert.True(t, strings.Contains(err.Error(), "Resource has been exhausted"))
}
