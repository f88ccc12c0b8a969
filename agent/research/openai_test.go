package research_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/openai"
	"github.com/deepctx/deepctx/agent/research"
)

// wireRequest is the part of an OpenAI chat.completions request the fake
// server reads.
type wireRequest struct {
	Stream   bool `json:"stream"`
	Messages []struct {
		Role       string `json:"role"`
		Content    string `json:"content"`
		ToolCallID string `json:"tool_call_id"`
		ToolCalls  []struct {
			ID       string `json:"id"`
			Function struct {
				Name      string `json:"name"`
				Arguments string `json:"arguments"`
			} `json:"function"`
		} `json:"tool_calls"`
	} `json:"messages"`
	Tools []struct {
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	} `json:"tools"`
	ToolChoice     any `json:"tool_choice"`
	ResponseFormat *struct {
		JSONSchema struct {
			Name string `json:"name"`
		} `json:"json_schema"`
	} `json:"response_format"`
}

// toLLM converts the wire request back into an llm.Request, inferring the
// call's role from what the agent sends for each role (the role itself is
// not on the wire). Failed tool calls and their error results are left
// out: the fake model's logic reads only successful results.
func (w wireRequest) toLLM() llm.Request {
	var req llm.Request
	failed := map[string]bool{}
	for _, m := range w.Messages {
		if m.Role == "tool" && strings.Contains(m.Content, "send the arguments as a JSON object") {
			failed[m.ToolCallID] = true
		}
	}
	for _, m := range w.Messages {
		switch m.Role {
		case "system":
			req.Messages = append(req.Messages, llm.System(m.Content))
		case "user":
			req.Messages = append(req.Messages, llm.User(m.Content))
		case "assistant":
			var calls []llm.ToolCall
			for _, c := range m.ToolCalls {
				if !failed[c.ID] {
					calls = append(calls, llm.ToolCall{ID: c.ID, Name: c.Function.Name, Args: json.RawMessage(c.Function.Arguments)})
				}
			}
			if len(calls) > 0 || m.Content != "" {
				req.Messages = append(req.Messages, llm.Assistant(m.Content, calls...))
			}
		case "tool":
			if !failed[m.ToolCallID] {
				req.Messages = append(req.Messages, llm.Tool(llm.ToolResult{CallID: m.ToolCallID, Content: m.Content}))
			}
		}
	}
	if w.ToolChoice == "none" {
		req.ToolChoice = llm.ToolChoice{Mode: llm.ToolChoiceNone}
	}
	if w.ResponseFormat != nil {
		req.Schema = &llm.ResponseSchema{Name: w.ResponseFormat.JSONSchema.Name}
	}
	system := ""
	if len(w.Messages) > 0 && w.Messages[0].Role == "system" {
		system = w.Messages[0].Content
	}
	tools := map[string]bool{}
	for _, t := range w.Tools {
		tools[t.Function.Name] = true
	}
	switch {
	case req.Schema != nil && req.Schema.Name == "critique":
		req.Role = llm.CallCritic
	case req.Schema != nil || tools["conduct_research"]:
		req.Role = llm.CallPlanner
	case tools["search"]:
		req.Role = llm.CallResearcher
	case strings.HasPrefix(system, "You write the final") || strings.HasPrefix(system, "You revise"):
		req.Role = llm.CallWriter
	case strings.Contains(system, "compress"):
		req.Role = llm.CallCompressor
	default:
		req.Role = llm.CallSummarizer
	}
	return req
}

// researchServer is an OpenAI-compatible server that plays a research
// model: it streams replies as chat.completion.chunk events, answers one
// request with 429, and sends one tool call with malformed arguments.
type researchServer struct {
	model *researchModel

	mu            sync.Mutex
	requests      int
	rateLimited   int
	malformedSent bool
	sawToolError  string
}

func (s *researchServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer test-key" {
		http.Error(w, `{"error":{"message":"not found"}}`, http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var wire wireRequest
	if err := json.Unmarshal(body, &wire); err != nil {
		http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests++
	n := s.requests
	for _, m := range wire.Messages {
		if m.Role == "tool" && strings.Contains(m.Content, "send the arguments as a JSON object") {
			s.sawToolError = m.Content
		}
	}
	s.mu.Unlock()
	if n == 3 { // the first researcher's first call, or thereabouts
		s.mu.Lock()
		s.rateLimited++
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"error":{"message":"Rate limit reached for requests","type":"requests","code":"rate_limit_exceeded"}}`)
		return
	}
	req := wire.toLLM()
	resp, err := s.model.Respond(req)
	if err != nil {
		http.Error(w, fmt.Sprintf(`{"error":{"message":%q}}`, err.Error()), http.StatusInternalServerError)
		return
	}
	calls := resp.Message.ToolCalls()
	for i := range calls {
		calls[i].ID = fmt.Sprintf("call_%d_%d", n, i+1) // unique, as a real server's are
	}
	s.mu.Lock()
	if req.Role == llm.CallResearcher && len(calls) == 1 && calls[0].Name == "search" && !s.malformedSent {
		s.malformedSent = true
		calls[0].Args = json.RawMessage(`{"query": "channels`) // cut short, as a flaky model does
	}
	s.mu.Unlock()
	if !wire.Stream {
		http.Error(w, `{"error":{"message":"this server only streams"}}`, http.StatusBadRequest)
		return
	}
	streamReply(w, resp.Message.Text(), calls, len(body)/4)
}

// streamReply writes a reply as OpenAI streaming chunks: the text in two
// pieces, each tool call's arguments in three.
func streamReply(w http.ResponseWriter, text string, calls []llm.ToolCall, promptTokens int) {
	w.Header().Set("Content-Type", "text/event-stream")
	chunk := func(delta map[string]any, finish any) {
		data, _ := json.Marshal(map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "research-model",
			"choices": []map[string]any{{"index": 0, "delta": delta, "finish_reason": finish}},
		})
		fmt.Fprintf(w, "data: %s\n\n", data)
	}
	chunk(map[string]any{"role": "assistant", "content": ""}, nil)
	if text != "" {
		half := len(text) / 2
		for half < len(text) && (text[half]&0xC0) == 0x80 {
			half++
		}
		chunk(map[string]any{"content": text[:half]}, nil)
		chunk(map[string]any{"content": text[half:]}, nil)
	}
	for i, c := range calls {
		args := string(c.Args)
		third := len(args) / 3
		pieces := []string{args[:third], args[third : 2*third], args[2*third:]}
		for j, p := range pieces {
			fn := map[string]any{"arguments": p}
			tc := map[string]any{"index": i, "function": fn}
			if j == 0 {
				tc["id"], tc["type"], fn["name"] = c.ID, "function", c.Name
			}
			chunk(map[string]any{"tool_calls": []any{tc}}, nil)
		}
	}
	finish := "stop"
	if len(calls) > 0 {
		finish = "tool_calls"
	}
	chunk(map[string]any{}, finish)
	usage, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "research-model", "choices": []any{},
		"usage": map[string]int{"prompt_tokens": promptTokens, "completion_tokens": len(text)/4 + 10, "total_tokens": promptTokens + len(text)/4 + 10},
	})
	fmt.Fprintf(w, "data: %s\n\n", usage)
	fmt.Fprint(w, "data: [DONE]\n\n")
}

func TestResearchThroughOpenAIProvider(t *testing.T) {
	idx := newIndex(t)
	srv := &researchServer{model: &researchModel{topics: threeTopics, reads: 1}}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	model, err := openai.New(openai.Config{Model: "research-model", APIKey: "test-key", BaseURL: hs.URL + "/v1"})
	require.NoError(t, err)
	var waits []time.Duration
	var mu sync.Mutex
	router := llm.NewRouter(model).WithRetry(llm.RetryPolicy{Sleep: func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return ctx.Err()
	}})
	a, err := research.New(research.Config{Model: router, Corpus: research.IndexCorpus(idx)})
	require.NoError(t, err)
	res, err := a.Run(context.Background(), "How does Go synchronize goroutines?")
	require.NoError(t, err)

	assert.Equal(t, 1, srv.rateLimited)
	assert.Equal(t, []time.Duration{time.Second}, waits, "the 429's Retry-After was honoured")
	assert.True(t, srv.malformedSent)
	assert.Contains(t, srv.sawToolError, "search", "the malformed arguments were reported back to the model")
	require.Len(t, res.State.Findings, 3)
	for _, f := range res.State.Findings {
		assert.Empty(t, f.Err)
		assert.Regexp(t, keyRe, f.Text, "findings cite passages")
	}
	require.NotEmpty(t, res.Sources)
	require.NoError(t, research.Verify(context.Background(), research.IndexCorpus(idx), res.Report, res.Sources))
	assert.Positive(t, res.State.Usage.Input+res.State.Usage.Output)
}
