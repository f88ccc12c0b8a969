package isolate

import (
	"time"

	"github.com/deepctx/deepctx/agent/llm"
)

// StepKind tells what a Step reports.
type StepKind string

// The kinds of Step.
const (
	// StepModelCall is one model call of the sub-agent's loop (the final
	// answer and compression included).
	StepModelCall StepKind = "model_call"
	// StepToolCall is one tool call answered in the sub-agent's loop,
	// including calls answered with an error without running (unknown
	// tool, malformed arguments, over the cap).
	StepToolCall StepKind = "tool_call"
)

// Step is one thing a sub-agent did, reported to Config.Observe as it
// happens: enough for a live progress view and an event log.
type Step struct {
	Kind StepKind
	// Turn is the number of the model call (1-based) this step belongs
	// to: the call itself, or the reply whose tool calls are answered.
	Turn int
	// Role is the model call's role (researcher, or compressor).
	Role llm.CallRole
	// ViewTokens is the size of the view the model was sent, and Limit
	// the most it could have been (Budget.Limit()). Zero for compression
	// calls and tool calls.
	ViewTokens, Limit int
	// TokensBefore is the view's size before the Manager's policies ran,
	// and Edits the number of edits they recorded for this view.
	TokensBefore, Edits int
	// Usage is this model call's usage as the provider reported it, and
	// Total the sub-agent's usage so far.
	Usage, Total llm.Usage
	// Model and FinishReason are the response's.
	Model        string
	FinishReason llm.FinishReason
	// Tool and CallID name the tool call; IsError reports an error
	// result.
	Tool, CallID string
	IsError      bool
	// ToolCalls is the number of tool calls charged so far.
	ToolCalls int
	// Start and End bound the call.
	Start, End time.Time
	// Err is the model call's error, if it failed.
	Err error
}

// observe reports a step when the caller asked for them.
func (r *runner) observe(s Step) {
	if r.cfg.Observe != nil {
		s.ToolCalls = r.res.ToolCalls
		s.Total = r.res.Usage
		r.cfg.Observe(s)
	}
}
