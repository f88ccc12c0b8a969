package openai

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	oai "github.com/sashabaranov/go-openai"

	"github.com/deepctx/deepctx/agent/llm"
)

// emptyObjectSchema is the parameters schema of a tool without arguments.
var emptyObjectSchema = json.RawMessage(`{"type":"object","properties":{}}`)

// emptyToolOutput stands in for an empty tool result: the API rejects tool
// messages without content.
const emptyToolOutput = "(no output)"

// defaultSchemaName names a response schema that has no name of its own.
const defaultSchemaName = "response"

// chatRequest converts req to go-openai's request. The temperature and the
// legacy max_tokens are not set here: newCall has transport write them.
func (m *Model) chatRequest(req llm.Request) (oai.ChatCompletionRequest, error) {
	out := oai.ChatCompletionRequest{Model: m.model, Stop: req.Stop}
	var err error
	if out.Messages, err = toMessages(req.Messages); err != nil {
		return out, m.badRequest(err)
	}
	if out.Tools, err = toTools(req.Tools); err != nil {
		return out, m.badRequest(err)
	}
	if out.ToolChoice, err = toToolChoice(req.ToolChoice); err != nil {
		return out, m.badRequest(err)
	}
	if out.ResponseFormat, err = toResponseFormat(req.Schema); err != nil {
		return out, m.badRequest(err)
	}
	if err := checkSampling(req); err != nil {
		return out, m.badRequest(err)
	}
	if m.maxTokensParam == MaxCompletionTokens {
		out.MaxCompletionTokens = req.MaxTokens
	}
	return out, nil
}

// newCall returns the call state for req, with the body members go-openai
// cannot send itself: a temperature (0 included) and the legacy max_tokens.
func (m *Model) newCall(req llm.Request) *call {
	c := &call{}
	if req.Temperature != nil {
		c.extra = append(c.extra, member{"temperature", *req.Temperature})
	}
	if m.maxTokensParam == MaxTokens && req.MaxTokens > 0 {
		c.extra = append(c.extra, member{MaxTokens, req.MaxTokens})
	}
	return c
}

// checkSampling rejects a temperature or token limit no server accepts.
func checkSampling(req llm.Request) error {
	if t := req.Temperature; t != nil && (math.IsNaN(*t) || math.IsInf(*t, 0) || *t < 0) {
		return fmt.Errorf("temperature %v is not a non-negative number", *t)
	}
	if req.MaxTokens < 0 {
		return fmt.Errorf("max tokens %d is negative", req.MaxTokens)
	}
	return nil
}

// toMessages converts a conversation. A message may become several wire
// messages: each tool result is its own "tool" message.
func toMessages(msgs []llm.Message) ([]oai.ChatCompletionMessage, error) {
	out := make([]oai.ChatCompletionMessage, 0, len(msgs))
	for i, m := range msgs {
		wire, err := toMessage(m)
		if err != nil {
			return nil, fmt.Errorf("message %d (id %q): %w", i, m.ID, err)
		}
		out = append(out, wire...)
	}
	return out, nil
}

// toMessage converts one message: its tool results first, as "tool"
// messages answering earlier calls, then its text and, for the assistant,
// its tool calls.
func toMessage(m llm.Message) ([]oai.ChatCompletionMessage, error) {
	if !m.Role.Valid() {
		return nil, fmt.Errorf("unknown role %q", m.Role)
	}
	out, err := toolMessages(m.ToolResults())
	if err != nil {
		return nil, err
	}
	if m.Role == llm.RoleTool {
		if len(out) == 0 {
			return nil, errors.New("tool message carries no tool result")
		}
		return out, nil
	}
	msg := oai.ChatCompletionMessage{Role: string(m.Role), Content: m.Text(), Name: m.Name}
	calls := m.ToolCalls()
	if len(calls) > 0 && m.Role != llm.RoleAssistant {
		return nil, fmt.Errorf("a %s message cannot carry tool calls", m.Role)
	}
	if msg.ToolCalls, err = toWireCalls(calls); err != nil {
		return nil, err
	}
	if msg.Content == "" && len(msg.ToolCalls) == 0 && len(out) > 0 {
		return out, nil // only tool results
	}
	return append(out, msg), nil
}

// toolMessages converts tool results to "tool" messages. The API has no
// error flag: a failed call's Content explains the failure, as llm requires.
func toolMessages(results []llm.ToolResult) ([]oai.ChatCompletionMessage, error) {
	var out []oai.ChatCompletionMessage
	for _, r := range results {
		if r.CallID == "" {
			return nil, fmt.Errorf("tool result of %q has no call ID", r.Name)
		}
		content := r.Content
		if content == "" {
			content = emptyToolOutput
		}
		out = append(out, oai.ChatCompletionMessage{
			Role:       oai.ChatMessageRoleTool,
			Content:    content,
			ToolCallID: r.CallID,
		})
	}
	return out, nil
}

// toWireCalls converts an assistant's tool calls. Arguments are sent as
// stored; empty arguments are sent as "{}".
func toWireCalls(calls []llm.ToolCall) ([]oai.ToolCall, error) {
	var out []oai.ToolCall
	for _, c := range calls {
		if c.ID == "" {
			return nil, fmt.Errorf("tool call %q has no ID", c.Name)
		}
		args := strings.TrimSpace(string(c.Args))
		if args == "" {
			args = "{}"
		}
		out = append(out, oai.ToolCall{
			ID:       c.ID,
			Type:     oai.ToolTypeFunction,
			Function: oai.FunctionCall{Name: c.Name, Arguments: args},
		})
	}
	return out, nil
}

// toTools converts tool definitions to function tools.
func toTools(defs []llm.ToolDef) ([]oai.Tool, error) {
	var out []oai.Tool
	for _, d := range defs {
		if d.Name == "" {
			return nil, errors.New("tool definition without a name")
		}
		params := d.Parameters
		if len(params) == 0 || string(params) == "null" {
			params = emptyObjectSchema
		}
		if !json.Valid(params) {
			return nil, fmt.Errorf("tool %s: parameters are not valid JSON", d.Name)
		}
		out = append(out, oai.Tool{
			Type: oai.ToolTypeFunction,
			Function: &oai.FunctionDefinition{
				Name:        d.Name,
				Description: d.Description,
				Parameters:  params,
			},
		})
	}
	return out, nil
}

// toToolChoice converts a tool choice; nil leaves the server's default.
func toToolChoice(tc llm.ToolChoice) (any, error) {
	switch tc.Mode {
	case llm.ToolChoiceAuto:
		return nil, nil
	case llm.ToolChoiceNone, llm.ToolChoiceRequired:
		return string(tc.Mode), nil
	case llm.ToolChoiceTool:
		if tc.Name == "" {
			return nil, errors.New("tool choice names no tool")
		}
		return oai.ToolChoice{Type: oai.ToolTypeFunction, Function: oai.ToolFunction{Name: tc.Name}}, nil
	}
	return nil, fmt.Errorf("unknown tool choice mode %q", tc.Mode)
}

// toResponseFormat converts a response schema to a json_schema response
// format. A schema without a JSON Schema document asks for any JSON object.
func toResponseFormat(s *llm.ResponseSchema) (*oai.ChatCompletionResponseFormat, error) {
	if s == nil {
		return nil, nil
	}
	if len(s.Schema) == 0 || string(s.Schema) == "null" {
		return &oai.ChatCompletionResponseFormat{Type: oai.ChatCompletionResponseFormatTypeJSONObject}, nil
	}
	if !json.Valid(s.Schema) {
		return nil, fmt.Errorf("response schema %q is not valid JSON", s.Name)
	}
	name := s.Name
	if name == "" {
		name = defaultSchemaName
	}
	return &oai.ChatCompletionResponseFormat{
		Type: oai.ChatCompletionResponseFormatTypeJSONSchema,
		JSONSchema: &oai.ChatCompletionResponseFormatJSONSchema{
			Name:   name,
			Schema: s.Schema,
			Strict: s.Strict,
		},
	}, nil
}
