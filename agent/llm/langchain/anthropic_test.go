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

// anthropicServer speaks Anthropic's Messages API (POST /v1/messages): it
// checks the auth headers, records each request body and answers with a
// fixed status and body, as JSON or as a server-sent event stream.
type anthropicServer struct {
	*httptest.Server
	status int
	body   string
	sse    bool

	mu       sync.Mutex
	requests []map[string]any
}

func newAnthropicServer(t *testing.T, status int, body string) *anthropicServer {
	s := &anthropicServer{status: status, body: body}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *anthropicServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/messages" {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"type":"error","error":{"type":"not_found_error","message":"unexpected ` + r.URL.Path + `"}}`))
		return
	}
	if r.Header.Get("x-api-key") != "test-key" || r.Header.Get("anthropic-version") != "2023-06-01" {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`))
		return
	}
	var req map[string]any
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	if s.sse {
		w.Header().Set("Content-Type", "text/event-stream")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("retry-after", "7")
	w.WriteHeader(s.status)
	_, _ = w.Write([]byte(s.body))
}

func (s *anthropicServer) received() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

func openTestAnthropic(t *testing.T, srv *anthropicServer) *Model {
	t.Helper()
	m, err := OpenAnthropic("claude-sonnet-4-5", ProviderConfig{APIKey: "test-key", BaseURL: srv.URL})
	require.NoError(t, err)
	return m
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

const anthropicToolUse = `{
  "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
  "type": "message",
  "role": "assistant",
  "model": "claude-sonnet-4-5-20250929",
  "content": [
    {"type": "text", "text": "Let me look that up."},
    {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "search", "input": {"query": "moons of jupiter"}}
  ],
  "stop_reason": "tool_use",
  "stop_sequence": null,
  "usage": {"input_tokens": 50, "output_tokens": 20, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 100}
}`

func TestAnthropicGenerateEndToEnd(t *testing.T) {
	srv := newAnthropicServer(t, http.StatusOK, anthropicToolUse)
	m := openTestAnthropic(t, srv)

	resp, err := m.Generate(context.Background(), llm.Request{
		Messages: []llm.Message{
			llm.System("You research."),
			llm.User("Which moons does Jupiter have?"),
			llm.Assistant("Searching.", llm.ToolCall{ID: "toolu_00", Name: "search", Args: json.RawMessage(`{"query":"jupiter"}`)}),
			llm.Tool(llm.ToolResult{CallID: "toolu_00", Content: "Jupiter has 95 moons."}),
		},
		Tools: []llm.ToolDef{{
			Name: "search", Description: "Web search",
			Parameters: json.RawMessage(`{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}`),
		}},
		Temperature: llm.Temp(0),
	})
	require.NoError(t, err)

	assert.Equal(t, "Let me look that up.", resp.Message.Text())
	assert.Equal(t, []llm.ToolCall{{ID: "toolu_01A09q90qw90lq917835lq9", Name: "search", Args: json.RawMessage(`{"query":"moons of jupiter"}`)}},
		resp.Message.ToolCalls())
	assert.Equal(t, llm.FinishToolCalls, resp.FinishReason)
	assert.Equal(t, llm.Usage{Input: 150, CachedInput: 100, Output: 20}, resp.Usage)
	assert.Equal(t, "claude-sonnet-4-5", resp.Model)

	reqs := srv.received()
	require.Len(t, reqs, 1)
	got := reqs[0]
	assert.Equal(t, "claude-sonnet-4-5", got["model"])
	assert.Equal(t, "You research.", got["system"])
	assert.Equal(t, 0.0, got["temperature"])
	assert.Equal(t, 4096.0, got["max_tokens"], "the default output cap")
	assert.JSONEq(t, `[
		{"role": "user", "content": [{"type": "text", "text": "Which moons does Jupiter have?"}]},
		{"role": "assistant", "content": [{"type": "text", "text": "Searching."}]},
		{"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_00", "name": "search", "input": {"query": "jupiter"}}]},
		{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_00", "content": "Jupiter has 95 moons."}]}
	]`, jsonOf(t, got["messages"]))
	assert.JSONEq(t, `[{"name": "search", "description": "Web search",
		"input_schema": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}]`, jsonOf(t, got["tools"]))
}

func TestAnthropicDefaultsApplyWhenRequestLeavesThemUnset(t *testing.T) {
	srv := newAnthropicServer(t, http.StatusOK, anthropicToolUse)
	m, err := OpenAnthropic("claude-haiku-4-5", ProviderConfig{APIKey: "test-key", BaseURL: srv.URL + "/v1/", MaxTokens: 1000, Temperature: llm.Temp(0.3)})
	require.NoError(t, err)

	_, err = m.Generate(context.Background(), hiRequest())
	require.NoError(t, err)

	reqs := srv.received()
	require.Len(t, reqs, 1)
	assert.Equal(t, 0.3, reqs[0]["temperature"])
	assert.Equal(t, 1000.0, reqs[0]["max_tokens"])
	assert.Equal(t, "claude-haiku-4-5", reqs[0]["model"])
}

func TestAnthropicErrorsEndToEnd(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		errType string
		message string
		want    error
	}{
		{"rate limit", 429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", llm.ErrRateLimited},
		{"overflow", 400, "invalid_request_error", "prompt is too long: 215000 tokens > 200000 maximum", llm.ErrContextOverflow},
		{"bad request", 400, "invalid_request_error", "messages: text content blocks must be non-empty", llm.ErrBadRequest},
		{"overloaded", 529, "overloaded_error", "Overloaded", llm.ErrTransient},
		{"server error", 500, "api_error", "Internal server error", llm.ErrTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"type":"error","error":{"type":"` + tt.errType + `","message":"` + tt.message + `"}}`
			srv := newAnthropicServer(t, tt.status, body)
			_, err := openTestAnthropic(t, srv).Generate(context.Background(), hiRequest())

			require.ErrorIs(t, err, tt.want)
			var pe *llm.ProviderError
			require.True(t, errors.As(err, &pe))
			assert.Equal(t, "anthropic", pe.Provider)
			assert.Equal(t, tt.status, pe.Status)
			assert.Contains(t, err.Error(), tt.message)
			assert.Zero(t, pe.RetryAfter, "langchaingo drops the retry-after header")
		})
	}
}

func TestAnthropicWrongKeyIsAuthError(t *testing.T) {
	srv := newAnthropicServer(t, http.StatusOK, anthropicToolUse)
	m, err := OpenAnthropic("claude-sonnet-4-5", ProviderConfig{APIKey: "wrong", BaseURL: srv.URL})
	require.NoError(t, err)

	_, err = m.Generate(context.Background(), hiRequest())
	require.ErrorIs(t, err, llm.ErrAuth)
	assert.False(t, llm.Retryable(err))
	assert.Empty(t, srv.received())
}

// sse renders server-sent events as Anthropic streams them.
func sse(events ...string) string {
	var b strings.Builder
	for _, data := range events {
		var head struct{ Type string }
		_ = json.Unmarshal([]byte(data), &head)
		b.WriteString("event: " + head.Type + "\ndata: " + data + "\n\n")
	}
	return b.String()
}

var anthropicStream = sse(
	`{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"usage":{"input_tokens":25,"output_tokens":1}}}`,
	`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
	`{"type":"ping"}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}`,
	`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":", world"}}`,
	`{"type":"content_block_stop","index":0}`,
	`{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_9","name":"search","input":{}}}`,
	`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"query\": "}}`,
	`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\"io\"}"}}`,
	`{"type":"content_block_stop","index":1}`,
	`{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":15}}`,
	`{"type":"message_stop"}`,
)

func TestAnthropicStreamEndToEnd(t *testing.T) {
	srv := newAnthropicServer(t, http.StatusOK, anthropicStream)
	srv.sse = true
	m := openTestAnthropic(t, srv)

	events, err := drain(m.Stream(context.Background(), hiRequest()))
	require.NoError(t, err)

	assert.Equal(t, []llm.EventKind{llm.EventText, llm.EventText, llm.EventToolCall, llm.EventDone}, kinds(events))
	assert.Equal(t, "Hello", events[0].Text)
	assert.Equal(t, ", world", events[1].Text)
	assert.Equal(t, "search", events[2].ToolCall.Name)
	resp := events[3].Response
	assert.Equal(t, "Hello, world", resp.Message.Text())
	require.Len(t, resp.Message.ToolCalls(), 1)
	assert.JSONEq(t, `{"query":"io"}`, string(resp.Message.ToolCalls()[0].Args))
	assert.Equal(t, llm.Usage{Input: 25, Output: 15}, resp.Usage)
	assert.Equal(t, llm.FinishToolCalls, resp.FinishReason)
	reqs := srv.received()
	require.Len(t, reqs, 1)
	assert.Equal(t, true, reqs[0]["stream"])
}

func TestAnthropicStreamEarlyBreak(t *testing.T) {
	srv := newAnthropicServer(t, http.StatusOK, anthropicStream)
	srv.sse = true
	m := openTestAnthropic(t, srv)

	var texts []string
	for ev, err := range m.Stream(context.Background(), hiRequest()) {
		require.NoError(t, err)
		texts = append(texts, ev.Text)
		break
	}
	assert.Equal(t, []string{"Hello"}, texts)

	// The model stays usable after an abandoned stream.
	srv.sse = false
	srv.body = anthropicToolUse
	resp, err := m.Generate(context.Background(), hiRequest())
	require.NoError(t, err)
	assert.Equal(t, "Let me look that up.", resp.Message.Text())
}
