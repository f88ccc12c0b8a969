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
	view, _ := RenderSources(msgs, edits)
	return view
}

// Source says what one message of a view stands for.
type Source struct {
	// Log holds the positions in the log of the messages it renders: one
	// for an original or a replacement, every still-covered target for a
	// summary.
	Log []int
	// Edit is the index in edits of the edit that produced it, or -1 for a
	// log message rendered as it is.
	Edit int
}

// RenderSources is Render that also returns, for each view message, the
// log messages it stands for. Policies use it to target log IDs.
func RenderSources(msgs []llm.Message, edits []Edit) ([]llm.Message, []Source) {
	type place struct{ edit, target int }
	latest := make(map[string]place, len(edits))
	for i, e := range edits {
		for j, id := range e.Targets {
			latest[id] = place{i, j}
		}
	}
	view := make([]llm.Message, 0, len(msgs))
	sources := make([]Source, 0, len(msgs))
	summaryAt := map[int]int{} // summarize edit -> its position in view
	for pos, m := range msgs {
		p, ok := latest[m.ID]
		switch {
		case !ok:
			view = append(view, m)
			sources = append(sources, Source{Log: []int{pos}, Edit: -1})
		case edits[p.edit].Kind == EditSummarize:
			if at, seen := summaryAt[p.edit]; seen {
				sources[at].Log = append(sources[at].Log, pos)
				continue
			}
			summaryAt[p.edit] = len(view)
			view = append(view, edits[p.edit].Replacement[0])
			sources = append(sources, Source{Log: []int{pos}, Edit: p.edit})
		default:
			view = append(view, edits[p.edit].Replacement[p.target])
			sources = append(sources, Source{Log: []int{pos}, Edit: p.edit})
		}
	}
	return view, sources
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
