package langchain

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/fake"

	"github.com/deepctx/deepctx/agent/llm"
)

func reply(t *testing.T, cfg Config, resp *llms.ContentResponse) llm.Response {
	t.Helper()
	got, err := New(&recorder{resp: resp}, cfg).Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("hi")}})
	require.NoError(t, err)
	return got
}

func TestUsageFromGenerationInfo(t *testing.T) {
	type mistralUsage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	}
	tests := []struct {
		name string
		info map[string]any
		want llm.Usage
	}{
		{"openai", map[string]any{
			"PromptTokens": 100, "CompletionTokens": 40, "TotalTokens": 140,
			"ReasoningTokens": 10, "PromptCachedTokens": 60, "ThinkingTokens": 10,
		}, llm.Usage{Input: 100, CachedInput: 60, Output: 40, Reasoning: 10}},
		{"anthropic adds cache reads and writes to input", map[string]any{
			"InputTokens": 20, "OutputTokens": 7, "CacheReadInputTokens": 100, "CacheCreationInputTokens": 30,
		}, llm.Usage{Input: 150, CachedInput: 100, Output: 7}},
		{"googleai int32, cache inside prompt count", map[string]any{
			"input_tokens": int32(12), "output_tokens": int32(3), "total_tokens": int32(15),
			"PromptTokens": int32(12), "CompletionTokens": int32(3),
			"CachedTokens": int32(4), "CacheReadInputTokens": int32(4), "ThinkingTokens": 0,
		}, llm.Usage{Input: 12, CachedInput: 4, Output: 3}},
		{"ollama", map[string]any{"PromptTokens": 9, "CompletionTokens": 4, "TotalTokens": 13, "ThinkingContent": ""},
			llm.Usage{Input: 9, Output: 4}},
		{"ollama native names", map[string]any{"prompt_eval_count": int64(26), "eval_count": int64(3)},
			llm.Usage{Input: 26, Output: 3}},
		{"bedrock", map[string]any{"input_tokens": 5, "output_tokens": 2}, llm.Usage{Input: 5, Output: 2}},
		{"float64 after JSON", map[string]any{"prompt_tokens": 5.0, "completion_tokens": 2.0}, llm.Usage{Input: 5, Output: 2}},
		{"json.Number", map[string]any{"PromptTokens": json.Number("8"), "CompletionTokens": json.Number("1")}, llm.Usage{Input: 8, Output: 1}},
		{"mistral nested struct", map[string]any{"model": "m", "usage": mistralUsage{11, 6, 17}}, llm.Usage{Input: 11, Output: 6}},
		{"nested map", map[string]any{"usage": map[string]any{"input_tokens": 3, "output_tokens": 1}}, llm.Usage{Input: 3, Output: 1}},
		{"cache never exceeds input", map[string]any{"PromptTokens": 10, "CompletionTokens": 1, "CachedTokens": 50}, llm.Usage{Input: 10, CachedInput: 10, Output: 1}},
		{"none", map[string]any{"ThinkingContent": "", "citations": nil}, llm.Usage{}},
		{"nil", nil, llm.Usage{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := reply(t, Config{}, &llms.ContentResponse{Choices: []*llms.ContentChoice{{Content: "x", GenerationInfo: tt.info}}})
			assert.Equal(t, tt.want, got.Usage)
		})
	}
}

func TestFinishReasonNormalized(t *testing.T) {
	tests := []struct {
		raw      string
		hasCalls bool
		want     llm.FinishReason
	}{
		{"stop", false, llm.FinishStop},
		{"end_turn", false, llm.FinishStop},
		{"stop_sequence", false, llm.FinishStop},
		{"FinishReasonStop", false, llm.FinishStop},
		{"COMPLETE", false, llm.FinishStop},
		{"", false, llm.FinishStop},
		{"", true, llm.FinishToolCalls},
		{"stop", true, llm.FinishToolCalls},
		{"tool_use", true, llm.FinishToolCalls},
		{"tool_calls", true, llm.FinishToolCalls},
		{"function_call", true, llm.FinishToolCalls},
		{"length", false, llm.FinishLength},
		{"max_tokens", false, llm.FinishLength},
		{"FinishReasonMaxTokens", false, llm.FinishLength},
		{"MAX_TOKENS", true, llm.FinishLength},
		{"content_filter", false, llm.FinishFilter},
		{"FinishReasonSafety", false, llm.FinishFilter},
		{"FinishReasonRecitation", false, llm.FinishFilter},
		{"FinishReasonOther", false, llm.FinishUnknown},
		{"something_new", false, llm.FinishUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			assert.Equal(t, tt.want, finishReason(tt.raw, tt.hasCalls))
		})
	}
}

func TestResponseMergesAnthropicStyleChoices(t *testing.T) {
	usage := map[string]any{"InputTokens": 10, "OutputTokens": 5, "CacheReadInputTokens": 0, "CacheCreationInputTokens": 0}
	got := reply(t, Config{Model: "claude-x"}, &llms.ContentResponse{Choices: []*llms.ContentChoice{
		{Content: "", StopReason: "tool_use", GenerationInfo: map[string]any{"ThinkingContent": "hmm", "InputTokens": 10, "OutputTokens": 5}},
		{Content: "Let me check.", StopReason: "tool_use", GenerationInfo: usage},
		{StopReason: "tool_use", GenerationInfo: usage, ToolCalls: []llms.ToolCall{
			{ID: "toolu_1", FunctionCall: &llms.FunctionCall{Name: "search", Arguments: `{"q":"moons"}`}},
		}},
	}})

	assert.Equal(t, llm.RoleAssistant, got.Message.Role)
	assert.NotEmpty(t, got.Message.ID)
	assert.Equal(t, "Let me check.", got.Message.Text())
	assert.Equal(t, []llm.ToolCall{{ID: "toolu_1", Name: "search", Args: json.RawMessage(`{"q":"moons"}`)}}, got.Message.ToolCalls())
	assert.Equal(t, llm.FinishToolCalls, got.FinishReason)
	assert.Equal(t, llm.Usage{Input: 10, Output: 5}, got.Usage, "usage is counted once, not per choice")
	assert.Equal(t, "claude-x", got.Model)
}

func TestResponseKeepsMalformedArgumentsMarshalable(t *testing.T) {
	got := reply(t, Config{}, &llms.ContentResponse{Choices: []*llms.ContentChoice{{ToolCalls: []llms.ToolCall{
		{ID: "c1", FunctionCall: &llms.FunctionCall{Name: "search", Arguments: `{"q": "moons`}},
		{ID: "c2", FunctionCall: &llms.FunctionCall{Name: "search", Arguments: "  "}},
	}}}})
	calls := got.Message.ToolCalls()
	require.Len(t, calls, 2)

	assert.Equal(t, json.RawMessage(`"{\"q\": \"moons"`), calls[0].Args, "invalid JSON is kept as a JSON string")
	_, err := json.Marshal(got)
	require.NoError(t, err, "the response must stay marshalable")
	var args struct{ Q string }
	err = calls[0].DecodeArgs(&args)
	var mo *llm.MalformedOutputError
	require.True(t, errors.As(err, &mo))
	assert.ErrorIs(t, err, llm.ErrMalformedOutput)
	assert.Equal(t, `{"q": "moons`, mo.Raw, "Raw is the text the model produced")

	assert.Nil(t, calls[1].Args, "blank arguments stay empty")
	require.NoError(t, calls[1].DecodeArgs(&args))
}

func TestResponseSynthesizesMissingCallIDsAndReadsLegacyFuncCall(t *testing.T) {
	got := reply(t, Config{}, &llms.ContentResponse{Choices: []*llms.ContentChoice{
		{ToolCalls: []llms.ToolCall{
			{FunctionCall: &llms.FunctionCall{Name: "a", Arguments: `{}`}},
			{FunctionCall: &llms.FunctionCall{Name: "b", Arguments: `{}`}},
			{ID: "no-function"},
		}},
		{FuncCall: &llms.FunctionCall{Name: "legacy", Arguments: `{"x":1}`}, StopReason: "function_call"},
	}})
	calls := got.Message.ToolCalls()
	require.Len(t, calls, 3)

	assert.Equal(t, []string{"a", "b", "legacy"}, []string{calls[0].Name, calls[1].Name, calls[2].Name})
	for _, c := range calls {
		assert.NotEmpty(t, c.ID)
	}
	assert.NotEqual(t, calls[0].ID, calls[1].ID)
	assert.JSONEq(t, `{"x":1}`, string(calls[2].Args))
	assert.Equal(t, llm.FinishToolCalls, got.FinishReason)
}

func TestResponseModelFallsBackToGenerationInfo(t *testing.T) {
	got := reply(t, Config{}, &llms.ContentResponse{Choices: []*llms.ContentChoice{{Content: "x", GenerationInfo: map[string]any{"model": "mistral-small"}}}})
	assert.Equal(t, "mistral-small", got.Model)
}

func TestResponseWithoutChoicesIsMalformed(t *testing.T) {
	for _, resp := range []*llms.ContentResponse{nil, {}, {Choices: []*llms.ContentChoice{}}} {
		_, err := New(&recorder{resp: resp}, Config{}).Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("hi")}})
		var mo *llm.MalformedOutputError
		require.True(t, errors.As(err, &mo))
		assert.Equal(t, "response", mo.What)
	}
}

func TestGenerateWithLangchainFakeModel(t *testing.T) {
	m := New(fake.NewFakeLLM([]string{"first", "second"}), Config{Provider: "fake"})
	ctx := context.Background()
	req := llm.Request{Messages: []llm.Message{llm.User("hi")}}

	r1, err := m.Generate(ctx, req)
	require.NoError(t, err)
	r2, err := m.Generate(ctx, req)
	require.NoError(t, err)

	assert.Equal(t, "first", r1.Message.Text())
	assert.Equal(t, "second", r2.Message.Text())
	assert.Equal(t, llm.FinishStop, r1.FinishReason)
	assert.NotEqual(t, r1.Message.ID, r2.Message.ID)
	assert.Empty(t, r1.Message.ToolCalls())
}
