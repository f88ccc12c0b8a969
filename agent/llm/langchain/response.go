package langchain

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/tmc/langchaingo/llms"

	"github.com/deepctx/deepctx/agent/llm"
)

// response converts a langchaingo response into ours.
//
// All choices are read as parts of one reply, in order: langchaingo's
// anthropic returns one choice per content block (text, tool use,
// thinking). Usage comes from the first choice that reports any.
func (m *Model) response(cr *llms.ContentResponse) (llm.Response, error) {
	if cr == nil || len(cr.Choices) == 0 {
		return llm.Response{}, &llm.MalformedOutputError{What: "response", Detail: m.cfg.Provider + " returned no choices"}
	}
	var (
		text      strings.Builder
		calls     []llm.ToolCall
		reason    string
		usage     llm.Usage
		haveUsage bool
		model     = m.cfg.Model
	)
	for _, ch := range cr.Choices {
		if ch == nil {
			continue
		}
		text.WriteString(ch.Content)
		calls = append(calls, toolCalls(ch)...)
		if ch.StopReason != "" {
			reason = ch.StopReason
		}
		if !haveUsage {
			usage, haveUsage = usageFrom(ch.GenerationInfo)
		}
		if s, ok := ch.GenerationInfo["model"].(string); ok && model == "" {
			model = s
		}
	}
	return llm.Response{
		Message:      llm.Assistant(text.String(), calls...),
		FinishReason: finishReason(reason, len(calls) > 0),
		Usage:        usage,
		Model:        model,
	}, nil
}

// toolCalls converts a choice's tool calls, or its legacy FuncCall when it
// has none. Calls without an ID get a fresh one (googleai sends none).
// Arguments are kept with llm.ArgsFromText: verbatim when valid JSON, as a
// JSON string otherwise, so the call always marshals and DecodeArgs reports
// a *llm.MalformedOutputError.
func toolCalls(ch *llms.ContentChoice) []llm.ToolCall {
	src := ch.ToolCalls
	if len(src) == 0 && ch.FuncCall != nil {
		src = []llms.ToolCall{{FunctionCall: ch.FuncCall}}
	}
	calls := make([]llm.ToolCall, 0, len(src))
	for _, tc := range src {
		if tc.FunctionCall == nil {
			continue
		}
		id := tc.ID
		if id == "" {
			id = llm.NewID()
		}
		calls = append(calls, llm.ToolCall{ID: id, Name: tc.FunctionCall.Name, Args: llm.ArgsFromText(tc.FunctionCall.Arguments)})
	}
	return calls
}

// finishReason normalizes the stop reasons of langchaingo's providers
// (OpenAI's "stop"/"length"/"tool_calls", Anthropic's "end_turn"/
// "max_tokens"/"tool_use", genai's "FinishReasonStop"/"FinishReasonSafety",
// Cohere's "COMPLETE"…). A missing reason (langchaingo's ollama reports
// none) counts as a normal stop; a stop with tool calls as FinishToolCalls.
func finishReason(raw string, hasCalls bool) llm.FinishReason {
	r := strings.ToLower(strings.TrimSpace(raw))
	r = strings.TrimPrefix(r, "finishreason")
	r = strings.TrimPrefix(r, "finish_reason_")
	var fr llm.FinishReason
	switch r {
	case "", "stop", "end_turn", "stop_sequence", "eos", "end", "complete", "completed":
		fr = llm.FinishStop
	case "length", "max_tokens", "maxtokens", "max_output_tokens", "model_length":
		fr = llm.FinishLength
	case "tool_calls", "tool_call", "tool_use", "function_call":
		fr = llm.FinishToolCalls
	case "content_filter", "safety", "recitation", "blocklist", "prohibited_content", "spii", "refusal", "guardrail_intervened":
		fr = llm.FinishFilter
	default:
		fr = llm.FinishUnknown
	}
	if hasCalls && fr == llm.FinishStop {
		fr = llm.FinishToolCalls
	}
	return fr
}

// Keys of GenerationInfo that carry usage, in order of preference, as
// langchaingo v0.1.14's providers write them.
var (
	// Prompt tokens, cached ones included: openai, googleai, ollama,
	// maritaca ("PromptTokens"), googleai/vertex and bedrock
	// ("input_tokens"), Ollama's own name ("prompt_eval_count").
	inputKeys = []string{"PromptTokens", "input_tokens", "prompt_tokens", "prompt_eval_count"}
	// Cached prompt tokens: openai ("PromptCachedTokens"), googleai
	// ("CachedTokens", also as "CacheReadInputTokens").
	cachedKeys = []string{"PromptCachedTokens", "CachedTokens", "CacheReadInputTokens", "cached_tokens"}
	// Output tokens, reasoning included: openai/googleai/ollama
	// ("CompletionTokens"), anthropic ("OutputTokens"), bedrock/googleai
	// ("output_tokens"), Ollama's own name ("eval_count").
	outputKeys    = []string{"CompletionTokens", "OutputTokens", "output_tokens", "completion_tokens", "eval_count"}
	reasoningKeys = []string{"ReasoningTokens", "CompletionReasoningTokens", "ThinkingTokens", "reasoning_tokens"}
)

// usageFrom reads token usage from a choice's GenerationInfo; ok is false
// when it reports none. Anthropic's "InputTokens" excludes cache reads and
// writes ("CacheReadInputTokens", "CacheCreationInputTokens"), so they are
// added back: our Input counts every prompt token. A nested "usage" value
// (langchaingo's mistral) is read with the snake_case keys.
func usageFrom(info map[string]any) (u llm.Usage, ok bool) {
	if len(info) == 0 {
		return llm.Usage{}, false
	}
	if in, found := intValue(info["InputTokens"]); found {
		read, _ := intValue(info["CacheReadInputTokens"])
		write, _ := intValue(info["CacheCreationInputTokens"])
		u.Input, u.CachedInput, ok = in+read+write, read, true
	} else if in, found := firstInt(info, inputKeys); found {
		u.Input, ok = in, true
		u.CachedInput, _ = firstInt(info, cachedKeys)
	}
	if out, found := firstInt(info, outputKeys); found {
		u.Output, ok = out, true
	}
	u.Reasoning, _ = firstInt(info, reasoningKeys)
	if !ok {
		if nested := asMap(info["usage"]); nested != nil {
			return usageFrom(nested)
		}
		return llm.Usage{}, false
	}
	u.CachedInput = min(u.CachedInput, u.Input)
	u.Reasoning = min(u.Reasoning, u.Output)
	return u, true
}

func firstInt(info map[string]any, keys []string) (int, bool) {
	for _, k := range keys {
		if n, ok := intValue(info[k]); ok {
			return n, true
		}
	}
	return 0, false
}

// intValue reads a token count of any numeric type (providers use int,
// int32, int64 and, after a JSON round trip, float64).
func intValue(v any) (int, bool) {
	switch n := v.(type) {
	case nil:
		return 0, false
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int(rv.Uint()), true
	case reflect.Float32, reflect.Float64:
		return int(rv.Float()), true
	}
	return 0, false
}

// asMap returns v as a map, going through JSON for structs.
func asMap(v any) map[string]any {
	switch m := v.(type) {
	case nil:
		return nil
	case map[string]any:
		return m
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}
