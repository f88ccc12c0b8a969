package scripted

import (
	"bytes"
	"slices"

	"github.com/deepctx/deepctx/agent/llm"
)

// cloneRequest returns a deep copy of req: no slice, pointer or byte buffer
// is shared with the original.
func cloneRequest(req llm.Request) llm.Request {
	c := req
	c.Messages = cloneMessages(req.Messages)
	c.Tools = nil
	for _, def := range req.Tools {
		def.Parameters = bytes.Clone(def.Parameters)
		c.Tools = append(c.Tools, def)
	}
	if req.Temperature != nil {
		c.Temperature = llm.Temp(*req.Temperature)
	}
	if req.Schema != nil {
		s := *req.Schema
		s.Schema = bytes.Clone(s.Schema)
		c.Schema = &s
	}
	c.Stop = slices.Clone(req.Stop)
	return c
}

func cloneMessages(msgs []llm.Message) []llm.Message {
	if msgs == nil {
		return nil
	}
	out := make([]llm.Message, len(msgs))
	for i, m := range msgs {
		out[i] = cloneMessage(m)
	}
	return out
}

func cloneMessage(m llm.Message) llm.Message {
	if m.Parts == nil {
		return m
	}
	parts := make([]llm.Part, len(m.Parts))
	for i, p := range m.Parts {
		if p.ToolCall != nil {
			call := *p.ToolCall
			call.Args = bytes.Clone(call.Args)
			p.ToolCall = &call
		}
		if p.ToolResult != nil {
			result := *p.ToolResult
			p.ToolResult = &result
		}
		parts[i] = p
	}
	m.Parts = parts
	return m
}
