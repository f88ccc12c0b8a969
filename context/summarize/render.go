package summarize

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
)

// ProvenanceSummary is the Meta.Provenance of the messages this package
// writes in place of summarized ones.
const ProvenanceSummary = "summary"

// maxArgsBytes caps the tool-call arguments quoted in a provenance tag.
const maxArgsBytes = 200

// segment is one piece of a message's content with the tag that says where
// it came from: "user", "assistant", "tool web_fetch call_2 …", "summary".
type segment struct {
	tag  string
	text string
	// tool marks the result of a tool call, whose tag is provenance worth
	// keeping even when none of its text is.
	tool bool
}

// segments splits msgs into tagged pieces, in order. With inlineCalls, a
// tool call is not a piece of its own: its arguments go into the tag of its
// result (when the result is among msgs), so each tool result carries its
// whole provenance.
func segments(msgs []llm.Message, inlineCalls bool) []segment {
	calls := map[string]llm.ToolCall{}
	answered := map[string]bool{}
	for _, m := range msgs {
		for _, c := range m.ToolCalls() {
			calls[c.ID] = c
		}
		for _, r := range m.ToolResults() {
			answered[r.CallID] = true
		}
	}
	if !inlineCalls {
		calls = nil
	}
	var out []segment
	for _, m := range msgs {
		if m.Meta.Provenance == ProvenanceSummary {
			out = append(out, segment{tag: ProvenanceSummary, text: m.Text()})
			continue
		}
		for _, p := range m.Parts {
			switch {
			case p.Kind == llm.PartText && strings.TrimSpace(p.Text) != "":
				out = append(out, segment{tag: string(m.Role), text: p.Text})
			case p.Kind == llm.PartToolCall && p.ToolCall != nil:
				c := p.ToolCall
				if inlineCalls && answered[c.ID] {
					continue
				}
				out = append(out, segment{tag: "call " + c.Name + " " + c.ID, text: compactArgs(c.Args, 4*maxArgsBytes)})
			case p.Kind == llm.PartToolResult && p.ToolResult != nil:
				out = append(out, segment{tag: resultTag(m, *p.ToolResult, calls), text: p.ToolResult.Content, tool: true})
			}
		}
	}
	return out
}

// resultTag names a tool result's provenance: tool, call ID, artifact
// handle, error flag and the call's arguments when known.
func resultTag(m llm.Message, r llm.ToolResult, calls map[string]llm.ToolCall) string {
	name := r.Name
	c, ok := calls[r.CallID]
	if name == "" && ok {
		name = c.Name
	}
	if name == "" {
		name = "?"
	}
	var b strings.Builder
	b.WriteString("tool ")
	b.WriteString(name)
	if r.CallID != "" {
		b.WriteString(" " + r.CallID)
	}
	if m.Meta.Artifact != "" {
		b.WriteString(" artifact=" + m.Meta.Artifact)
	}
	if r.IsError {
		b.WriteString(" error")
	}
	if ok {
		if args := compactArgs(c.Args, maxArgsBytes); args != "" && args != "{}" {
			b.WriteString(" args=" + args)
		}
	}
	return b.String()
}

// compactArgs returns the arguments on one line, at most limit bytes.
func compactArgs(raw json.RawMessage, limit int) string {
	if len(bytes.TrimSpace(raw)) == 0 {
		return ""
	}
	var buf bytes.Buffer
	s := string(raw)
	if json.Compact(&buf, raw) == nil {
		s = buf.String()
	}
	s = strings.Join(strings.Fields(s), " ")
	return truncate(s, limit)
}

// truncate cuts s to at most limit bytes at a rune boundary, marking the cut.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// transcriptText renders msgs as tagged plain text, one segment per block,
// for a summarizer model to read.
func transcriptText(msgs []llm.Message) string {
	var b strings.Builder
	for i, s := range segments(msgs, false) {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString("[" + s.tag + "]\n")
		b.WriteString(strings.TrimSpace(s.text))
	}
	return b.String()
}
