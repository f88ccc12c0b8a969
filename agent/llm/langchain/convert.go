package langchain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tmc/langchaingo/llms"

	"github.com/deepctx/deepctx/agent/llm"
)

// rolePart is one converted part and the langchaingo role it is sent under.
type rolePart struct {
	role llms.ChatMessageType
	part llms.ContentPart
}

// convertMessages lays req's messages out for dialect d.
//
// All system text is merged, in order, into one leading system message,
// followed by the structured-output instruction when req.Schema is set:
// langchaingo's googleai keeps only the last system message and its
// anthropic concatenates them without a separator.
func convertMessages(req llm.Request, d Dialect) ([]llms.MessageContent, error) {
	if len(req.Messages) == 0 {
		return nil, errors.New("request has no messages")
	}
	names := toolNames(req.Messages)
	var system []string
	var out []llms.MessageContent
	for i, msg := range req.Messages {
		if msg.Role == llm.RoleSystem {
			text, err := systemText(msg)
			if err != nil {
				return nil, fmt.Errorf("message %d (%s): %w", i, msg.ID, err)
			}
			if text != "" {
				system = append(system, text)
			}
			continue
		}
		parts, err := messageParts(msg, names, d)
		if err != nil {
			return nil, fmt.Errorf("message %d (%s): %w", i, msg.ID, err)
		}
		out = append(out, layout(parts, d)...)
	}
	if len(out) == 0 {
		return nil, errors.New("request has no user, assistant or tool content")
	}
	if req.Schema != nil {
		system = append(system, schemaInstruction(req.Schema))
	}
	if len(system) > 0 {
		sys := llms.TextParts(llms.ChatMessageTypeSystem, strings.Join(system, "\n\n"))
		out = append([]llms.MessageContent{sys}, out...)
	}
	return out, nil
}

// toolNames maps every tool call ID in msgs to its tool's name, so tool
// results can name their tool (googleai requires it).
func toolNames(msgs []llm.Message) map[string]string {
	names := map[string]string{}
	for _, m := range msgs {
		for _, c := range m.ToolCalls() {
			names[c.ID] = c.Name
		}
	}
	return names
}

func systemText(msg llm.Message) (string, error) {
	for _, p := range msg.Parts {
		if p.Kind != llm.PartText {
			return "", fmt.Errorf("system message holds a %s part; only text is allowed", p.Kind)
		}
	}
	return msg.Text(), nil
}

// messageParts converts the parts of a non-system message. Text keeps the
// message's role; tool calls go out as the assistant's, tool results as
// tool messages.
func messageParts(msg llm.Message, names map[string]string, d Dialect) ([]rolePart, error) {
	role, err := chatRole(msg.Role)
	if err != nil {
		return nil, err
	}
	parts := make([]rolePart, 0, len(msg.Parts))
	for _, p := range msg.Parts {
		rp, ok, err := convertPart(p, role, names, d)
		if err != nil {
			return nil, err
		}
		if ok {
			parts = append(parts, rp)
		}
	}
	return parts, nil
}

func chatRole(r llm.Role) (llms.ChatMessageType, error) {
	switch r {
	case llm.RoleUser, llm.RoleTool: // text in a tool message reads as the user's
		return llms.ChatMessageTypeHuman, nil
	case llm.RoleAssistant:
		return llms.ChatMessageTypeAI, nil
	}
	return "", fmt.Errorf("unknown role %q", r)
}

// convertPart converts one part; ok is false for parts with nothing to send.
func convertPart(p llm.Part, role llms.ChatMessageType, names map[string]string, d Dialect) (rp rolePart, ok bool, err error) {
	switch p.Kind {
	case llm.PartText:
		if p.Text == "" {
			return rolePart{}, false, nil
		}
		return rolePart{role, llms.TextContent{Text: p.Text}}, true, nil
	case llm.PartToolCall:
		if p.ToolCall == nil {
			return rolePart{}, false, errors.New("tool-call part without a ToolCall")
		}
		if d == DialectText {
			return rolePart{llms.ChatMessageTypeAI, llms.TextContent{Text: callText(*p.ToolCall)}}, true, nil
		}
		return rolePart{llms.ChatMessageTypeAI, toolCallPart(*p.ToolCall)}, true, nil
	case llm.PartToolResult:
		if p.ToolResult == nil {
			return rolePart{}, false, errors.New("tool-result part without a ToolResult")
		}
		r := *p.ToolResult
		if r.Name == "" {
			r.Name = names[r.CallID]
		}
		if d == DialectText {
			return rolePart{llms.ChatMessageTypeHuman, llms.TextContent{Text: resultText(r)}}, true, nil
		}
		resp := llms.ToolCallResponse{ToolCallID: r.CallID, Name: r.Name, Content: resultContent(r)}
		return rolePart{llms.ChatMessageTypeTool, resp}, true, nil
	}
	return rolePart{}, false, fmt.Errorf("unknown part kind %q", p.Kind)
}

// layout groups the converted parts of one message into MessageContents.
// Tool results always travel alone: langchaingo's openai requires exactly
// one part per tool message.
func layout(parts []rolePart, d Dialect) []llms.MessageContent {
	var out []llms.MessageContent
	for _, p := range parts {
		n := len(out)
		if d == DialectSplit || p.role == llms.ChatMessageTypeTool || n == 0 || out[n-1].Role != p.role {
			out = append(out, llms.MessageContent{Role: p.role, Parts: []llms.ContentPart{p.part}})
			continue
		}
		last := &out[n-1]
		if d == DialectText { // one text part per message
			prev := last.Parts[0].(llms.TextContent).Text
			last.Parts[0] = llms.TextContent{Text: prev + "\n\n" + p.part.(llms.TextContent).Text}
			continue
		}
		last.Parts = append(last.Parts, p.part)
	}
	return out
}

func toolCallPart(c llm.ToolCall) llms.ToolCall {
	return llms.ToolCall{
		ID:           c.ID,
		Type:         "function",
		FunctionCall: &llms.FunctionCall{Name: c.Name, Arguments: outgoingArgs(c.Args)},
	}
}

// outgoingArgs returns a call's arguments for the history sent back to the
// model. Arguments that are not a JSON object (a malformed call kept in the
// transcript) are sent as {}: langchaingo's anthropic and googleai fail on
// anything else, and the tool result that follows explains the failure.
func outgoingArgs(raw json.RawMessage) string {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed) {
		return string(trimmed)
	}
	return "{}"
}

// resultContent marks failed calls in the text, since llms.ToolCallResponse
// has no error flag.
func resultContent(r llm.ToolResult) string {
	if r.IsError {
		return "Error: " + r.Content
	}
	return r.Content
}

func callText(c llm.ToolCall) string {
	return fmt.Sprintf("[Called tool %s (call %s) with arguments %s]", c.Name, c.ID, outgoingArgs(c.Args))
}

func resultText(r llm.ToolResult) string {
	if r.IsError {
		return fmt.Sprintf("[Tool %s (call %s) failed]\n%s", r.Name, r.CallID, r.Content)
	}
	return fmt.Sprintf("[Result of tool %s (call %s)]\n%s", r.Name, r.CallID, r.Content)
}

// schemaInstruction asks for structured output in words: langchaingo
// v0.1.14 has a JSON mode (llms.WithJSONMode) but no way to pass a schema.
func schemaInstruction(s *llm.ResponseSchema) string {
	schema := bytes.TrimSpace(s.Schema)
	if len(schema) == 0 {
		return "Respond with a single JSON document and nothing else."
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, schema); err != nil {
		compact.Reset()
		compact.Write(schema)
	}
	name := ""
	if s.Name != "" {
		name = " (" + s.Name + ")"
	}
	return fmt.Sprintf("Respond with a single JSON document and nothing else. It must be valid against this JSON Schema%s:\n%s", name, compact.String())
}

// convertTools turns tool definitions into langchaingo tools whose
// Parameters hold the decoded JSON Schema (map[string]any), the form every
// langchaingo provider accepts (googleai accepts nothing else).
func convertTools(defs []llm.ToolDef) ([]llms.Tool, error) {
	tools := make([]llms.Tool, 0, len(defs))
	seen := map[string]bool{}
	for _, d := range defs {
		if d.Name == "" {
			return nil, errors.New("tool without a name")
		}
		if seen[d.Name] {
			return nil, fmt.Errorf("tool %s defined twice", d.Name)
		}
		seen[d.Name] = true
		params, err := parameters(d.Parameters)
		if err != nil {
			return nil, fmt.Errorf("tool %s: %w", d.Name, err)
		}
		tools = append(tools, llms.Tool{
			Type:     "function",
			Function: &llms.FunctionDefinition{Name: d.Name, Description: d.Description, Parameters: params},
		})
	}
	return tools, nil
}

// parameters decodes a tool's JSON Schema. No schema means an object
// without properties; object schemas always get a properties map, which
// googleai requires.
func parameters(raw json.RawMessage) (map[string]any, error) {
	var params map[string]any
	if t := bytes.TrimSpace(raw); len(t) > 0 {
		if err := json.Unmarshal(t, &params); err != nil {
			return nil, fmt.Errorf("parameters are not a JSON Schema object: %w", err)
		}
	}
	if len(params) == 0 {
		params = map[string]any{"type": "object"}
	}
	if params["type"] == "object" {
		if _, ok := params["properties"]; !ok {
			params["properties"] = map[string]any{}
		}
	}
	return params, nil
}

// toolChoice returns the llms.WithToolChoice value for c, or nil for the
// provider's default. A specific tool is named in OpenAI's shape as a map,
// the only structured form langchaingo's bedrock accepts.
func toolChoice(c llm.ToolChoice, defs []llm.ToolDef) (any, error) {
	switch c.Mode {
	case llm.ToolChoiceAuto:
		return nil, nil
	case llm.ToolChoiceNone, llm.ToolChoiceRequired:
		return string(c.Mode), nil
	case llm.ToolChoiceTool:
		if !slices.ContainsFunc(defs, func(d llm.ToolDef) bool { return d.Name == c.Name }) {
			return nil, fmt.Errorf("tool choice names tool %q, which the request does not define", c.Name)
		}
		return map[string]any{"type": "function", "function": map[string]any{"name": c.Name}}, nil
	}
	return nil, fmt.Errorf("unknown tool choice mode %q", c.Mode)
}
