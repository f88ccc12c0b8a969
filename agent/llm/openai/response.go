package openai

import (
	"strings"

	oai "github.com/sashabaranov/go-openai"

	"github.com/deepctx/deepctx/agent/llm"
)

// fromResponse converts a non-streamed completion. Only the first choice is
// used: requests never ask for more.
func fromResponse(r oai.ChatCompletionResponse, model string) (llm.Response, error) {
	if len(r.Choices) == 0 {
		return llm.Response{}, &llm.MalformedOutputError{What: "response", Detail: "the completion has no choices"}
	}
	choice := r.Choices[0]
	calls := make([]llm.ToolCall, 0, len(choice.Message.ToolCalls)+1)
	for _, tc := range choice.Message.ToolCalls {
		calls = append(calls, newToolCall(tc.ID, tc.Function.Name, tc.Function.Arguments))
	}
	if fc := choice.Message.FunctionCall; fc != nil && len(calls) == 0 {
		calls = append(calls, newToolCall("", fc.Name, fc.Arguments)) // legacy servers
	}
	if r.Model != "" {
		model = r.Model
	}
	return newResponse(messageText(choice.Message), calls, choice.FinishReason, r.Usage, model), nil
}

// messageText returns a reply's text: its content, the text parts of an
// array content (some compatible servers), or else its refusal, so that a
// refused structured-output request still explains itself.
func messageText(m oai.ChatCompletionMessage) string {
	if m.Content != "" {
		return m.Content
	}
	var b strings.Builder
	for _, p := range m.MultiContent {
		if p.Type == oai.ChatMessagePartTypeText {
			b.WriteString(p.Text)
		}
	}
	if b.Len() > 0 {
		return b.String()
	}
	return m.Refusal
}

// newResponse assembles the reply message (with a fresh ID) and its metadata.
func newResponse(text string, calls []llm.ToolCall, finish oai.FinishReason, u oai.Usage, model string) llm.Response {
	return llm.Response{
		Message:      llm.Assistant(text, calls...),
		FinishReason: finishReason(finish, len(calls) > 0),
		Usage:        fromUsage(u),
		Model:        model,
	}
}

// newToolCall builds a tool call, synthesizing an ID when the server sent
// none and storing the arguments with llm.ArgsFromText.
func newToolCall(id, name, args string) llm.ToolCall {
	if id == "" {
		id = "call_" + llm.NewID()
	}
	return llm.ToolCall{ID: id, Name: name, Args: llm.ArgsFromText(args)}
}

// finishReason normalizes a finish reason. A reply with tool calls that
// claims a plain stop (some compatible servers) reports FinishToolCalls, so
// agents can branch on the reason alone.
func finishReason(r oai.FinishReason, hasCalls bool) llm.FinishReason {
	var out llm.FinishReason
	switch strings.ToLower(string(r)) {
	case "stop", "eos", "eos_token", "stop_sequence", "end_turn":
		out = llm.FinishStop
	case "length", "max_tokens":
		out = llm.FinishLength
	case "tool_calls", "function_call", "tool_use":
		out = llm.FinishToolCalls
	case "content_filter":
		out = llm.FinishFilter
	default:
		out = llm.FinishUnknown
	}
	if hasCalls && (out == llm.FinishStop || out == llm.FinishUnknown) {
		return llm.FinishToolCalls
	}
	return out
}

// fromUsage converts token usage, including cached prompt tokens and
// reasoning tokens where the server reports them.
func fromUsage(u oai.Usage) llm.Usage {
	out := llm.Usage{Input: u.PromptTokens, Output: u.CompletionTokens}
	if d := u.PromptTokensDetails; d != nil {
		out.CachedInput = d.CachedTokens
	}
	if d := u.CompletionTokensDetails; d != nil {
		out.Reasoning = d.ReasoningTokens
	}
	return out
}
