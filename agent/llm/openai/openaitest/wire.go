package openaitest

import (
	"encoding/json"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
)

// Wire is a chat.completions request body as the server received it.
type Wire struct {
	// Model is the requested model name; it picks the backing model.
	Model    string        `json:"model"`
	Messages []WireMessage `json:"messages"`
	Tools    []WireTool    `json:"tools,omitempty"`
	// ToolChoice is "none", "auto", "required" or a {"type":"function"}
	// object, as sent; empty when absent.
	ToolChoice     json.RawMessage     `json:"tool_choice,omitempty"`
	ResponseFormat *WireResponseFormat `json:"response_format,omitempty"`
	// Temperature is nil when the request sent none.
	Temperature         *float64 `json:"temperature,omitempty"`
	MaxTokens           int      `json:"max_tokens,omitempty"`
	MaxCompletionTokens int      `json:"max_completion_tokens,omitempty"`
	Stop                []string `json:"stop,omitempty"`
	Stream              bool     `json:"stream,omitempty"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options,omitempty"`
}

// WireMessage is one chat message of a request.
type WireMessage struct {
	Role string `json:"role"`
	// Content is the message text; a content array's text parts are
	// concatenated.
	Content    string         `json:"content"`
	Name       string         `json:"name,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
	ToolCalls  []WireToolCall `json:"tool_calls,omitempty"`
}

// UnmarshalJSON reads content given as a string, null, or an array of
// parts.
func (m *WireMessage) UnmarshalJSON(data []byte) error {
	type plain WireMessage
	var aux struct {
		plain
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	*m = WireMessage(aux.plain)
	if len(aux.Content) == 0 || string(aux.Content) == "null" {
		return nil
	}
	if err := json.Unmarshal(aux.Content, &m.Content); err == nil {
		return nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(aux.Content, &parts); err != nil {
		return err
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	m.Content = b.String()
	return nil
}

// WireToolCall is a tool call of an assistant message.
type WireToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// WireTool is a tool offered to the model.
type WireTool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		Parameters  json.RawMessage `json:"parameters,omitempty"`
	} `json:"function"`
}

// WireResponseFormat asks for JSON output: "json_object", or "json_schema"
// with a named schema.
type WireResponseFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name   string          `json:"name"`
		Schema json.RawMessage `json:"schema,omitempty"`
		Strict bool            `json:"strict,omitempty"`
	} `json:"json_schema,omitempty"`
}

// System returns the text of the first message when it is a system (or
// developer) message, else "".
func (w Wire) System() string {
	if len(w.Messages) > 0 && (w.Messages[0].Role == "system" || w.Messages[0].Role == "developer") {
		return w.Messages[0].Content
	}
	return ""
}

// HasTool reports whether the request offers the tool name.
func (w Wire) HasTool(name string) bool {
	for _, t := range w.Tools {
		if t.Function.Name == name {
			return true
		}
	}
	return false
}

// SchemaName returns the name of the requested JSON schema, or "" when the
// request asks for none (or for any JSON object).
func (w Wire) SchemaName() string {
	if w.ResponseFormat == nil || w.ResponseFormat.JSONSchema == nil {
		return ""
	}
	return w.ResponseFormat.JSONSchema.Name
}

// Request converts the wire request back into an llm.Request, as the
// provider adapter built it, except for what the wire does not carry: the
// call role (left empty), message IDs (fresh) and tool results' error flag.
// Tool results get the name of the call they answer.
func (w Wire) Request() llm.Request {
	var req llm.Request
	names := map[string]string{}
	for _, m := range w.Messages {
		var msg llm.Message
		switch m.Role {
		case "system", "developer":
			msg = llm.System(m.Content)
		case "user":
			msg = llm.User(m.Content)
		case "assistant":
			calls := make([]llm.ToolCall, 0, len(m.ToolCalls))
			for _, c := range m.ToolCalls {
				names[c.ID] = c.Function.Name
				calls = append(calls, llm.ToolCall{ID: c.ID, Name: c.Function.Name, Args: llm.ArgsFromText(c.Function.Arguments)})
			}
			msg = llm.Assistant(m.Content, calls...)
		case "tool":
			msg = llm.Tool(llm.ToolResult{CallID: m.ToolCallID, Name: names[m.ToolCallID], Content: m.Content})
		default:
			continue
		}
		msg.Name = m.Name
		req.Messages = append(req.Messages, msg)
	}
	for _, t := range w.Tools {
		req.Tools = append(req.Tools, llm.ToolDef{Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters})
	}
	req.ToolChoice = w.toolChoice()
	req.Temperature = w.Temperature
	req.MaxTokens = max(w.MaxTokens, w.MaxCompletionTokens)
	req.Stop = w.Stop
	if f := w.ResponseFormat; f != nil && (f.Type == "json_object" || f.JSONSchema != nil) {
		req.Schema = &llm.ResponseSchema{}
		if s := f.JSONSchema; s != nil {
			req.Schema.Name, req.Schema.Schema, req.Schema.Strict = s.Name, s.Schema, s.Strict
		}
	}
	return req
}

// toolChoice decodes tool_choice.
func (w Wire) toolChoice() llm.ToolChoice {
	var mode string
	if json.Unmarshal(w.ToolChoice, &mode) == nil {
		switch mode {
		case "none":
			return llm.ToolChoice{Mode: llm.ToolChoiceNone}
		case "required":
			return llm.ToolChoice{Mode: llm.ToolChoiceRequired}
		}
		return llm.ToolChoice{}
	}
	var named struct {
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if json.Unmarshal(w.ToolChoice, &named) == nil && named.Function.Name != "" {
		return llm.ToolChoice{Mode: llm.ToolChoiceTool, Name: named.Function.Name}
	}
	return llm.ToolChoice{}
}
