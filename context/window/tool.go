package window

import (
	"context"

	"github.com/deepctx/deepctx/agent/llm"
)

// Tool is a tool the context engine's packages hand to agents (notes,
// read_artifact, search_artifacts, …): its definition for the model and the
// function that runs a call. Run must never panic on bad input: malformed
// arguments and failures come back as a ToolResult with IsError set, which
// the model reads and can correct. Packages above the context engine
// (agent/tool) adapt it to their own interface.
type Tool struct {
	Def llm.ToolDef
	Run func(ctx context.Context, call llm.ToolCall) llm.ToolResult
}
