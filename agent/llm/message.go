package llm

import (
	"encoding/json"
	"strings"
)

// Role is who speaks a message.
type Role string

// The four chat roles every provider understands.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// Valid reports whether r is one of the four chat roles.
func (r Role) Valid() bool {
	switch r {
	case RoleSystem, RoleUser, RoleAssistant, RoleTool:
		return true
	}
	return false
}

// PartKind tells which field of a Part is set.
type PartKind string

// The kinds of content a message part can carry.
const (
	PartText       PartKind = "text"
	PartToolCall   PartKind = "tool_call"
	PartToolResult PartKind = "tool_result"
)

// ToolCall is a model's request to run a tool.
//
// Args holds the raw arguments exactly as the model produced them. They are
// usually a JSON object but a model may emit anything; call ParseArgs or
// DecodeArgs to validate them, which report a *MalformedOutputError the agent
// can show back to the model instead of crashing.
type ToolCall struct {
	// ID pairs the call with its result. Providers assign it; adapters that
	// talk to providers without IDs synthesize a stable one.
	ID string `json:"id"`
	// Name is the tool's registered name.
	Name string `json:"name"`
	// Args is the argument document as produced by the model.
	Args json.RawMessage `json:"args,omitempty"`
}

// ArgsFromText stores a model's argument text so that the call stays
// serializable whatever the model produced: valid JSON is kept byte for
// byte; blank text becomes nil, which DecodeArgs reads as {}; anything else
// (truncated or broken JSON, prose) is stored as a JSON string holding the
// raw text, because a json.RawMessage must hold valid JSON or every later
// json.Marshal of the message fails. DecodeArgs reports such arguments as a
// *MalformedOutputError carrying the raw text. Provider adapters call this.
func ArgsFromText(raw string) json.RawMessage {
	if strings.TrimSpace(raw) == "" {
		return nil
	}
	if json.Valid([]byte(raw)) {
		return json.RawMessage(raw)
	}
	quoted, _ := json.Marshal(raw) // marshalling a string cannot fail
	return quoted
}

// DecodeArgs unmarshals the call's arguments into v. Empty arguments decode
// as the empty object. Arguments that do not decode into v yield a
// *MalformedOutputError that names the tool and the call and holds the text
// the model produced; its message is meant to be shown back to the model.
func (c ToolCall) DecodeArgs(v any) error {
	raw := c.Args
	if len(strings.TrimSpace(string(raw))) == 0 {
		raw = json.RawMessage("{}")
	}
	err := json.Unmarshal(raw, v)
	if err == nil {
		return nil
	}
	text := string(c.Args)
	detail := err.Error()
	var stored string
	if json.Unmarshal(c.Args, &stored) == nil {
		// Text that was not JSON, stored as a string by ArgsFromText.
		text = stored
		var probe any
		if perr := json.Unmarshal([]byte(stored), &probe); perr != nil {
			detail = "arguments are not valid JSON: " + perr.Error()
		}
	}
	return &MalformedOutputError{
		What:   "tool arguments",
		Detail: "tool " + c.Name + " (call " + c.ID + "): " + detail,
		Raw:    text,
	}
}

// ToolResult is the outcome of a tool call, sent back to the model.
type ToolResult struct {
	// CallID is the ToolCall.ID this result answers.
	CallID string `json:"call_id"`
	// Name is the tool's name; some providers require it on results.
	Name string `json:"name,omitempty"`
	// Content is what the model reads.
	Content string `json:"content"`
	// IsError marks a failed call; Content then explains the failure.
	IsError bool `json:"is_error,omitempty"`
}

// Part is one piece of a message's content. Exactly one of Text, ToolCall
// and ToolResult is meaningful, as Kind says.
type Part struct {
	// Kind says which of the fields below the part carries.
	Kind PartKind `json:"kind"`
	// Text is the content of a PartText part.
	Text string `json:"text,omitempty"`
	// ToolCall is the call of a PartToolCall part.
	ToolCall *ToolCall `json:"tool_call,omitempty"`
	// ToolResult is the result of a PartToolResult part.
	ToolResult *ToolResult `json:"tool_result,omitempty"`
}

// TextPart returns a text part.
func TextPart(s string) Part { return Part{Kind: PartText, Text: s} }

// ToolCallPart returns a tool-call part.
func ToolCallPart(c ToolCall) Part { return Part{Kind: PartToolCall, ToolCall: &c} }

// ToolResultPart returns a tool-result part.
func ToolResultPart(r ToolResult) Part { return Part{Kind: PartToolResult, ToolResult: &r} }

// Meta is what the context engine knows about a message beyond its content.
// Providers ignore it.
type Meta struct {
	// Pinned messages are never pruned, offloaded or summarized away.
	Pinned bool `json:"pinned,omitempty"`
	// Artifact is the handle of offloaded content this message stands for.
	Artifact string `json:"artifact,omitempty"`
	// Provenance says where the content came from (a tool, a summary of
	// messages, a sub-agent), for tracing and citations.
	Provenance string `json:"provenance,omitempty"`
}

// Message is one entry of a conversation.
//
// ID is assigned once, when the message is created, and never changes: the
// context engine memoizes token counts and records edits by it. Messages are
// values; treat a Message you did not build as read-only.
type Message struct {
	// ID identifies the message for its whole life (see above).
	ID string `json:"id"`
	// Role is who speaks.
	Role Role `json:"role"`
	// Parts is the content, in order.
	Parts []Part `json:"parts"`
	// Name optionally names the participant (OpenAI's "name" field).
	Name string `json:"name,omitempty"`
	// Meta is the context engine's bookkeeping; providers ignore it.
	Meta Meta `json:"meta,omitzero"`
}

// System returns a system message with a fresh ID.
func System(text string) Message { return newMessage(RoleSystem, TextPart(text)) }

// User returns a user message with a fresh ID.
func User(text string) Message { return newMessage(RoleUser, TextPart(text)) }

// Assistant returns an assistant message with a fresh ID holding optional
// text followed by tool calls.
func Assistant(text string, calls ...ToolCall) Message {
	parts := make([]Part, 0, len(calls)+1)
	if text != "" {
		parts = append(parts, TextPart(text))
	}
	for _, c := range calls {
		parts = append(parts, ToolCallPart(c))
	}
	return newMessage(RoleAssistant, parts...)
}

// Tool returns a tool message with a fresh ID carrying one result.
func Tool(r ToolResult) Message { return newMessage(RoleTool, ToolResultPart(r)) }

func newMessage(role Role, parts ...Part) Message {
	return Message{ID: NewID(), Role: role, Parts: parts}
}

// Text returns the concatenation of the message's text parts.
func (m Message) Text() string {
	var b strings.Builder
	for _, p := range m.Parts {
		if p.Kind == PartText {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// ToolCalls returns the message's tool calls in order.
func (m Message) ToolCalls() []ToolCall {
	var calls []ToolCall
	for _, p := range m.Parts {
		if p.Kind == PartToolCall && p.ToolCall != nil {
			calls = append(calls, *p.ToolCall)
		}
	}
	return calls
}

// ToolResults returns the message's tool results in order.
func (m Message) ToolResults() []ToolResult {
	var results []ToolResult
	for _, p := range m.Parts {
		if p.Kind == PartToolResult && p.ToolResult != nil {
			results = append(results, *p.ToolResult)
		}
	}
	return results
}
