package scripted

import "github.com/deepctx/deepctx/agent/llm"

// EstimateTokens is the scripted model's token count for s: its length in
// bytes divided by four, rounded up. It is deterministic, not accurate.
func EstimateTokens(s string) int { return (len(s) + 3) / 4 }

// EstimateUsage is the usage a scripted reply reports when its turn gives
// none: Input is the sum of MessageTokens over the request's messages and
// Output is MessageTokens of the reply. CachedInput and Reasoning are 0.
func EstimateUsage(req llm.Request, reply llm.Message) llm.Usage {
	in := 0
	for _, m := range req.Messages {
		in += MessageTokens(m)
	}
	return llm.Usage{Input: in, Output: MessageTokens(reply)}
}

// MessageTokens is the sum of EstimateTokens over m's parts: the text of a
// text part, the name followed by the arguments of a tool call, and the
// content of a tool result.
func MessageTokens(m llm.Message) int {
	n := 0
	for _, p := range m.Parts {
		switch {
		case p.Kind == llm.PartText:
			n += EstimateTokens(p.Text)
		case p.Kind == llm.PartToolCall && p.ToolCall != nil:
			n += EstimateTokens(p.ToolCall.Name + string(p.ToolCall.Args))
		case p.Kind == llm.PartToolResult && p.ToolResult != nil:
			n += EstimateTokens(p.ToolResult.Content)
		}
	}
	return n
}
