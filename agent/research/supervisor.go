package research

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/extractive"
	"github.com/deepctx/deepctx/context/window"
)

// ContextInfo is the payload of the "context" events: how full one agent's
// view was for one model call.
type ContextInfo struct {
	// Agent is "supervisor" or "researcher N".
	Agent string `json:"agent"`
	// ViewTokens is the size of the view sent, Limit the most it may be.
	ViewTokens int `json:"view_tokens"`
	Limit      int `json:"limit"`
	// TokensBefore is the view's size before the context engine's
	// policies ran, and Edits how many edits they made.
	TokensBefore int `json:"tokens_before,omitempty"`
	Edits        int `json:"edits,omitempty"`
}

// supervise runs one supervisor turn: it first hands the supervisor the
// findings of the researchers that finished, then lets it delegate more
// research, think, or finish.
func (a *Agent) supervise(ctx context.Context, s State, t *graph.Task) (State, error) {
	var upd State
	upd.Supervisor = pendingResults(s)
	if s.ResearchDone || s.Iterations >= a.cfg.MaxSupervisorIterations {
		if !s.ResearchDone {
			upd.Warnings = []string{fmt.Sprintf("supervisor: stopped after %d iterations (MaxSupervisorIterations)", s.Iterations)}
		}
		upd.ResearchDone = true
		return upd, nil
	}
	msgs := append(slices.Clone(s.Supervisor), upd.Supervisor...)
	tr, err := window.NewTranscript(msgs...)
	if err != nil {
		return upd, fmt.Errorf("research: supervisor transcript: %w", err)
	}
	budget := a.cfg.budget()
	view, report, err := a.manager().Prepare(ctx, tr, supervisorTools, budget)
	if err != nil {
		return upd, fmt.Errorf("research: supervisor view: %w", err)
	}
	t.Emit("context", ContextInfo{Agent: "supervisor", ViewTokens: report.TokensSent, Limit: budget.Limit(), TokensBefore: report.TokensBefore, Edits: len(report.Edits)})
	resp, err := a.generate(ctx, t, llm.Request{Role: llm.CallPlanner, Messages: view, Tools: supervisorTools})
	upd.Usage = resp.Usage
	if err != nil {
		return upd, err
	}
	upd.Iterations = 1
	reply := uniqueCallIDs(resp.Message, msgs, s.Iterations+1)
	upd.Supervisor = append(upd.Supervisor, reply)
	calls := reply.ToolCalls()
	if len(calls) == 0 {
		upd.ResearchDone = true // an answer instead of tool calls: research is over
		return upd, nil
	}
	for _, c := range calls {
		res, done := a.handleSupervisorCall(c, s.Dispatched+upd.Dispatched, &upd, t)
		if done {
			upd.ResearchDone = true
		}
		if res != nil {
			upd.Supervisor = append(upd.Supervisor, llm.Tool(*res))
		}
	}
	return upd, nil
}

// handleSupervisorCall runs one of the supervisor's tool calls. A
// conduct_research call becomes a researcher task, answered when the
// researcher finishes (nil result); the others are answered at once.
func (a *Agent) handleSupervisorCall(c llm.ToolCall, dispatched int, upd *State, t *graph.Task) (res *llm.ToolResult, done bool) {
	answer := func(content string, isErr bool) *llm.ToolResult {
		return &llm.ToolResult{CallID: c.ID, Name: c.Name, Content: content, IsError: isErr}
	}
	switch c.Name {
	case extractive.ToolConductResearch:
		var args struct {
			Topic string `json:"topic"`
		}
		if err := c.DecodeArgs(&args); err != nil {
			return answer(err.Error()+`; call conduct_research with {"topic": "..."}`, true), false
		}
		if strings.TrimSpace(args.Topic) == "" {
			return answer(`conduct_research needs a non-empty "topic"`, true), false
		}
		if upd.Dispatched >= a.cfg.MaxConcurrentResearchers {
			return answer(fmt.Sprintf("not run: at most %d researchers run at once; call again for this topic after these report back", a.cfg.MaxConcurrentResearchers), true), false
		}
		upd.Dispatched++
		t.Send(NodeResearcher, Assignment{CallID: c.ID, Topic: strings.TrimSpace(args.Topic), Seq: dispatched + 1})
		return nil, false
	case extractive.ToolThink:
		var args struct {
			Thought string `json:"thought"`
		}
		if err := c.DecodeArgs(&args); err != nil {
			return answer(err.Error()+`; call think with {"thought": "..."}`, true), false
		}
		return answer("Thought recorded.", false), false
	case extractive.ToolResearchComplete:
		return answer("Research is complete; the report will be written from the findings.", false), true
	default:
		return answer(fmt.Sprintf("unknown tool %q; available: %s, %s, %s", c.Name, extractive.ToolConductResearch, extractive.ToolThink, extractive.ToolResearchComplete), true), false
	}
}

// pendingResults returns the tool results that hand the supervisor the
// findings it has not seen yet, in dispatch order.
func pendingResults(s State) []llm.Message {
	answered := map[string]bool{}
	for _, m := range s.Supervisor {
		for _, r := range m.ToolResults() {
			answered[r.CallID] = true
		}
	}
	var out []llm.Message
	for _, f := range s.Findings {
		if answered[f.CallID] {
			continue
		}
		out = append(out, llm.Tool(llm.ToolResult{CallID: f.CallID, Name: extractive.ToolConductResearch, Content: f.Text, IsError: f.Err != ""}))
	}
	return out
}

// uniqueCallIDs gives the reply a fresh message ID and renames tool calls
// whose ID is empty or already used in the transcript, so that every
// finding answers exactly one call.
func uniqueCallIDs(reply llm.Message, transcript []llm.Message, iteration int) llm.Message {
	used := map[string]bool{}
	for _, m := range transcript {
		used[m.ID] = true
		for _, c := range m.ToolCalls() {
			used[c.ID] = true
		}
	}
	reply.Role = llm.RoleAssistant
	if reply.ID == "" || used[reply.ID] {
		reply.ID = llm.NewID()
	}
	parts := slices.Clone(reply.Parts)
	for i, p := range parts {
		if p.Kind != llm.PartToolCall || p.ToolCall == nil {
			continue
		}
		c := *p.ToolCall
		if c.ID == "" || used[c.ID] {
			c.ID = fmt.Sprintf("sup%d_call%d", iteration, i+1)
		}
		used[c.ID] = true
		parts[i].ToolCall = &c
	}
	reply.Parts = parts
	return reply
}

// afterSupervisor routes a supervisor turn: wait for dispatched
// researchers (they were sent; this branch ends), write the report when
// research is done, or let the supervisor go on.
func (a *Agent) afterSupervisor(ctx context.Context, s State) ([]string, error) {
	switch {
	case s.Dispatched > len(s.Findings):
		return []string{graph.END}, nil
	case s.ResearchDone:
		return []string{NodeWrite}, nil
	default:
		return []string{NodeSupervisor}, nil
	}
}
