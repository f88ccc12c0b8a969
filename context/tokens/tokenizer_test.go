package tokens

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
)

// cookbookMessages is the example conversation of OpenAI's "How to count
// tokens with tiktoken", section 6.
func cookbookMessages() []llm.Message {
	msg := func(id string, role llm.Role, name, text string) llm.Message {
		return llm.Message{ID: id, Role: role, Name: name, Parts: []llm.Part{llm.TextPart(text)}}
	}
	return []llm.Message{
		msg("c1", llm.RoleSystem, "", "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."),
		msg("c2", llm.RoleSystem, "example_user", "New synergies will help drive top-line growth."),
		msg("c3", llm.RoleSystem, "example_assistant", "Things working well together will increase revenue."),
		msg("c4", llm.RoleSystem, "example_user", "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."),
		msg("c5", llm.RoleSystem, "example_assistant", "Let's talk later when we're less busy about how to do better."),
		msg("c6", llm.RoleUser, "", "This late pivot means we don't have time to boil the ocean for the client deliverable."),
	}
}

// cookbookTools and cookbookToolMessages are the example of section 7.
func cookbookTools() []llm.ToolDef {
	return []llm.ToolDef{{
		Name:        "get_current_weather",
		Description: "Get the current weather in a given location",
		Parameters: json.RawMessage(`{
			"type": "object",
			"properties": {
				"location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
				"unit": {"type": "string", "description": "The unit of temperature to return", "enum": ["celsius", "fahrenheit"]}
			},
			"required": ["location"]
		}`),
	}}
}

func cookbookToolMessages() []llm.Message {
	return []llm.Message{
		{ID: "w1", Role: llm.RoleSystem, Parts: []llm.Part{llm.TextPart("You are a helpful assistant that can answer to questions about the weather.")}},
		{ID: "w2", Role: llm.RoleUser, Parts: []llm.Part{llm.TextPart("What's the weather like in San Francisco?")}},
	}
}

func fresh(model string) *Tokenizer {
	info, _ := Lookup(model)
	return New(info, Options{Memo: NewMemo(0)})
}

// The cookbook shows these figures equal to the prompt tokens the OpenAI API
// reported for the same requests.
func TestCountMessagesMatchesOpenAICookbook(t *testing.T) {
	tests := []struct {
		model      string
		messages   int // section 6
		withTools  int // section 7
		toolsAlone int
	}{
		{"gpt-3.5-turbo", 129, 105, 0},
		{"gpt-4-0613", 129, 105, 0},
		{"gpt-4", 129, 105, 0},
		{"gpt-4o", 124, 101, 0},
		{"gpt-4o-mini", 124, 101, 0},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			tok := fresh(tt.model)
			assert.Equal(t, tt.messages, tok.CountMessages(cookbookMessages(), nil))
			assert.Equal(t, tt.withTools, tok.CountMessages(cookbookToolMessages(), cookbookTools()))
			// Memoized and unmemoized (no IDs) counts agree.
			noIDs := cookbookMessages()
			for i := range noIDs {
				noIDs[i].ID = ""
			}
			assert.Equal(t, tt.messages, tok.CountMessages(noIDs, nil))
		})
	}
}

func TestCountMessagesIsTheSumOfItsParts(t *testing.T) {
	tok := fresh("gpt-4.1")
	msgs, tools := cookbookToolMessages(), cookbookTools()
	sum := ReplyPrimingTokens
	for _, m := range msgs {
		sum += tok.CountMessage(m)
	}
	assert.Equal(t, sum, tok.CountMessages(msgs, nil))
	assert.Equal(t, sum+tok.CountTools(tools), tok.CountMessages(msgs, tools))
	assert.Equal(t, 0, tok.CountMessages(nil, nil), "an empty request has no tokens")
	assert.Equal(t, ReplyPrimingTokens+tok.CountTools(tools), tok.CountMessages(nil, tools))
	assert.Equal(t, 0, tok.CountTools(nil))
}

func TestCountMessageFraming(t *testing.T) {
	tok := fresh("gpt-4o")
	c := tok.Count
	args := `{"query":"context engineering","limit":5}`
	tests := []struct {
		name string
		msg  llm.Message
		want int
	}{
		{"user text", llm.Message{Role: llm.RoleUser, Parts: []llm.Part{llm.TextPart("hello world")}},
			TokensPerMessage + c("user") + 2},
		{"name costs its tokens plus one", llm.Message{Role: llm.RoleUser, Name: "alice", Parts: []llm.Part{llm.TextPart("hello world")}},
			TokensPerMessage + c("user") + 2 + c("alice") + TokensPerName},
		{"text parts count as one content string", llm.Message{Role: llm.RoleUser, Parts: []llm.Part{llm.TextPart("hello"), llm.TextPart(" world")}},
			TokensPerMessage + c("user") + 2},
		{"assistant tool call", llm.Assistant("", llm.ToolCall{ID: "call_1", Name: "search", Args: json.RawMessage(args)}),
			TokensPerMessage + c("assistant") + ToolCallTokens + c("search") + c(args)},
		{"text and two calls", llm.Assistant("Let me look.",
			llm.ToolCall{ID: "a", Name: "search", Args: json.RawMessage(args)}, llm.ToolCall{ID: "b", Name: "fetch"}),
			TokensPerMessage + c("assistant") + c("Let me look.") + 2*ToolCallTokens + c("search") + c(args) + c("fetch")},
		{"tool result", llm.Tool(llm.ToolResult{CallID: "call_1", Name: "search", Content: "3 results: a, b, c"}),
			TokensPerMessage + c("tool") + ToolResultTokens + c("search") + c("3 results: a, b, c")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tok.CountMessage(tt.msg))
		})
	}
}

func TestCountToolsGeneralizesTheCookbookFormula(t *testing.T) {
	tok := fresh("gpt-4o")
	c := tok.Count
	flat := llm.ToolDef{Name: "f", Description: "Does things.", Parameters: json.RawMessage(
		`{"type":"object","properties":{"q":{"type":"string","description":"The query."}}}`)}
	noParams := llm.ToolDef{Name: "now", Description: "Current time"}
	nested := llm.ToolDef{Name: "g", Parameters: json.RawMessage(`{"type":"object","properties":{
		"filter":{"type":"object","description":"Filter","properties":{"lang":{"type":"string","description":"ISO code"}}},
		"ids":{"type":"array","items":{"type":"integer"},"maxItems":10},
		"mode":{"type":["string","null"],"enum":["fast",1]}}}`)}
	invalid := llm.ToolDef{Name: "bad", Parameters: json.RawMessage(`{not json`)}

	tests := []struct {
		name string
		def  llm.ToolDef
		want int
	}{
		{"flat, trailing periods dropped", flat,
			funcInitO200k + c("f:Does things") + propInit + propKey + c("q:string:The query") + funcEnd},
		{"no parameters", noParams, funcInitO200k + c("now:Current time") + funcEnd},
		{"nested object, array items, extra keywords, type lists, non-string enums", nested,
			funcInitO200k + c("g:") + propInit +
				propKey + c("filter:object:Filter") + propInit + propKey + c("lang:string:ISO code") +
				propKey + c("ids:array:") + c("integer") + c("maxItems:10") +
				propKey + c("mode:string | null:") + enumInit + 2*enumItem + c("fast") + c("1") +
				funcEnd},
		{"invalid schema counts as text", invalid, funcInitO200k + c("bad:") + c(`{not json`) + funcEnd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tok.CountTools([]llm.ToolDef{tt.def}))
		})
	}
	// funcEnd is paid once per request, funcInit once per tool.
	assert.Equal(t, tok.CountTools([]llm.ToolDef{flat})+tok.CountTools([]llm.ToolDef{noParams})-funcEnd,
		tok.CountTools([]llm.ToolDef{flat, noParams}))
	// cl100k models start each function with 10 tokens instead of 7.
	gpt4 := fresh("gpt-4")
	assert.Equal(t, funcInitCL100k+gpt4.Count("now:Current time")+funcEnd, gpt4.CountTools([]llm.ToolDef{noParams}))
}

func ceilMul(n int, f float64) int { return int(math.Ceil(float64(n)*f - 1e-9)) }

func TestApproximateModels(t *testing.T) {
	o200k, cl100k := mustEncoder(t, O200kBase), mustEncoder(t, CL100kBase)
	text := "The 2024 report lists 1234567 entries across 42 regions."
	digits := digitExtra(text)
	require.Equal(t, 1+0+5+1, digits, "2024, 42 and 1234567 split into single digits")

	tests := []struct {
		model string
		want  int
	}{
		{"gpt-4o", o200k.Count(text)},
		{"gpt-4", cl100k.Count(text)},
		{"claude-sonnet-4-5", ceilMul(o200k.Count(text), 1.30)},
		{"gemini-2.5-flash", ceilMul(o200k.Count(text), 1.10) + digits},
		{"llama3.1", cl100k.Count(text)},
		{"qwen3", ceilMul(cl100k.Count(text), 1.05) + digits},
		{"mistral", ceilMul(cl100k.Count(text), 1.20) + digits},
		{"deepseek-r1", ceilMul(o200k.Count(text), 1.25)},
		{"unknown-model-x", ceilMul(o200k.Count(text), 1.30) + digits},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			info, _ := Lookup(tt.model)
			tok := New(info, Options{Memo: NewMemo(0)})
			assert.Equal(t, tt.want, tok.Count(text))
			assert.GreaterOrEqual(t, tok.Count(text), o200k.Count(text)-1, "approximations err high")
		})
	}
}

func TestApproximateModelsScaleWholeRequests(t *testing.T) {
	gpt := fresh("gpt-4o")
	claude := fresh("claude-sonnet-4-5")
	msgs := cookbookToolMessages()
	assert.Equal(t, ceilMul(gpt.CountMessages(msgs, nil), 1.30), claude.CountMessages(msgs, nil))

	// Tools count as JSON text plus Anthropic's documented tool-use prompt.
	tools := cookbookTools()
	jsonText := `{"type":"function","function":{"name":"get_current_weather","description":"Get the current weather in a given location","parameters":` +
		string(mustCompact(t, tools[0].Parameters)) + `}}`
	assert.Equal(t, ceilMul(gpt.Count(jsonText), 1.30)+346, claude.CountTools(tools))
	raw := gpt.CountMessages(msgs, nil) + gpt.Count(jsonText)
	assert.Equal(t, ceilMul(raw, 1.30)+346, claude.CountMessages(msgs, tools))
}

// mustCompact is the parameters' JSON as the tokenizer embeds it: compacted,
// key order preserved.
func mustCompact(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, json.Compact(&buf, raw))
	return buf.Bytes()
}

func TestCountRequestAddsTheResponseSchema(t *testing.T) {
	tok := fresh("gpt-4.1")
	schema := json.RawMessage(`{"type":"object","properties":{"answer":{"type":"string"}}}`)
	req := llm.Request{Messages: cookbookMessages(), Tools: cookbookTools(),
		Schema: &llm.ResponseSchema{Name: "answer", Schema: schema}}
	want := tok.CountMessages(req.Messages, req.Tools) + tok.Count("answer") + tok.Count(string(schema))
	assert.Equal(t, want, tok.CountRequest(req))
	req.Schema = nil
	assert.Equal(t, tok.CountMessages(req.Messages, req.Tools), tok.CountRequest(req))
}

func TestEstimateAppliesTheCalibrator(t *testing.T) {
	cal := NewCalibrator(CalibratorConfig{})
	info, _ := Lookup("anthropic:claude-sonnet-4-5-20250929")
	tok := New(info, Options{Memo: NewMemo(0), Calibrator: cal})
	msgs := cookbookMessages()
	raw := tok.CountMessages(msgs, nil)

	assert.Equal(t, raw, tok.Estimate(msgs, nil), "no observation yet")
	tok.Observe(msgs, nil, raw*11/10) // the provider counted 10% more
	ratio, samples := cal.Ratio("claude-sonnet-4-5")
	assert.Equal(t, 1, samples)
	assert.InDelta(t, float64(raw*11/10)/float64(raw), ratio, 1e-9)
	assert.Equal(t, ceilMul(raw, ratio), tok.Estimate(msgs, nil))
	assert.Equal(t, raw, tok.CountMessages(msgs, nil), "CountMessages stays uncalibrated")

	plain := fresh("claude-sonnet-4-5")
	plain.Observe(msgs, nil, 1) // no calibrator: no effect, no panic
	assert.Equal(t, raw, plain.Estimate(msgs, nil))
}

func TestForModelAndCount(t *testing.T) {
	assert.Equal(t, 2, Count("openai:gpt-4.1", "hello world"))
	assert.Equal(t, 2, ForModel("gpt-4").Count("hello world"))
	assert.Equal(t, "claude-haiku-4-5", ForModel("anthropic:claude-haiku-4-5").Info().Name)
}

func TestNewNormalizesInfo(t *testing.T) {
	tok := New(ModelInfo{Name: "custom", Encoding: "nonsense", Factor: 0}, Options{Memo: NewMemo(0)})
	assert.Equal(t, O200kBase, tok.Info().Encoding)
	assert.Equal(t, 1.0, tok.Info().Factor)
	assert.Equal(t, 2, tok.Count("hello world"))
	var c Counter = CounterFunc(func(s string) int { return len(s) })
	assert.Equal(t, 5, c.Count("hello"))
}
