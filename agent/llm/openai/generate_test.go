package openai_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/openai"
)

func TestGenerateTextReply(t *testing.T) {
	srv := newServer(t, replyJSON(http.StatusOK, textCompletion("Go is a programming language.")))
	m := newModel(t, srv)

	resp, err := m.Generate(t.Context(), user("What is Go?"))
	require.NoError(t, err)

	assert.Equal(t, "Go is a programming language.", resp.Message.Text())
	assert.Equal(t, llm.RoleAssistant, resp.Message.Role)
	assert.True(t, strings.HasPrefix(resp.Message.ID, "m_"), "fresh llm.NewID, got %q", resp.Message.ID)
	assert.Empty(t, resp.Message.ToolCalls())
	assert.Equal(t, llm.FinishStop, resp.FinishReason)
	assert.Equal(t, llm.Usage{Input: 50, CachedInput: 32, Output: 10, Reasoning: 4}, resp.Usage)
	assert.Equal(t, "gpt-4.1-2025-04-14", resp.Model)

	got := srv.last(t)
	assert.Equal(t, http.MethodPost, got.Method)
	assert.Equal(t, "/v1/chat/completions", got.Path)
	assert.Equal(t, "Bearer sk-test", got.Header.Get("Authorization"))
	assert.Equal(t, "gpt-4.1", got.Body["model"])
	assert.Equal(t, false, got.Body["stream"])
	assert.JSONEq(t, `[{"role":"user","content":"What is Go?"}]`, jsonOf(t, got.Body["messages"]))

	again, err := m.Generate(t.Context(), user("again"))
	require.NoError(t, err)
	assert.NotEqual(t, resp.Message.ID, again.Message.ID, "every reply gets its own ID")
}

func TestGenerateSendsConversationToolsAndSchema(t *testing.T) {
	srv := newServer(t, replyJSON(http.StatusOK, textCompletion("ok")))
	m := newModel(t, srv)
	search := llm.ToolCall{ID: "call_1", Name: "search", Args: json.RawMessage(`{"query":"go iterators"}`)}
	clock := llm.ToolCall{ID: "call_2", Name: "now"}
	assistant := llm.Assistant("Let me look.", search, clock)
	assistant.Name = "researcher"
	req := llm.Request{
		Messages: []llm.Message{
			llm.System("You are terse."),
			llm.User("Find Go iterator docs."),
			assistant,
			llm.Tool(llm.ToolResult{CallID: "call_1", Name: "search", Content: "iter.Seq docs"}),
			llm.Tool(llm.ToolResult{CallID: "call_2", Name: "now", Content: "", IsError: true}),
		},
		Tools: []llm.ToolDef{
			{Name: "search", Description: "Search the web.", Parameters: json.RawMessage(`{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}`)},
			{Name: "now", Description: "Current time."},
		},
		ToolChoice: llm.ToolChoice{Mode: llm.ToolChoiceTool, Name: "search"},
		MaxTokens:  256,
		Stop:       []string{"\n\nEND"},
		Schema: &llm.ResponseSchema{
			Name:   "answer",
			Schema: json.RawMessage(`{"type":"object","properties":{"text":{"type":"string"}},"required":["text"],"additionalProperties":false}`),
			Strict: true,
		},
	}

	_, err := m.Generate(t.Context(), req)
	require.NoError(t, err)

	body := srv.last(t).Body
	assert.JSONEq(t, `[
		{"role":"system","content":"You are terse."},
		{"role":"user","content":"Find Go iterator docs."},
		{"role":"assistant","content":"Let me look.","name":"researcher","tool_calls":[
			{"id":"call_1","type":"function","function":{"name":"search","arguments":"{\"query\":\"go iterators\"}"}},
			{"id":"call_2","type":"function","function":{"name":"now","arguments":"{}"}}]},
		{"role":"tool","tool_call_id":"call_1","content":"iter.Seq docs"},
		{"role":"tool","tool_call_id":"call_2","content":"(no output)"}
	]`, jsonOf(t, body["messages"]))
	assert.JSONEq(t, `[
		{"type":"function","function":{"name":"search","description":"Search the web.",
			"parameters":{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}}},
		{"type":"function","function":{"name":"now","description":"Current time.",
			"parameters":{"type":"object","properties":{}}}}
	]`, jsonOf(t, body["tools"]))
	assert.JSONEq(t, `{"type":"function","function":{"name":"search"}}`, jsonOf(t, body["tool_choice"]))
	assert.JSONEq(t, `{"type":"json_schema","json_schema":{"name":"answer","strict":true,
		"schema":{"type":"object","properties":{"text":{"type":"string"}},"required":["text"],"additionalProperties":false}}}`,
		jsonOf(t, body["response_format"]))
	assert.Equal(t, []any{"\n\nEND"}, body["stop"])
	assert.EqualValues(t, 256, body["max_tokens"], "a custom base URL gets the legacy field")
	assert.NotContains(t, body, "max_completion_tokens")
	assert.NotContains(t, body, "temperature")
}

func TestToolResultsInsideOneMessageBecomeOneToolMessageEach(t *testing.T) {
	srv := newServer(t, replyJSON(http.StatusOK, textCompletion("ok")))
	m := newModel(t, srv)
	results := llm.Message{ID: llm.NewID(), Role: llm.RoleTool, Parts: []llm.Part{
		llm.ToolResultPart(llm.ToolResult{CallID: "a", Content: "one"}),
		llm.ToolResultPart(llm.ToolResult{CallID: "b", Content: "two"}),
	}}
	req := llm.Request{Messages: []llm.Message{
		llm.User("go"),
		llm.Assistant("", llm.ToolCall{ID: "a", Name: "x", Args: json.RawMessage(`{}`)}, llm.ToolCall{ID: "b", Name: "y", Args: json.RawMessage(`{}`)}),
		results,
	}}

	_, err := m.Generate(t.Context(), req)
	require.NoError(t, err)

	assert.JSONEq(t, `[
		{"role":"user","content":"go"},
		{"role":"assistant","tool_calls":[
			{"id":"a","type":"function","function":{"name":"x","arguments":"{}"}},
			{"id":"b","type":"function","function":{"name":"y","arguments":"{}"}}]},
		{"role":"tool","tool_call_id":"a","content":"one"},
		{"role":"tool","tool_call_id":"b","content":"two"}
	]`, jsonOf(t, srv.last(t).Body["messages"]))
}

func TestToolChoiceModes(t *testing.T) {
	tests := []struct {
		name   string
		choice llm.ToolChoice
		want   string // JSON, or "" for absent
	}{
		{"auto is the server default", llm.ToolChoice{}, ""},
		{"none", llm.ToolChoice{Mode: llm.ToolChoiceNone}, `"none"`},
		{"required", llm.ToolChoice{Mode: llm.ToolChoiceRequired}, `"required"`},
		{"specific tool", llm.ToolChoice{Mode: llm.ToolChoiceTool, Name: "search"}, `{"type":"function","function":{"name":"search"}}`},
	}
	srv := newServer(t, replyJSON(http.StatusOK, textCompletion("ok")))
	m := newModel(t, srv)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := user("hi")
			req.Tools = []llm.ToolDef{{Name: "search"}}
			req.ToolChoice = tt.choice
			_, err := m.Generate(t.Context(), req)
			require.NoError(t, err)
			got, ok := srv.last(t).Body["tool_choice"]
			if tt.want == "" {
				assert.False(t, ok, "tool_choice must be absent, got %v", got)
				return
			}
			assert.JSONEq(t, tt.want, jsonOf(t, got))
		})
	}
}

func TestTemperatureReachesTheWire(t *testing.T) {
	tests := []struct {
		name    string
		temp    *float64
		want    any // decoded JSON value, or nil for absent
		wantRaw string
	}{
		{"nil leaves the field out", nil, nil, ""},
		{"explicit zero is sent", llm.Temp(0), 0.0, `"temperature":0`},
		{"non-zero keeps full precision", llm.Temp(0.7), 0.7, `"temperature":0.7`},
	}
	sse := replySSE(textChunk("ok"), finishChunk("stop"))
	json200 := replyJSON(http.StatusOK, textCompletion("ok"))
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") == "text/event-stream" {
			sse(w, r)
			return
		}
		json200(w, r)
	})
	m := newModel(t, srv)
	for _, tt := range tests {
		for _, streamed := range []bool{false, true} {
			name := tt.name + map[bool]string{false: "/generate", true: "/stream"}[streamed]
			t.Run(name, func(t *testing.T) {
				req := user("hi")
				req.Temperature = tt.temp
				var err error
				if streamed {
					_, err = llm.Collect(m.Stream(t.Context(), req))
				} else {
					_, err = m.Generate(t.Context(), req)
				}
				require.NoError(t, err)
				got := srv.last(t)
				require.NotNil(t, got.Body, "the patched body must stay valid JSON: %s", got.Raw)
				value, present := got.Body["temperature"]
				if tt.want == nil {
					assert.False(t, present, "temperature must be absent, body: %s", got.Raw)
					return
				}
				assert.Equal(t, tt.want, value)
				assert.Contains(t, got.Raw, tt.wantRaw)
				assert.Equal(t, 1, strings.Count(got.Raw, `"temperature"`))
			})
		}
	}
}

func TestMaxTokensField(t *testing.T) {
	tests := []struct {
		name      string
		model     string
		official  bool
		param     string
		maxTokens int
		wantField string // "" for neither field
	}{
		{"api.openai.com uses max_completion_tokens", "gpt-4.1", true, "", 100, "max_completion_tokens"},
		{"custom base URL uses max_tokens", "gpt-4.1", false, "", 100, "max_tokens"},
		{"reasoning model name behind a custom server", "gpt-5", false, "", 100, "max_tokens"},
		{"explicit choice wins", "gpt-4.1", false, openai.MaxCompletionTokens, 100, "max_completion_tokens"},
		{"zero sends neither", "gpt-4.1", true, "", 0, ""},
	}
	srv := newServer(t, replyJSON(http.StatusOK, textCompletion("ok")))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newModel(t, srv, func(c *openai.Config) {
				c.Model, c.MaxTokensParam = tt.model, tt.param
				if tt.official {
					c.BaseURL, c.HTTPClient = "", redirectTo(srv)
				}
			})
			req := user("hi")
			req.MaxTokens = tt.maxTokens
			req.Temperature = llm.Temp(1)
			_, err := m.Generate(t.Context(), req)
			require.NoError(t, err)
			body := srv.last(t).Body
			require.NotNil(t, body, "the body must stay valid JSON")
			assert.EqualValues(t, 1, body["temperature"])
			for _, field := range []string{"max_tokens", "max_completion_tokens"} {
				if field == tt.wantField {
					assert.EqualValues(t, tt.maxTokens, body[field])
				} else {
					assert.NotContains(t, body, field)
				}
			}
		})
	}
}

func TestRequestRefusedByGoOpenAIIsBadRequest(t *testing.T) {
	srv := newServer(t, replyJSON(http.StatusOK, textCompletion("ok")))
	m := newModel(t, srv, func(c *openai.Config) { c.Model = "text-davinci-003" }) // not a chat model
	_, err := m.Generate(t.Context(), user("hi"))
	require.ErrorIs(t, err, llm.ErrBadRequest)
	assert.False(t, llm.Retryable(err))
	assert.Empty(t, srv.requests())
}

func TestGenerateToolCallsWithMalformedArguments(t *testing.T) {
	reply := completion(`{"role":"assistant","content":null,"refusal":null,"tool_calls":[
		{"id":"call_ok","type":"function","function":{"name":"search","arguments":"{\"query\": \"go\"}"}},
		{"id":"call_bad","type":"function","function":{"name":"search","arguments":"{\"query\": \"unterminated"}},
		{"id":"call_empty","type":"function","function":{"name":"now","arguments":""}}]}`, "tool_calls")
	srv := newServer(t, replyJSON(http.StatusOK, reply))
	m := newModel(t, srv)

	resp, err := m.Generate(t.Context(), user("search"))
	require.NoError(t, err)
	require.Equal(t, llm.FinishToolCalls, resp.FinishReason)
	calls := resp.Message.ToolCalls()
	require.Len(t, calls, 3)
	assert.Empty(t, resp.Message.Text())

	var args struct{ Query string }
	assert.Equal(t, `{"query": "go"}`, string(calls[0].Args), "valid arguments are kept byte for byte")
	require.NoError(t, calls[0].DecodeArgs(&args))
	assert.Equal(t, "go", args.Query)

	decodeErr := calls[1].DecodeArgs(&args)
	var malformed *llm.MalformedOutputError
	require.ErrorAs(t, decodeErr, &malformed)
	assert.ErrorIs(t, decodeErr, llm.ErrMalformedOutput)
	assert.Equal(t, "tool arguments", malformed.What)
	assert.Contains(t, malformed.Detail, "call_bad")
	var raw string
	require.NoError(t, json.Unmarshal(calls[1].Args, &raw), "invalid arguments are kept as a JSON string")
	assert.Equal(t, `{"query": "unterminated`, raw)

	assert.Nil(t, calls[2].Args)
	var none map[string]any
	require.NoError(t, calls[2].DecodeArgs(&none), "empty arguments decode as {}")

	_, err = json.Marshal(resp.Message)
	require.NoError(t, err, "a reply with malformed arguments must stay serializable")

	// The agent answers the malformed call with the error; the history is
	// sent back as valid JSON.
	next := llm.Request{Messages: []llm.Message{
		llm.User("search"),
		resp.Message,
		llm.Tool(llm.ToolResult{CallID: "call_ok", Content: "result"}),
		llm.Tool(llm.ToolResult{CallID: "call_bad", Content: decodeErr.Error(), IsError: true}),
		llm.Tool(llm.ToolResult{CallID: "call_empty", Content: "12:00"}),
	}}
	_, err = m.Generate(t.Context(), next)
	require.NoError(t, err)
	sent := srv.last(t).Body["messages"].([]any)[1].(map[string]any)["tool_calls"].([]any)
	argsOf := func(i int) string {
		return sent[i].(map[string]any)["function"].(map[string]any)["arguments"].(string)
	}
	assert.Equal(t, `{"query": "go"}`, argsOf(0))
	assert.Equal(t, `"{\"query\": \"unterminated"`, argsOf(1))
	assert.Equal(t, `{}`, argsOf(2))
}

func TestGenerateNormalizesReplies(t *testing.T) {
	tests := []struct {
		name       string
		message    string
		finish     string
		wantText   string
		wantFinish llm.FinishReason
		wantCalls  int
	}{
		{"length", `{"role":"assistant","content":"cut"}`, "length", "cut", llm.FinishLength, 0},
		{"content filter", `{"role":"assistant","content":""}`, "content_filter", "", llm.FinishFilter, 0},
		{"refusal becomes text", `{"role":"assistant","content":null,"refusal":"I can't help with that."}`, "stop", "I can't help with that.", llm.FinishStop, 0},
		{"array content", `{"role":"assistant","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}`, "stop", "ab", llm.FinishStop, 0},
		{"tool calls reported as stop", `{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}`, "stop", "", llm.FinishToolCalls, 1},
		{"unknown reason", `{"role":"assistant","content":"x"}`, "weird", "x", llm.FinishUnknown, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, replyJSON(http.StatusOK, completion(tt.message, tt.finish)))
			resp, err := newModel(t, srv).Generate(t.Context(), user("hi"))
			require.NoError(t, err)
			assert.Equal(t, tt.wantText, resp.Message.Text())
			assert.Equal(t, tt.wantFinish, resp.FinishReason)
			assert.Len(t, resp.Message.ToolCalls(), tt.wantCalls)
		})
	}
}

func TestGenerateSynthesizesMissingToolCallIDs(t *testing.T) {
	reply := completion(`{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}`, "tool_calls")
	srv := newServer(t, replyJSON(http.StatusOK, reply))
	resp, err := newModel(t, srv).Generate(t.Context(), user("hi"))
	require.NoError(t, err)
	calls := resp.Message.ToolCalls()
	require.Len(t, calls, 1)
	assert.True(t, strings.HasPrefix(calls[0].ID, "call_"), "got %q", calls[0].ID)
}

func TestGenerateWithoutChoicesIsMalformed(t *testing.T) {
	srv := newServer(t, replyJSON(http.StatusOK, `{"id":"x","object":"chat.completion","model":"m","choices":[],"usage":{}}`))
	_, err := newModel(t, srv).Generate(t.Context(), user("hi"))
	assert.ErrorIs(t, err, llm.ErrMalformedOutput)
}

func TestEmptySchemaAsksForAnyJSONObject(t *testing.T) {
	srv := newServer(t, replyJSON(http.StatusOK, textCompletion(`{}`)))
	req := user("json please")
	req.Schema = &llm.ResponseSchema{Name: "anything"}
	_, err := newModel(t, srv).Generate(t.Context(), req)
	require.NoError(t, err)
	assert.JSONEq(t, `{"type":"json_object"}`, jsonOf(t, srv.last(t).Body["response_format"]))
}

func TestRequestsRejectedBeforeSending(t *testing.T) {
	tests := []struct {
		name string
		edit func(*llm.Request)
	}{
		{"invalid schema JSON", func(r *llm.Request) { r.Schema = &llm.ResponseSchema{Name: "s", Schema: json.RawMessage(`{`)} }},
		{"invalid tool parameters", func(r *llm.Request) { r.Tools = []llm.ToolDef{{Name: "t", Parameters: json.RawMessage(`{"type":`)}} }},
		{"tool without name", func(r *llm.Request) { r.Tools = []llm.ToolDef{{Description: "nameless"}} }},
		{"tool choice without name", func(r *llm.Request) { r.ToolChoice = llm.ToolChoice{Mode: llm.ToolChoiceTool} }},
		{"unknown tool choice", func(r *llm.Request) { r.ToolChoice = llm.ToolChoice{Mode: "sometimes"} }},
		{"NaN temperature", func(r *llm.Request) { nan := 0.0; nan /= nan; r.Temperature = &nan }},
		{"negative max tokens", func(r *llm.Request) { r.MaxTokens = -1 }},
		{"unknown role", func(r *llm.Request) { r.Messages = append(r.Messages, llm.Message{Role: "narrator"}) }},
		{"tool message without result", func(r *llm.Request) { r.Messages = append(r.Messages, llm.Message{Role: llm.RoleTool}) }},
		{"tool result without call ID", func(r *llm.Request) { r.Messages = append(r.Messages, llm.Tool(llm.ToolResult{Content: "x"})) }},
		{"tool call without ID", func(r *llm.Request) { r.Messages = append(r.Messages, llm.Assistant("", llm.ToolCall{Name: "f"})) }},
		{"tool call on a user message", func(r *llm.Request) {
			r.Messages = append(r.Messages, llm.Message{Role: llm.RoleUser, Parts: []llm.Part{llm.ToolCallPart(llm.ToolCall{ID: "x", Name: "f"})}})
		}},
	}
	srv := newServer(t, replyJSON(http.StatusOK, textCompletion("ok")))
	m := newModel(t, srv)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := user("hi")
			tt.edit(&req)
			_, err := m.Generate(t.Context(), req)
			require.ErrorIs(t, err, llm.ErrBadRequest)
			var pe *llm.ProviderError
			require.True(t, errors.As(err, &pe))
			assert.Equal(t, "openai", pe.Provider)
			assert.False(t, llm.Retryable(err))

			_, err = llm.Collect(m.Stream(t.Context(), req))
			assert.ErrorIs(t, err, llm.ErrBadRequest)
		})
	}
	assert.Empty(t, srv.requests(), "invalid requests never reach the server")
}
