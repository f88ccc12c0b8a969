package openaitest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/openai"
	"github.com/deepctx/deepctx/agent/llm/openai/openaitest"
)

// recorder is a backing model that replies with resp and keeps what it
// was sent.
type recorder struct {
	resp llm.Response
	mu   sync.Mutex
	got  []llm.Request
}

func (r *recorder) model() llm.Model {
	return llm.ModelFunc(func(_ context.Context, req llm.Request) (llm.Response, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.got = append(r.got, req)
		return r.resp, nil
	})
}

func (r *recorder) requests() []llm.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]llm.Request(nil), r.got...)
}

// toolReply is a reply with text and two tool calls, one of them with
// arguments that are not JSON and text that needs care to split (UTF-8).
var toolReply = llm.Response{
	Message: llm.Assistant("Looking it up — ok",
		llm.ToolCall{ID: "c1", Name: "search", Args: json.RawMessage(`{"query":"chânnels","k":3}`)},
		llm.ToolCall{Name: "read_document", Args: llm.ArgsFromText(`{"id": "doc`)}),
	Usage: llm.Usage{Input: 40, CachedInput: 8, Output: 12, Reasoning: 2},
}

// fullRequest exercises every field the wire carries.
func fullRequest() llm.Request {
	return llm.Request{
		Role: llm.CallResearcher, // not on the wire: the server's Role hook decides
		Messages: []llm.Message{
			llm.System("You are a researcher."),
			llm.User("How do channels work?"),
			llm.Assistant("", llm.ToolCall{ID: "x1", Name: "search", Args: json.RawMessage(`{"query":"channels"}`)}),
			llm.Tool(llm.ToolResult{CallID: "x1", Name: "search", Content: "[a#1] Channels synchronize."}),
		},
		Tools:       []llm.ToolDef{{Name: "search", Description: "Search.", Parameters: json.RawMessage(`{"type":"object","properties":{"query":{"type":"string"}}}`)}},
		ToolChoice:  llm.ToolChoice{Mode: llm.ToolChoiceTool, Name: "search"},
		Temperature: llm.Temp(0),
		MaxTokens:   200,
		Schema:      &llm.ResponseSchema{Name: "answer", Schema: json.RawMessage(`{"type":"object"}`)},
		Stop:        []string{"END"},
	}
}

func TestStreamedReplyCarriesTextToolCallDeltasAndUsage(t *testing.T) {
	rec := &recorder{resp: toolReply}
	srv := openaitest.New(t, openaitest.Config{
		Models: map[string]llm.Model{"m": rec.model()},
		Role:   func(openaitest.Wire) llm.CallRole { return llm.CallPlanner },
		APIKey: "sk-test",
	})
	model, err := openai.New(srv.OpenAIConfig("m"))
	require.NoError(t, err)

	var texts, argPieces int
	var resp llm.Response
	for ev, err := range model.Stream(t.Context(), fullRequest()) {
		require.NoError(t, err)
		switch ev.Kind {
		case llm.EventText:
			texts++
		case llm.EventToolCall:
			argPieces++
		case llm.EventDone:
			resp = *ev.Response
		}
	}
	assert.Equal(t, 2, texts, "the text arrives in two pieces")
	assert.Equal(t, 6, argPieces, "each call's arguments arrive in three pieces")
	assert.Equal(t, "Looking it up — ok", resp.Message.Text())
	calls := resp.Message.ToolCalls()
	require.Len(t, calls, 2)
	assert.Equal(t, "c1", calls[0].ID)
	assert.JSONEq(t, `{"query":"chânnels","k":3}`, string(calls[0].Args))
	assert.Equal(t, "call_1_2", calls[1].ID, "a call without ID gets the server's")
	var args map[string]any
	require.ErrorIs(t, calls[1].DecodeArgs(&args), llm.ErrMalformedOutput, "malformed arguments arrive as sent")
	assert.Equal(t, llm.FinishToolCalls, resp.FinishReason)
	assert.Equal(t, toolReply.Usage, resp.Usage)
	assert.Equal(t, "m", resp.Model)

	got := rec.requests()
	require.Len(t, got, 1)
	want := fullRequest()
	want.Role = llm.CallPlanner
	assertSameRequest(t, want, got[0])

	log := srv.Requests()
	require.Len(t, log, 1)
	assert.Equal(t, 1, log[0].N)
	assert.Equal(t, "/v1/chat/completions", log[0].Path)
	assert.Equal(t, http.StatusOK, log[0].Status)
	assert.True(t, log[0].Wire.Stream)
	assert.Equal(t, llm.CallPlanner, log[0].Role)
	assert.Equal(t, "answer", log[0].Wire.SchemaName())
	assert.True(t, log[0].Wire.HasTool("search"))
	assert.Equal(t, "You are a researcher.", log[0].Wire.System())
}

// assertSameRequest compares requests but for message IDs.
func assertSameRequest(t *testing.T, want, got llm.Request) {
	t.Helper()
	require.Len(t, got.Messages, len(want.Messages))
	for i := range want.Messages {
		got.Messages[i].ID, want.Messages[i].ID = "", ""
	}
	wj, _ := json.Marshal(want)
	gj, _ := json.Marshal(got)
	assert.JSONEq(t, string(wj), string(gj))
}

func TestNonStreamedReply(t *testing.T) {
	rec := &recorder{resp: toolReply}
	srv := openaitest.New(t, openaitest.Config{Models: map[string]llm.Model{"m": rec.model()}})
	model, err := openai.New(srv.OpenAIConfig("m"))
	require.NoError(t, err)

	resp, err := model.Generate(t.Context(), llm.Request{Messages: []llm.Message{llm.User("hi")}, Temperature: llm.Temp(0)})
	require.NoError(t, err)
	assert.Equal(t, "Looking it up — ok", resp.Message.Text())
	require.Len(t, resp.Message.ToolCalls(), 2)
	assert.Equal(t, "search", resp.Message.ToolCalls()[0].Name)
	assert.Equal(t, toolReply.Usage, resp.Usage)

	log := srv.Requests()
	require.Len(t, log, 1)
	assert.False(t, log[0].Wire.Stream)
	require.NotNil(t, log[0].Wire.Temperature, "an explicit 0 is on the wire")
	assert.Zero(t, *log[0].Wire.Temperature)
	assert.Equal(t, llm.CallDefault, log[0].Role, "no Role hook: no role")
}

func TestFaults(t *testing.T) {
	ok := llm.ModelFunc(func(context.Context, llm.Request) (llm.Response, error) {
		return llm.Response{Message: llm.Assistant("fine")}, nil
	})
	failing := llm.ModelFunc(func(context.Context, llm.Request) (llm.Response, error) {
		return llm.Response{}, &llm.ProviderError{Kind: llm.ErrBadRequest, Message: "cannot serve this"}
	})
	srv := openaitest.New(t, openaitest.Config{
		Models:     map[string]llm.Model{"ok": ok, "failing": failing},
		APIKey:     "sk-test",
		RateLimit:  []int{1},
		RetryAfter: 7,
		Handler: func(w http.ResponseWriter, r openaitest.Request) bool {
			if r.Wire.Model != "overflow" {
				return false
			}
			openaitest.WriteError(w, http.StatusBadRequest, "invalid_request_error", "context_length_exceeded", "This model's maximum context length is 8192 tokens.")
			return true
		},
	})
	call := func(cfg openai.Config) error {
		m, err := openai.New(cfg)
		require.NoError(t, err)
		_, err = m.Generate(t.Context(), llm.Request{Messages: []llm.Message{llm.User("hi")}})
		return err
	}

	err := call(srv.OpenAIConfig("ok"))
	require.ErrorIs(t, err, llm.ErrRateLimited, "request 1 is rate limited")
	assert.Equal(t, 7*time.Second, llm.RetryAfter(err))
	require.NoError(t, call(srv.OpenAIConfig("ok")), "request 2 is not")

	for _, tc := range []struct {
		name string
		cfg  openai.Config
		want error
	}{
		{"handler", srv.OpenAIConfig("overflow"), llm.ErrContextOverflow},
		{"model error", srv.OpenAIConfig("failing"), llm.ErrBadRequest},
		{"unknown model", srv.OpenAIConfig("nope"), llm.ErrBadRequest},
		{"wrong key", openai.Config{Model: "ok", APIKey: "sk-wrong", BaseURL: srv.BaseURL()}, llm.ErrAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.ErrorIs(t, call(tc.cfg), tc.want)
		})
	}
	var statuses []int
	for _, r := range srv.Requests() {
		statuses = append(statuses, r.Status)
	}
	assert.Equal(t, []int{429, 200, 400, 400, 404, 401}, statuses)
}

func TestResearchRole(t *testing.T) {
	wire := func(system, schema string, tools ...string) openaitest.Wire {
		var w openaitest.Wire
		require.NoError(t, json.Unmarshal([]byte(`{"messages":[{"role":"system","content":`+quote(system)+`},{"role":"user","content":[{"type":"text","text":"q"}]}]}`), &w))
		if schema != "" {
			w.ResponseFormat = &openaitest.WireResponseFormat{Type: "json_schema"}
			require.NoError(t, json.Unmarshal([]byte(`{"name":`+quote(schema)+`}`), &w.ResponseFormat.JSONSchema))
		}
		for _, name := range tools {
			var tool openaitest.WireTool
			tool.Function.Name = name
			w.Tools = append(w.Tools, tool)
		}
		return w
	}
	for _, tc := range []struct {
		name string
		wire openaitest.Wire
		want llm.CallRole
	}{
		{"critic", wire("You review a research report", "critique"), llm.CallCritic},
		{"brief", wire("You turn a user's question", "research_brief"), llm.CallPlanner},
		{"supervisor", wire("You lead a research team", "", "conduct_research", "research_complete", "think"), llm.CallPlanner},
		{"researcher", wire("You are a researcher", "", "search", "read_document"), llm.CallResearcher},
		{"writer", wire("You write the final research report", ""), llm.CallWriter},
		{"reviser", wire("You revise a research report", ""), llm.CallWriter},
		{"compressor", wire("You compress a research sub-agent's answer", ""), llm.CallCompressor},
		{"summarizer", wire("You are compacting the working memory", ""), llm.CallSummarizer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, openaitest.ResearchRole(tc.wire))
			assert.Equal(t, "q", tc.wire.Messages[1].Content, "content parts are joined")
		})
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
