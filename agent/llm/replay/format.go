package replay

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/deepctx/deepctx/agent/llm"
)

// interaction is one cassette line as read back.
type interaction struct {
	Key        string          `json:"key"`
	Request    json.RawMessage `json:"request"`
	Response   *storedResponse `json:"response,omitempty"`
	Error      *errorRecord    `json:"error,omitempty"`
	RecordedAt time.Time       `json:"recorded_at"`
}

// line is one cassette line as written; every part is already scrubbed.
type line struct {
	Key        string          `json:"key"`
	Request    json.RawMessage `json:"request"`
	Response   json.RawMessage `json:"response,omitempty"`
	Error      json.RawMessage `json:"error,omitempty"`
	RecordedAt time.Time       `json:"recorded_at"`
}

// canonicalRequest is what a request's key is computed from: everything
// that can change a model's answer, nothing that changes from run to run.
type canonicalRequest struct {
	Role        llm.CallRole       `json:"role,omitempty"`
	Messages    []storedMessage    `json:"messages"`
	Tools       []canonicalToolDef `json:"tools,omitempty"`
	ToolChoice  llm.ToolChoice     `json:"tool_choice,omitzero"`
	Temperature *float64           `json:"temperature,omitempty"`
	MaxTokens   int                `json:"max_tokens,omitempty"`
	Schema      *canonicalSchema   `json:"schema,omitempty"`
	Stop        []string           `json:"stop,omitempty"`
}

type canonicalToolDef struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Parameters  any    `json:"parameters,omitempty"`
}

type canonicalSchema struct {
	Name   string `json:"name"`
	Schema any    `json:"schema"`
	Strict bool   `json:"strict,omitempty"`
}

// storedMessage is a message without its ID and Meta.
type storedMessage struct {
	Role  llm.Role     `json:"role"`
	Name  string       `json:"name,omitempty"`
	Parts []storedPart `json:"parts"`
}

type storedPart struct {
	Kind       llm.PartKind    `json:"kind"`
	Text       string          `json:"text,omitempty"`
	ToolCall   *storedCall     `json:"tool_call,omitempty"`
	ToolResult *llm.ToolResult `json:"tool_result,omitempty"`
}

// storedCall holds arguments as JSON when they are valid JSON, else
// verbatim in RawArgs, so that malformed model output survives the trip.
type storedCall struct {
	ID      string          `json:"id"`
	Name    string          `json:"name"`
	Args    json.RawMessage `json:"args,omitempty"`
	RawArgs string          `json:"raw_args,omitempty"`
}

type storedResponse struct {
	Message      storedMessage    `json:"message"`
	FinishReason llm.FinishReason `json:"finish_reason"`
	Usage        llm.Usage        `json:"usage"`
	Model        string           `json:"model,omitempty"`
}

// canonical returns the key form of req. Tool-call IDs are renamed
// "call_1", "call_2", … in order of first appearance, consistently in calls
// and results.
func canonical(req llm.Request) canonicalRequest {
	ids := map[string]string{}
	rename := func(id string) string {
		if id == "" {
			return ""
		}
		if _, ok := ids[id]; !ok {
			ids[id] = "call_" + strconv.Itoa(len(ids)+1)
		}
		return ids[id]
	}
	c := canonicalRequest{
		Role: req.Role, ToolChoice: req.ToolChoice, Temperature: req.Temperature,
		MaxTokens: req.MaxTokens, Stop: req.Stop, Messages: make([]storedMessage, len(req.Messages)),
	}
	for i, m := range req.Messages {
		c.Messages[i] = toStored(m, rename)
	}
	for _, def := range req.Tools {
		c.Tools = append(c.Tools, canonicalToolDef{Name: def.Name, Description: def.Description, Parameters: jsonOrString(def.Parameters)})
	}
	if s := req.Schema; s != nil {
		c.Schema = &canonicalSchema{Name: s.Name, Schema: jsonOrString(s.Schema), Strict: s.Strict}
	}
	return c
}

// toStored converts m, passing tool-call IDs through rename.
func toStored(m llm.Message, rename func(string) string) storedMessage {
	s := storedMessage{Role: m.Role, Name: m.Name, Parts: make([]storedPart, 0, len(m.Parts))}
	for _, p := range m.Parts {
		sp := storedPart{Kind: p.Kind, Text: p.Text}
		if c := p.ToolCall; c != nil {
			sp.ToolCall = &storedCall{ID: rename(c.ID), Name: c.Name}
			sp.ToolCall.Args, sp.ToolCall.RawArgs = splitArgs(c.Args)
		}
		if r := p.ToolResult; r != nil {
			result := *r
			result.CallID = rename(r.CallID)
			sp.ToolResult = &result
		}
		s.Parts = append(s.Parts, sp)
	}
	return s
}

func keepID(id string) string { return id }

func storeResponse(resp llm.Response) storedResponse {
	return storedResponse{
		Message:      toStored(resp.Message, keepID),
		FinishReason: resp.FinishReason,
		Usage:        resp.Usage,
		Model:        resp.Model,
	}
}

// response rebuilds the recorded reply with a fresh message ID. Arguments
// recorded verbatim because they were not JSON come back through
// llm.ArgsFromText, so the reply marshals and DecodeArgs reports the text.
func (s storedResponse) response() llm.Response {
	msg := llm.Message{ID: llm.NewID(), Role: s.Message.Role, Name: s.Message.Name}
	for _, sp := range s.Message.Parts {
		p := llm.Part{Kind: sp.Kind, Text: sp.Text}
		if c := sp.ToolCall; c != nil {
			args := json.RawMessage(bytes.Clone(c.Args))
			if c.RawArgs != "" {
				args = llm.ArgsFromText(c.RawArgs)
			}
			p.ToolCall = &llm.ToolCall{ID: c.ID, Name: c.Name, Args: args}
		}
		if r := sp.ToolResult; r != nil {
			result := *r
			p.ToolResult = &result
		}
		msg.Parts = append(msg.Parts, p)
	}
	return llm.Response{Message: msg, FinishReason: s.FinishReason, Usage: s.Usage, Model: s.Model}
}

// splitArgs returns raw as canonical JSON when it is valid JSON, else as a
// verbatim string.
func splitArgs(raw json.RawMessage) (json.RawMessage, string) {
	if len(raw) == 0 {
		return nil, ""
	}
	if canon, ok := canonicalJSON(raw); ok {
		return canon, ""
	}
	return nil, string(raw)
}

// jsonOrString returns raw as canonical JSON when valid, else as a string,
// or nil when empty.
func jsonOrString(raw json.RawMessage) any {
	args, str := splitArgs(raw)
	if args != nil {
		return args
	}
	if str != "" {
		return str
	}
	return nil
}

// canonicalJSON re-encodes a JSON document with sorted object keys, no
// insignificant whitespace and numbers spelled as written.
func canonicalJSON(raw []byte) (json.RawMessage, bool) {
	v, err := decodeJSON(raw)
	if err != nil {
		return nil, false
	}
	out, err := marshal(v)
	if err != nil {
		return nil, false
	}
	return out, true
}

// decodeJSON decodes exactly one JSON document, keeping numbers as written.
func decodeJSON(raw []byte) (any, error) {
	if !json.Valid(raw) {
		return nil, errInvalidJSON
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}
