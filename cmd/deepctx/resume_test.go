package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/extractive"
)

// chatServer is an OpenAI-compatible chat.completions server whose
// answers come from the offline engine: the CLI talks to it through the
// real openai provider, over HTTP, with streamed replies.
type chatServer struct {
	engine *extractive.Model
	// hold, if set, is called for each request before it is answered;
	// returning true leaves the request hanging until the client gives up.
	hold func(req llm.Request) bool

	mu    sync.Mutex
	count map[string]int // requests by kind: "brief", "researcher", …
}

func (s *chatServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var wire struct {
		Messages []struct {
			Role       string `json:"role"`
			Content    string `json:"content"`
			ToolCallID string `json:"tool_call_id"`
			ToolCalls  []struct {
				ID       string                           `json:"id"`
				Function struct{ Name, Arguments string } `json:"function"`
			} `json:"tool_calls"`
		} `json:"messages"`
		Tools []struct {
			Function struct {
				Name        string          `json:"name"`
				Description string          `json:"description"`
				Parameters  json.RawMessage `json:"parameters"`
			} `json:"function"`
		} `json:"tools"`
		ToolChoice     any `json:"tool_choice"`
		ResponseFormat *struct {
			JSONSchema struct{ Name string } `json:"json_schema"`
		} `json:"response_format"`
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &wire); err != nil {
		http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
		return
	}
	var req llm.Request
	for _, m := range wire.Messages {
		switch m.Role {
		case "system":
			req.Messages = append(req.Messages, llm.System(m.Content))
		case "user":
			req.Messages = append(req.Messages, llm.User(m.Content))
		case "assistant":
			var calls []llm.ToolCall
			for _, c := range m.ToolCalls {
				calls = append(calls, llm.ToolCall{ID: c.ID, Name: c.Function.Name, Args: llm.ArgsFromText(c.Function.Arguments)})
			}
			req.Messages = append(req.Messages, llm.Assistant(m.Content, calls...))
		case "tool":
			req.Messages = append(req.Messages, llm.Tool(llm.ToolResult{CallID: m.ToolCallID, Content: m.Content}))
		}
	}
	kind := "other"
	for _, t := range wire.Tools {
		req.Tools = append(req.Tools, llm.ToolDef{Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters})
		if t.Function.Name == "search" {
			kind = "researcher"
		}
	}
	if wire.ToolChoice == "none" {
		req.ToolChoice = llm.ToolChoice{Mode: llm.ToolChoiceNone}
	}
	if wire.ResponseFormat != nil {
		req.Schema = &llm.ResponseSchema{Name: wire.ResponseFormat.JSONSchema.Name}
		kind = req.Schema.Name
	}
	s.mu.Lock()
	s.count[kind]++
	s.mu.Unlock()
	if s.hold != nil && s.hold(req) {
		<-r.Context().Done()
		return
	}
	resp, err := s.engine.Generate(r.Context(), req)
	if err != nil {
		http.Error(w, fmt.Sprintf(`{"error":{"message":%q}}`, err.Error()), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	delta := map[string]any{"role": "assistant", "content": resp.Message.Text()}
	var calls []any
	for i, c := range resp.Message.ToolCalls() {
		calls = append(calls, map[string]any{"index": i, "id": c.ID, "type": "function", "function": map[string]any{"name": c.Name, "arguments": string(c.Args)}})
	}
	if len(calls) > 0 {
		delta["tool_calls"] = calls
	}
	for _, chunk := range []map[string]any{
		{"choices": []any{map[string]any{"index": 0, "delta": delta}}},
		{"choices": []any{map[string]any{"index": 0, "delta": map[string]any{}, "finish_reason": string(resp.FinishReason)}}},
		{"choices": []any{}, "usage": map[string]int{"prompt_tokens": resp.Usage.Input, "completion_tokens": resp.Usage.Output, "total_tokens": resp.Usage.Total()}},
	} {
		chunk["id"], chunk["object"], chunk["model"] = "chatcmpl-1", "chat.completion.chunk", "served-extractive"
		data, _ := json.Marshal(chunk)
		fmt.Fprintf(w, "data: %s\n\n", data)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

func (s *chatServer) requests(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count[kind]
}

func TestResearchKilledThenResumed(t *testing.T) {
	corpus := goDocCorpus(t)
	work := t.TempDir()
	out := filepath.Join(work, "runs", "killed")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := &chatServer{engine: extractive.New(extractive.Options{}), count: map[string]int{}}
	var researchers sync.Map
	srv.hold = func(req llm.Request) bool {
		if len(req.Tools) == 0 || req.Tools[0].Name != "search" {
			return false
		}
		topic := req.Messages[1].Text()
		researchers.Store(topic, true)
		if strings.Contains(topic, "channels") { // the researcher on channels never finishes:
			cancel() // the user presses Ctrl-C while it works
			return true
		}
		return false
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	args := []string{"research", "--model", "openai:served-extractive", "--base-url", hs.URL + "/v1",
		"--corpus", corpus, "--db", filepath.Join(work, "index"), "--out", out, "--no-clarify", "--max-researchers", "1",
		"How does the Go memory model define happens-before, and how do channels synchronize goroutines?"}
	t.Setenv("OPENAI_API_KEY", "test-key")
	var stdout, stderr bytes.Buffer
	code := runContext(ctx, args, strings.NewReader(""), &stdout, &stderr)
	require.Equal(t, exitRuntime, code, stderr.String())
	assert.Contains(t, stderr.String(), "deepctx resume")
	_, meta, err := openRunFolder(out)
	require.NoError(t, err)
	assert.Equal(t, statusInterrupted, meta.Status)
	assert.NoFileExists(t, filepath.Join(out, "report.md"))
	briefs := srv.requests("research_brief")
	require.Equal(t, 1, briefs)
	before := srv.requests("researcher")

	// Resume in a "new process": the researcher on the memory model,
	// which finished, is not run again; the brief is not written again.
	firstRun := map[string]bool{}
	researchers.Range(func(k, _ any) bool { firstRun[k.(string)] = true; return true })
	require.Len(t, firstRun, 2, "one researcher finished, one was killed")
	var resumed sync.Map
	srv.hold = func(req llm.Request) bool {
		if len(req.Tools) > 0 && req.Tools[0].Name == "search" {
			resumed.Store(req.Messages[1].Text(), true)
		}
		return false
	}
	stdout.Reset()
	stderr.Reset()
	code = runContext(context.Background(), []string{"resume", "--json", out}, strings.NewReader(""), &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	var sum runSummary
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &sum), stdout.String())
	assert.Equal(t, statusDone, sum.Status)
	assert.Equal(t, "openai:served-extractive", sum.Engine)
	assert.Positive(t, sum.Cited)
	assert.Equal(t, briefs, srv.requests("research_brief"), "the brief was not written again")
	assert.FileExists(t, filepath.Join(out, "report.md"))
	assert.Positive(t, srv.requests("researcher")-before)
	resumed.Range(func(k, _ any) bool {
		assert.Contains(t, k.(string), "channels", "only the killed researcher runs again, not %q", k)
		return true
	})
	data, err := os.ReadFile(filepath.Join(out, "run.json"))
	require.NoError(t, err)
	assert.Contains(t, string(data), `"status": "done"`)
}
