package isolate

import (
	"fmt"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
)

// AsToolResult renders a sub-agent's result as the parent's tool result for
// the call that started it: the answer, a note when the sub-agent was
// stopped at a limit or its answer cut, and the artifact handles, one per
// line. Nothing of the sub-agent's transcript is included: the parent sees
// the bounded answer only.
func AsToolResult(res Result, callID, name string) llm.ToolResult {
	var b strings.Builder
	answer := strings.TrimSpace(res.Answer)
	if answer == "" {
		answer = "(The sub-agent returned no answer.)"
	}
	b.WriteString(answer)
	switch res.Stop {
	case StopMaxToolCalls:
		fmt.Fprintf(&b, "\n\n[The sub-agent stopped at its limit of tool calls (%d made); its answer may be incomplete.]", res.ToolCalls)
	case StopMaxTurns:
		b.WriteString("\n\n[The sub-agent stopped at its limit of turns; its answer may be incomplete.]")
	}
	if len(res.Artifacts) > 0 {
		b.WriteString("\n\nArtifacts (stored content the sub-agent found; read them by handle):")
		for _, h := range res.Artifacts {
			b.WriteString("\n- " + h)
		}
	}
	return llm.ToolResult{CallID: callID, Name: name, Content: b.String()}
}
