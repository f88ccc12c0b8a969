package langchain

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/anthropic"
	"github.com/tmc/langchaingo/llms/fake"
	"github.com/tmc/langchaingo/llms/ollama"

	"github.com/deepctx/deepctx/agent/llm"
)

const weatherSchema = `{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`

// weatherRequest is a conversation with a system prompt split in two, two
// parallel tool calls and their results, one of them failed.
func weatherRequest() llm.Request {
	return llm.Request{
		Messages: []llm.Message{
			llm.System("You are terse."),
			llm.User("Weather in Paris and Rome?"),
			llm.Assistant("Checking.",
				llm.ToolCall{ID: "c1", Name: "weather", Args: json.RawMessage(`{"city":"Paris"}`)},
				llm.ToolCall{ID: "c2", Name: "weather", Args: json.RawMessage(`{"city":"Rome"}`)}),
			llm.Tool(llm.ToolResult{CallID: "c1", Content: "18C"}),
			llm.Tool(llm.ToolResult{CallID: "c2", Content: "timeout", IsError: true}),
			llm.System("Answer in one line."),
		},
		Tools:       []llm.ToolDef{{Name: "weather", Description: "Current weather", Parameters: json.RawMessage(weatherSchema)}},
		ToolChoice:  llm.ToolChoice{Mode: llm.ToolChoiceRequired},
		Temperature: llm.Temp(0),
		MaxTokens:   256,
		Stop:        []string{"END"},
	}
}

func weatherCall(id, city string) llms.ToolCall {
	return llms.ToolCall{ID: id, Type: "function", FunctionCall: &llms.FunctionCall{Name: "weather", Arguments: `{"city":"` + city + `"}`}}
}

func text(s string) llms.TextContent { return llms.TextContent{Text: s} }

func generate(t *testing.T, cfg Config, req llm.Request) ([]llms.MessageContent, llms.CallOptions) {
	t.Helper()
	rec := &recorder{resp: textReply("ok")}
	_, err := New(rec, cfg).Generate(context.Background(), req)
	require.NoError(t, err)
	msgs, opts, calls := rec.received()
	require.Equal(t, 1, calls)
	return msgs, opts
}

func TestGenerateConvertsGroupedConversationAndOptions(t *testing.T) {
	msgs, opts := generate(t, Config{Model: "gpt-x", Dialect: DialectGrouped}, weatherRequest())

	want := []llms.MessageContent{
		{Role: llms.ChatMessageTypeSystem, Parts: []llms.ContentPart{text("You are terse.\n\nAnswer in one line.")}},
		{Role: llms.ChatMessageTypeHuman, Parts: []llms.ContentPart{text("Weather in Paris and Rome?")}},
		{Role: llms.ChatMessageTypeAI, Parts: []llms.ContentPart{text("Checking."), weatherCall("c1", "Paris"), weatherCall("c2", "Rome")}},
		{Role: llms.ChatMessageTypeTool, Parts: []llms.ContentPart{llms.ToolCallResponse{ToolCallID: "c1", Name: "weather", Content: "18C"}}},
		{Role: llms.ChatMessageTypeTool, Parts: []llms.ContentPart{llms.ToolCallResponse{ToolCallID: "c2", Name: "weather", Content: "Error: timeout"}}},
	}
	assert.Equal(t, want, msgs)

	assert.Equal(t, "gpt-x", opts.Model)
	assert.Equal(t, 0.0, opts.Temperature, "an explicit temperature 0 is passed")
	assert.Equal(t, 256, opts.MaxTokens)
	assert.Equal(t, []string{"END"}, opts.StopWords)
	assert.Equal(t, "required", opts.ToolChoice)
	assert.False(t, opts.JSONMode)
	require.Len(t, opts.Tools, 1)
	assert.Equal(t, "function", opts.Tools[0].Type)
	assert.Equal(t, "weather", opts.Tools[0].Function.Name)
	assert.Equal(t, "Current weather", opts.Tools[0].Function.Description)
	assert.Equal(t, map[string]any{
		"type":       "object",
		"properties": map[string]any{"city": map[string]any{"type": "string"}},
		"required":   []any{"city"},
	}, opts.Tools[0].Function.Parameters)
}

func TestGenerateSplitsPartsForAnthropicDialect(t *testing.T) {
	msgs, _ := generate(t, Config{Dialect: DialectSplit}, weatherRequest())

	want := []llms.MessageContent{
		{Role: llms.ChatMessageTypeSystem, Parts: []llms.ContentPart{text("You are terse.\n\nAnswer in one line.")}},
		{Role: llms.ChatMessageTypeHuman, Parts: []llms.ContentPart{text("Weather in Paris and Rome?")}},
		{Role: llms.ChatMessageTypeAI, Parts: []llms.ContentPart{text("Checking.")}},
		{Role: llms.ChatMessageTypeAI, Parts: []llms.ContentPart{weatherCall("c1", "Paris")}},
		{Role: llms.ChatMessageTypeAI, Parts: []llms.ContentPart{weatherCall("c2", "Rome")}},
		{Role: llms.ChatMessageTypeTool, Parts: []llms.ContentPart{llms.ToolCallResponse{ToolCallID: "c1", Name: "weather", Content: "18C"}}},
		{Role: llms.ChatMessageTypeTool, Parts: []llms.ContentPart{llms.ToolCallResponse{ToolCallID: "c2", Name: "weather", Content: "Error: timeout"}}},
	}
	assert.Equal(t, want, msgs)
}

func TestGenerateRendersToolHistoryAsTextForTextDialect(t *testing.T) {
	req := weatherRequest()
	req.Tools, req.ToolChoice = nil, llm.ToolChoice{}
	msgs, _ := generate(t, Config{Dialect: DialectText}, req)

	want := []llms.MessageContent{
		{Role: llms.ChatMessageTypeSystem, Parts: []llms.ContentPart{text("You are terse.\n\nAnswer in one line.")}},
		{Role: llms.ChatMessageTypeHuman, Parts: []llms.ContentPart{text("Weather in Paris and Rome?")}},
		{Role: llms.ChatMessageTypeAI, Parts: []llms.ContentPart{text("Checking.\n\n" +
			`[Called tool weather (call c1) with arguments {"city":"Paris"}]` + "\n\n" +
			`[Called tool weather (call c2) with arguments {"city":"Rome"}]`)}},
		{Role: llms.ChatMessageTypeHuman, Parts: []llms.ContentPart{text("[Result of tool weather (call c1)]\n18C")}},
		{Role: llms.ChatMessageTypeHuman, Parts: []llms.ContentPart{text("[Tool weather (call c2) failed]\ntimeout")}},
	}
	assert.Equal(t, want, msgs)
}

func TestGenerateRejectsToolsInTextDialectWithoutCalling(t *testing.T) {
	rec := &recorder{resp: textReply("ok")}
	_, err := New(rec, Config{Provider: "ollama", Dialect: DialectText}).Generate(context.Background(), weatherRequest())

	require.ErrorIs(t, err, llm.ErrBadRequest)
	assert.Contains(t, err.Error(), "ollama")
	_, _, calls := rec.received()
	assert.Zero(t, calls)
}

func TestNewDetectsDialectFromModelType(t *testing.T) {
	tests := []struct {
		name  string
		model llms.Model
		want  Dialect
	}{
		{"anthropic", &anthropic.LLM{}, DialectSplit},
		{"ollama", &ollama.LLM{}, DialectText},
		{"other", fake.NewFakeLLM([]string{"x"}), DialectGrouped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, New(tt.model, Config{}).Config().Dialect)
		})
	}
	assert.Equal(t, DialectGrouped, New(&anthropic.LLM{}, Config{Dialect: DialectGrouped}).Config().Dialect, "an explicit dialect wins")
	assert.Equal(t, "langchain", New(&recorder{}, Config{}).Config().Provider)
}

func TestGenerateTemperatureAndMaxTokens(t *testing.T) {
	tests := []struct {
		name        string
		cfg         Config
		temperature *float64
		maxTokens   int
		wantTemp    float64
		wantMax     int
	}{
		{"unset", Config{}, nil, 0, unsetTemperature, unsetMaxTokens},
		{"explicit zero", Config{}, llm.Temp(0), 0, 0, unsetMaxTokens},
		{"defaults apply", Config{DefaultTemperature: llm.Temp(0.7), DefaultMaxTokens: 100}, nil, 0, 0.7, 100},
		{"request beats defaults", Config{DefaultTemperature: llm.Temp(0.7), DefaultMaxTokens: 100}, llm.Temp(0), 50, 0, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, opts := generate(t, tt.cfg, llm.Request{
				Messages:    []llm.Message{llm.User("hi")},
				Temperature: tt.temperature,
				MaxTokens:   tt.maxTokens,
			})
			assert.Equal(t, tt.wantTemp, opts.Temperature)
			assert.Equal(t, tt.wantMax, opts.MaxTokens)
			assert.Empty(t, opts.Model, "no model option without Config.Model")
			assert.Nil(t, opts.Tools)
			assert.Nil(t, opts.ToolChoice)
		})
	}
}

func TestGenerateToolChoice(t *testing.T) {
	tests := []struct {
		choice llm.ToolChoice
		want   any
	}{
		{llm.ToolChoice{}, nil},
		{llm.ToolChoice{Mode: llm.ToolChoiceNone}, "none"},
		{llm.ToolChoice{Mode: llm.ToolChoiceRequired}, "required"},
		{llm.ToolChoice{Mode: llm.ToolChoiceTool, Name: "weather"}, map[string]any{"type": "function", "function": map[string]any{"name": "weather"}}},
	}
	for _, tt := range tests {
		t.Run(string(tt.choice.Mode), func(t *testing.T) {
			req := weatherRequest()
			req.ToolChoice = tt.choice
			_, opts := generate(t, Config{}, req)
			assert.Equal(t, tt.want, opts.ToolChoice)
		})
	}
}

func TestGenerateAsksForSchemaInSystemPromptAndJSONMode(t *testing.T) {
	msgs, opts := generate(t, Config{}, llm.Request{
		Messages: []llm.Message{llm.User("List two moons.")},
		Schema:   &llm.ResponseSchema{Name: "moons", Schema: json.RawMessage("{\n  \"type\": \"array\"\n}")},
	})

	assert.True(t, opts.JSONMode)
	require.Len(t, msgs, 2)
	assert.Equal(t, llms.ChatMessageTypeSystem, msgs[0].Role)
	assert.Equal(t, []llms.ContentPart{text(
		"Respond with a single JSON document and nothing else. It must be valid against this JSON Schema (moons):\n" + `{"type":"array"}`)}, msgs[0].Parts)
}

func TestGenerateSendsNonObjectArgumentsAsEmptyObject(t *testing.T) {
	for _, args := range []string{"", `"not json {"`, `[1,2]`, `null`} {
		t.Run(args, func(t *testing.T) {
			msgs, _ := generate(t, Config{}, llm.Request{Messages: []llm.Message{
				llm.User("go"),
				llm.Assistant("", llm.ToolCall{ID: "c1", Name: "search", Args: json.RawMessage(args)}),
				llm.Tool(llm.ToolResult{CallID: "c1", Content: "bad arguments", IsError: true}),
			}})
			require.Len(t, msgs, 3)
			call := msgs[1].Parts[0].(llms.ToolCall)
			assert.Equal(t, "{}", call.FunctionCall.Arguments)
		})
	}
}

func TestGenerateToolParameters(t *testing.T) {
	tests := []struct {
		name   string
		params string
		want   map[string]any
	}{
		{"none", "", map[string]any{"type": "object", "properties": map[string]any{}}},
		{"null", "null", map[string]any{"type": "object", "properties": map[string]any{}}},
		{"object without properties", `{"type":"object"}`, map[string]any{"type": "object", "properties": map[string]any{}}},
		{"kept as is", weatherSchema, map[string]any{
			"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []any{"city"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, opts := generate(t, Config{}, llm.Request{
				Messages: []llm.Message{llm.User("hi")},
				Tools:    []llm.ToolDef{{Name: "t", Parameters: json.RawMessage(tt.params)}},
			})
			require.Len(t, opts.Tools, 1)
			assert.Equal(t, tt.want, opts.Tools[0].Function.Parameters)
		})
	}
}

func TestGenerateRejectsBadRequestsWithoutCalling(t *testing.T) {
	user := []llm.Message{llm.User("hi")}
	tests := []struct {
		name string
		req  llm.Request
	}{
		{"no messages", llm.Request{}},
		{"only system", llm.Request{Messages: []llm.Message{llm.System("sys")}}},
		{"unknown role", llm.Request{Messages: []llm.Message{{Role: "narrator", Parts: []llm.Part{llm.TextPart("x")}}}}},
		{"tool call in system", llm.Request{Messages: []llm.Message{{Role: llm.RoleSystem, Parts: []llm.Part{llm.ToolCallPart(llm.ToolCall{ID: "c"})}}}}},
		{"schema not an object", llm.Request{Messages: user, Tools: []llm.ToolDef{{Name: "t", Parameters: json.RawMessage(`[1]`)}}}},
		{"tool without name", llm.Request{Messages: user, Tools: []llm.ToolDef{{}}}},
		{"tool twice", llm.Request{Messages: user, Tools: []llm.ToolDef{{Name: "t"}, {Name: "t"}}}},
		{"choice of undefined tool", llm.Request{Messages: user, Tools: []llm.ToolDef{{Name: "t"}}, ToolChoice: llm.ToolChoice{Mode: llm.ToolChoiceTool, Name: "u"}}},
		{"unknown choice mode", llm.Request{Messages: user, Tools: []llm.ToolDef{{Name: "t"}}, ToolChoice: llm.ToolChoice{Mode: "maybe"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{resp: textReply("ok")}
			_, err := New(rec, Config{Provider: "p"}).Generate(context.Background(), tt.req)

			require.ErrorIs(t, err, llm.ErrBadRequest)
			var pe *llm.ProviderError
			require.True(t, errors.As(err, &pe))
			assert.Equal(t, "p", pe.Provider)
			_, _, calls := rec.received()
			assert.Zero(t, calls)
		})
	}
}

func TestGenerateWithNilModelIsAnError(t *testing.T) {
	_, err := New(nil, Config{}).Generate(context.Background(), llm.Request{Messages: []llm.Message{llm.User("hi")}})
	require.ErrorIs(t, err, llm.ErrBadRequest)
}

func TestConfigCallOptionsComeFirst(t *testing.T) {
	_, opts := generate(t, Config{CallOptions: []llms.CallOption{llms.WithTopP(0.3), llms.WithTemperature(0.9)}},
		llm.Request{Messages: []llm.Message{llm.User("hi")}, Temperature: llm.Temp(0.2)})

	assert.Equal(t, 0.3, opts.TopP)
	assert.Equal(t, 0.2, opts.Temperature, "the request's temperature wins")
}
