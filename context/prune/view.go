package prune

import (
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/window"
)

// state is what both policies need to know about the view of a pass: for
// each view message the log message it renders, which policy edited that
// log message last, and where every tool call stands.
type state struct {
	view []llm.Message
	// origin[i] is the ID of the log message view[i] renders: its own ID,
	// the target of the replacement it is, or "" for a summary (which no
	// edit may target).
	origin []string
	// lastPolicy maps a log message ID to the policy of the latest replace
	// edit targeting it ("" when none did).
	lastPolicy map[string]string
	// callAt maps a tool call ID to the view index of the assistant message
	// holding it.
	callAt map[string]int
	// callName maps a tool call ID to the tool it calls.
	callName map[string]string
	// nextSeq is the Seq the next recorded edit gets, which replacement
	// IDs derive from.
	nextSeq int
}

func newState(p *window.Pass) *state {
	view := p.View()
	edits := p.Transcript().Edits()
	replaced := map[string]string{} // replacement ID -> target ID
	summary := map[string]bool{}
	last := map[string]string{}
	for _, e := range edits {
		switch e.Kind {
		case window.EditReplace:
			for i, r := range e.Replacement {
				replaced[r.ID] = e.Targets[i]
			}
			for _, id := range e.Targets {
				last[id] = e.Policy
			}
		case window.EditSummarize:
			summary[e.Replacement[0].ID] = true
			for _, id := range e.Targets {
				last[id] = e.Policy
			}
		}
	}
	s := &state{
		view:       view,
		origin:     make([]string, len(view)),
		lastPolicy: last,
		callAt:     map[string]int{},
		callName:   map[string]string{},
		nextSeq:    len(edits) + 1,
	}
	for i, m := range view {
		switch {
		case replaced[m.ID] != "":
			s.origin[i] = replaced[m.ID]
		case summary[m.ID]:
			s.origin[i] = ""
		default:
			s.origin[i] = m.ID
		}
		for _, pt := range m.Parts {
			if pt.Kind == llm.PartToolCall && pt.ToolCall != nil {
				s.callAt[pt.ToolCall.ID] = i
				s.callName[pt.ToolCall.ID] = pt.ToolCall.Name
			}
		}
	}
	return s
}

// cleared reports whether view[i] is a tool message this package already
// replaced with a placeholder (by Prune or Dedupe). Such a message is never
// edited again by either, and its content counts as gone.
func (s *state) cleared(i int) bool {
	if s.view[i].Role != llm.RoleTool {
		return false
	}
	pol := s.lastPolicy[s.origin[i]]
	return pol == Name || pol == DedupeName
}

// editable reports whether view[i] may be the target of an edit: it
// renders a log message and neither the rendering nor the log message is
// protected.
func (s *state) editable(p *window.Pass, i int) bool {
	id := s.origin[i]
	if id == "" || window.Protected(s.view[i]) {
		return false
	}
	if id != s.view[i].ID {
		if orig, ok := p.Transcript().Message(id); !ok || window.Protected(orig) {
			return false
		}
	}
	return true
}

// handle returns the artifact handle of view[i]: its own Meta.Artifact, or
// the log original's.
func (s *state) handle(p *window.Pass, i int) string {
	if h := s.view[i].Meta.Artifact; h != "" {
		return h
	}
	if s.origin[i] != "" && s.origin[i] != s.view[i].ID {
		if orig, ok := p.Transcript().Message(s.origin[i]); ok {
			return orig.Meta.Artifact
		}
	}
	return ""
}

// toolOf returns the tool a result belongs to: its own Name, or the name
// of the call it answers.
func (s *state) toolOf(r *llm.ToolResult) string {
	if r.Name != "" {
		return r.Name
	}
	return s.callName[r.CallID]
}

// numResults returns the number of tool-result parts of m.
func numResults(m llm.Message) int {
	n := 0
	for _, pt := range m.Parts {
		if pt.Kind == llm.PartToolResult && pt.ToolResult != nil {
			n++
		}
	}
	return n
}

// toolSet turns a list of tool names into a set; nil for an empty list.
func toolSet(names []string) map[string]bool {
	if len(names) == 0 {
		return nil
	}
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return set
}

// dedupePrefix and dedupeSuffix frame the content of a Dedupe placeholder.
const (
	dedupePrefix = "[identical to the result of call "
	dedupeSuffix = "]"
)

// dedupeText returns the content of the placeholder of a result identical
// to the result of call callID.
func dedupeText(callID string) string { return dedupePrefix + callID + dedupeSuffix }

// dedupeRef returns the call a Dedupe placeholder refers to.
func dedupeRef(content string) (string, bool) {
	rest, ok := strings.CutPrefix(content, dedupePrefix)
	if !ok {
		return "", false
	}
	return strings.CutSuffix(rest, dedupeSuffix)
}
