package llm

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"iter"
	"strings"
)

// Model is a chat model: one provider, one model name.
//
// Implementations must be safe for concurrent use. Both methods honour ctx:
// cancellation aborts the call and surfaces ctx.Err() (wrapped).
type Model interface {
	// Generate runs one request to completion.
	Generate(ctx context.Context, req Request) (Response, error)
	// Stream runs one request and yields events as they arrive. The last
	// event of a successful stream has Kind EventDone and carries the
	// complete Response; an error ends the sequence. Callers may stop early
	// by breaking out of the loop, which releases the connection.
	Stream(ctx context.Context, req Request) iter.Seq2[Event, error]
}

// CallRole is the purpose of a model call. A Router maps roles to model
// tiers; the offline engine dispatches on it.
type CallRole string

// The roles deepctx's agents use. The empty role means "default".
const (
	CallDefault    CallRole = ""
	CallPlanner    CallRole = "planner"
	CallResearcher CallRole = "researcher"
	CallSummarizer CallRole = "summarizer"
	CallCompressor CallRole = "compressor"
	CallWriter     CallRole = "writer"
	CallCritic     CallRole = "critic"
	CallJudge      CallRole = "judge"
)

// CallRoles lists the named roles in pipeline order.
var CallRoles = []CallRole{CallPlanner, CallResearcher, CallSummarizer, CallCompressor, CallWriter, CallCritic, CallJudge}

// ToolDef describes a tool the model may call.
type ToolDef struct {
	// Name is how the model calls the tool.
	Name string `json:"name"`
	// Description tells the model what the tool does and when to use it.
	Description string `json:"description,omitempty"`
	// Parameters is the JSON Schema of the arguments object. Nil means a
	// tool without arguments.
	Parameters json.RawMessage `json:"parameters,omitempty"`
}

// ToolChoiceMode says whether and how the model must call tools.
type ToolChoiceMode string

// Tool-choice modes, as the OpenAI API names them.
const (
	ToolChoiceAuto     ToolChoiceMode = "" // the provider's default: model decides
	ToolChoiceNone     ToolChoiceMode = "none"
	ToolChoiceRequired ToolChoiceMode = "required"
	ToolChoiceTool     ToolChoiceMode = "tool" // call ToolChoice.Name
)

// ToolChoice constrains tool use. The zero value lets the model decide.
type ToolChoice struct {
	// Mode is whether and how tools must be called.
	Mode ToolChoiceMode `json:"mode,omitempty"`
	// Name is the tool to call when Mode is ToolChoiceTool.
	Name string `json:"name,omitempty"`
}

// ResponseSchema asks for structured output: a JSON document valid against
// Schema.
type ResponseSchema struct {
	// Name identifies the schema to the provider (required by OpenAI).
	Name string `json:"name"`
	// Schema is the JSON Schema the reply must satisfy. Empty asks for any
	// JSON object.
	Schema json.RawMessage `json:"schema"`
	// Strict asks the provider to enforce the schema exactly where supported.
	Strict bool `json:"strict,omitempty"`
}

// Request is one model call.
type Request struct {
	// Role is the purpose of the call; routers and the offline engine use it.
	Role CallRole `json:"role,omitempty"`
	// Messages is the conversation so far, oldest first.
	Messages []Message `json:"messages"`
	// Tools are the tools the model may call.
	Tools []ToolDef `json:"tools,omitempty"`
	// ToolChoice defaults to letting the model decide.
	ToolChoice ToolChoice `json:"tool_choice,omitzero"`
	// Temperature is sent when non-nil, including an explicit 0. Nil leaves
	// the provider's default.
	Temperature *float64 `json:"temperature,omitempty"`
	// MaxTokens caps the output. 0 leaves the provider's default.
	MaxTokens int `json:"max_tokens,omitempty"`
	// Schema, when set, requests structured JSON output.
	Schema *ResponseSchema `json:"schema,omitempty"`
	// Stop sequences end generation early.
	Stop []string `json:"stop,omitempty"`
}

// Temp returns a pointer to t, for Request.Temperature.
func Temp(t float64) *float64 { return &t }

// FinishReason says why the model stopped.
type FinishReason string

// Finish reasons, normalized across providers.
const (
	FinishStop      FinishReason = "stop"
	FinishToolCalls FinishReason = "tool_calls"
	FinishLength    FinishReason = "length"
	FinishFilter    FinishReason = "content_filter"
	FinishUnknown   FinishReason = "unknown"
)

// Usage is the token usage of one call as the provider reports it.
type Usage struct {
	// Input counts every prompt token, CachedInput included.
	Input int `json:"input"`
	// CachedInput is the part of Input served from the provider's prompt cache.
	CachedInput int `json:"cached_input,omitempty"`
	// Output counts every generated token, Reasoning included.
	Output int `json:"output"`
	// Reasoning is the part of Output spent on hidden reasoning.
	Reasoning int `json:"reasoning,omitempty"`
}

// Add returns the field-wise sum of u and v.
func (u Usage) Add(v Usage) Usage {
	return Usage{
		Input:       u.Input + v.Input,
		CachedInput: u.CachedInput + v.CachedInput,
		Output:      u.Output + v.Output,
		Reasoning:   u.Reasoning + v.Reasoning,
	}
}

// Total returns input plus output tokens.
func (u Usage) Total() int { return u.Input + u.Output }

// Response is the result of one model call.
type Response struct {
	// Message is the assistant's reply, with a fresh ID.
	Message Message `json:"message"`
	// FinishReason says why the model stopped.
	FinishReason FinishReason `json:"finish_reason"`
	// Usage is the call's token usage as the provider reports it.
	Usage Usage `json:"usage"`
	// Model is the model that answered, as the provider names it.
	Model string `json:"model,omitempty"`
}

// EventKind tells what a stream event carries.
type EventKind string

// Stream event kinds.
const (
	// EventText carries a piece of the reply's text in Text.
	EventText EventKind = "text"
	// EventToolCall carries a tool-call fragment in ToolCall: Index says
	// which call of the reply it belongs to; ID and Name arrive once, Args
	// in pieces to be concatenated.
	EventToolCall EventKind = "tool_call"
	// EventDone is the last event; Response holds the complete reply.
	EventDone EventKind = "done"
)

// ToolCallDelta is a fragment of a streamed tool call.
type ToolCallDelta struct {
	// Index is the call's position among the reply's tool calls.
	Index int `json:"index"`
	// ID is the call's ID, on the delta that brings it.
	ID string `json:"id,omitempty"`
	// Name is the tool's name, or a piece of it, on the delta that brings it.
	Name string `json:"name,omitempty"`
	// Args is the next piece of the argument text.
	Args string `json:"args,omitempty"`
}

// Event is one item of a streamed response.
type Event struct {
	// Kind says which of the fields below the event carries.
	Kind EventKind `json:"kind"`
	// Text is the text piece of an EventText.
	Text string `json:"text,omitempty"`
	// ToolCall is the fragment of an EventToolCall.
	ToolCall *ToolCallDelta `json:"tool_call,omitempty"`
	// Response is the complete reply of an EventDone.
	Response *Response `json:"response,omitempty"`
}

// Collect drains a stream and returns its final response. A stream that ends
// without an EventDone yields a *MalformedOutputError.
func Collect(seq iter.Seq2[Event, error]) (Response, error) {
	for ev, err := range seq {
		if err != nil {
			return Response{}, err
		}
		if ev.Kind == EventDone && ev.Response != nil {
			return *ev.Response, nil
		}
	}
	return Response{}, &MalformedOutputError{What: "stream", Detail: "stream ended without a final response"}
}

// StreamOf adapts a Generate-only implementation to Stream: it yields the
// reply's text, its tool calls and the final EventDone from one Generate.
// Providers without native streaming use it.
func StreamOf(ctx context.Context, generate func(context.Context, Request) (Response, error), req Request) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		resp, err := generate(ctx, req)
		if err != nil {
			yield(Event{}, err)
			return
		}
		if text := resp.Message.Text(); text != "" {
			if !yield(Event{Kind: EventText, Text: text}, nil) {
				return
			}
		}
		for i, c := range resp.Message.ToolCalls() {
			d := &ToolCallDelta{Index: i, ID: c.ID, Name: c.Name, Args: string(c.Args)}
			if !yield(Event{Kind: EventToolCall, ToolCall: d}, nil) {
				return
			}
		}
		yield(Event{Kind: EventDone, Response: &resp}, nil)
	}
}

// ModelFunc adapts a function to Model; Stream is derived with StreamOf.
type ModelFunc func(ctx context.Context, req Request) (Response, error)

// Generate calls f.
func (f ModelFunc) Generate(ctx context.Context, req Request) (Response, error) { return f(ctx, req) }

// Stream yields the result of f as events.
func (f ModelFunc) Stream(ctx context.Context, req Request) iter.Seq2[Event, error] {
	return StreamOf(ctx, f, req)
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewID returns a fresh random message or call identifier.
func NewID() string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return "m_" + strings.ToLower(idEncoding.EncodeToString(b[:]))
}
