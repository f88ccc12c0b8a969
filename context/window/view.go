package window

import (
	"fmt"

	"github.com/deepctx/deepctx/agent/llm"
)

// Render returns the view of msgs with edits applied, in order. The latest
// edit that targets a message decides how it renders: a replace edit
// substitutes the message's replacement; a summarize edit drops every
// target it still covers and puts its summary where the first of them
// stood. Messages no edit targets render as they are. Render is pure: the
// same log and edits always give the same view.
func Render(msgs []llm.Message, edits []Edit) []llm.Message {
	if len(edits) == 0 {
		return msgs[:len(msgs):len(msgs)]
	}
	type place struct{ edit, target int }
	latest := make(map[string]place, len(edits))
	for i, e := range edits {
		for j, id := range e.Targets {
			latest[id] = place{i, j}
		}
	}
	view := make([]llm.Message, 0, len(msgs))
	summarized := map[int]bool{}
	for _, m := range msgs {
		p, ok := latest[m.ID]
		if !ok {
			view = append(view, m)
			continue
		}
		e := edits[p.edit]
		switch e.Kind {
		case EditReplace:
			view = append(view, e.Replacement[p.target])
		case EditSummarize:
			if !summarized[p.edit] {
				summarized[p.edit] = true
				view = append(view, e.Replacement[0])
			}
		}
	}
	return view
}

// CheckPairs reports the first broken tool-call pairing in view: a tool
// result whose call is not in an earlier assistant message, or a tool
// call with no result after it. Providers reject both.
func CheckPairs(view []llm.Message) error {
	open := map[string]bool{}
	var order []string
	for _, m := range view {
		for _, c := range m.ToolCalls() {
			open[c.ID] = true
			order = append(order, c.ID)
		}
		for _, r := range m.ToolResults() {
			if !open[r.CallID] {
				return fmt.Errorf("%w: tool result %q (message %s) has no call before it", ErrOrphan, r.CallID, m.ID)
			}
			delete(open, r.CallID)
		}
	}
	for _, id := range order {
		if open[id] {
			return fmt.Errorf("%w: tool call %q has no result", ErrOrphan, id)
		}
	}
	return nil
}

// Protected reports whether policies must leave m as it is: system
// prompts, user messages (the task and every later instruction) and
// pinned messages.
func Protected(m llm.Message) bool {
	return m.Meta.Pinned || m.Role == llm.RoleSystem || m.Role == llm.RoleUser
}
