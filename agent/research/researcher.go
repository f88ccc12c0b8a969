package research

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/isolate"
	"github.com/deepctx/deepctx/context/offload"
	"github.com/deepctx/deepctx/context/window"
)

// ResearcherProgress is the payload of the "researcher" events: where one
// researcher stands after each of its model and tool calls.
type ResearcherProgress struct {
	Seq   int    `json:"seq"`
	Topic string `json:"topic"`
	// Step is "model_call" or "tool_call"; Tool names the tool.
	Step string `json:"step"`
	Tool string `json:"tool,omitempty"`
	// Turn is the researcher's model call count; ToolCalls and
	// MaxToolCalls its tool calls and their cap.
	Turn         int `json:"turn"`
	ToolCalls    int `json:"tool_calls"`
	MaxToolCalls int `json:"max_tool_calls"`
	// ViewTokens is the size of the last view, Limit its budget.
	ViewTokens int `json:"view_tokens,omitempty"`
	Limit      int `json:"limit,omitempty"`
	// Spent is the researcher's usage so far.
	Spent llm.Usage `json:"spent"`
}

// research runs one researcher: an isolated sub-agent with its own
// transcript and context engine, the corpus tools, think and (with an
// artifact store) read_artifact/search_artifacts. Its findings, not its
// transcript, go back to the supervisor. A researcher that fails for any
// reason but cancellation reports the failure as its finding, so the
// supervisor can go on without it.
func (a *Agent) research(ctx context.Context, s State, in Assignment, t *graph.Task) (State, error) {
	var mu sync.Mutex
	var seen []string
	seenSet := map[string]bool{}
	tools := a.cfg.Corpus.Tools(func(key string) {
		mu.Lock()
		defer mu.Unlock()
		if !seenSet[key] {
			seenSet[key] = true
			seen = append(seen, key)
		}
	})
	tools = append(tools, thinkTool())
	if a.cfg.Artifacts != nil {
		for _, tl := range offload.Tools(a.cfg.Artifacts) {
			tools = append(tools, window.Tool(tl))
		}
	}
	budget := a.cfg.budget()
	res, err := isolate.Run(ctx, isolate.Config{
		Model:        a.model,
		System:       researcherSystem,
		Tools:        tools,
		Manager:      a.manager(),
		Tokenizer:    a.cfg.Tokenizer,
		Budget:       budget,
		MaxToolCalls: a.cfg.MaxToolCalls,
		ReturnBudget: a.cfg.FindingsBudget,
		Observe:      a.observeResearcher(in, t),
	}, in.Topic)
	mu.Lock()
	f := Finding{
		Assignment: in, Text: strings.TrimSpace(res.Answer), Seen: seen, Artifacts: res.Artifacts,
		ToolCalls: res.ToolCalls, ModelCalls: res.ModelCalls, Stop: string(res.Stop), Usage: res.Usage,
	}
	mu.Unlock()
	upd := State{Usage: res.Usage}
	if err != nil {
		if ctx.Err() != nil {
			return upd, err // cancelled: resume runs this researcher again
		}
		f.Err = err.Error()
		f.Text = fmt.Sprintf("Research on %q failed: %v", in.Topic, err)
		upd.Warnings = []string{fmt.Sprintf("researcher %d: %v", in.Seq, err)}
	}
	if f.Text == "" {
		f.Text = fmt.Sprintf("Findings on: %s\n\nThe researcher returned no findings.", in.Topic)
	}
	upd.Findings = []Finding{f}
	return upd, nil
}

// observeResearcher turns a researcher's steps into events: model and tool
// calls for the event log and tracing, and progress for live views.
func (a *Agent) observeResearcher(in Assignment, t *graph.Task) func(isolate.Step) {
	var view, limit int
	return func(st isolate.Step) {
		p := ResearcherProgress{
			Seq: in.Seq, Topic: in.Topic, Step: string(st.Kind), Tool: st.Tool,
			Turn: st.Turn, ToolCalls: st.ToolCalls, MaxToolCalls: a.cfg.MaxToolCalls, Spent: st.Total,
		}
		switch st.Kind {
		case isolate.StepModelCall:
			info := graph.ModelCallInfo{
				Model: st.Model, Role: string(st.Role),
				InputTokens: st.Usage.Input, CachedInput: st.Usage.CachedInput, OutputTokens: st.Usage.Output,
				FinishReason: string(st.FinishReason), Start: st.Start, End: st.End,
			}
			if st.Err != nil {
				info.Err = st.Err.Error()
			}
			t.EmitModelCall(info)
			if st.Limit > 0 {
				view, limit = st.ViewTokens, st.Limit
				t.Emit("context", ContextInfo{
					Agent: fmt.Sprintf("researcher %d", in.Seq), ViewTokens: view, Limit: limit,
					TokensBefore: st.TokensBefore, Edits: st.Edits,
				})
			}
		case isolate.StepToolCall:
			info := graph.ToolCallInfo{Name: st.Tool, CallID: st.CallID, Start: st.Start, End: st.End}
			if st.IsError {
				info.Err = "the tool answered with an error"
			}
			t.EmitToolCall(info)
		}
		p.ViewTokens, p.Limit = view, limit
		t.Emit("researcher", p)
	}
}

// thinkTool is the researchers' think tool: a place to plan that costs a
// tool call and changes nothing.
func thinkTool() window.Tool {
	return window.Tool{
		Def: thinkDef,
		Run: func(ctx context.Context, call llm.ToolCall) llm.ToolResult {
			var args struct {
				Thought string `json:"thought"`
			}
			if err := call.DecodeArgs(&args); err != nil {
				return llm.ToolResult{CallID: call.ID, Name: call.Name, Content: err.Error() + `; call think with {"thought": "..."}`, IsError: true}
			}
			return llm.ToolResult{CallID: call.ID, Name: call.Name, Content: "Thought recorded."}
		},
	}
}
