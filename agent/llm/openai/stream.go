package openai

import (
	"strings"

	oai "github.com/sashabaranov/go-openai"

	"github.com/deepctx/deepctx/agent/llm"
)

// accumulator rebuilds a streamed reply from its chunks and turns each chunk
// into events.
//
// Tool-call deltas are matched to calls by their "index" field, as OpenAI
// sends it; a delta bringing a new ID for an index that already has another
// call starts a new call (servers that number every call 0). Deltas without
// an index (some compatible servers) go to the current call, and one with a
// new non-empty ID starts the next. Events number calls by their position
// in the reply, whatever the wire indices were.
type accumulator struct {
	text    strings.Builder
	calls   []*partialCall
	byIndex map[int]int // wire index -> position in calls
	current int         // position of the call the last delta touched, or -1
	finish  oai.FinishReason
	usage   oai.Usage
	model   string
}

// partialCall is a tool call under construction.
type partialCall struct {
	id, name string
	args     strings.Builder
}

func newAccumulator(model string) *accumulator {
	return &accumulator{byIndex: map[int]int{}, current: -1, model: model}
}

// add folds one chunk into the reply and returns the events it yields.
func (a *accumulator) add(chunk oai.ChatCompletionStreamResponse) []llm.Event {
	if chunk.Model != "" {
		a.model = chunk.Model
	}
	if chunk.Usage != nil {
		a.usage = *chunk.Usage
	}
	var events []llm.Event
	for _, choice := range chunk.Choices {
		if choice.Index != 0 {
			continue // only one choice is ever requested
		}
		if choice.FinishReason != "" {
			a.finish = choice.FinishReason
		}
		events = a.addDelta(choice.Delta, events)
	}
	return events
}

// addDelta folds one choice delta in, appending its events to events.
func (a *accumulator) addDelta(d oai.ChatCompletionStreamChoiceDelta, events []llm.Event) []llm.Event {
	text := d.Content
	if text == "" {
		text = d.Refusal
	}
	if text != "" {
		a.text.WriteString(text)
		events = append(events, llm.Event{Kind: llm.EventText, Text: text})
	}
	calls := d.ToolCalls
	if d.FunctionCall != nil && len(calls) == 0 {
		zero := 0 // legacy servers stream a single function_call
		calls = []oai.ToolCall{{Index: &zero, Function: *d.FunctionCall}}
	}
	for _, tc := range calls {
		if delta, ok := a.addToolCall(tc); ok {
			events = append(events, llm.Event{Kind: llm.EventToolCall, ToolCall: &delta})
		}
	}
	return events
}

// addToolCall folds one tool-call delta into its call and returns the
// event delta; ok is false when the delta carried nothing new.
func (a *accumulator) addToolCall(tc oai.ToolCall) (d llm.ToolCallDelta, ok bool) {
	pos := a.position(tc)
	c := a.calls[pos]
	d.Index = pos
	if tc.ID != "" && c.id == "" {
		c.id, d.ID = tc.ID, tc.ID
	}
	if name := tc.Function.Name; name != "" && name != c.name {
		// A name arrives once; some servers repeat it, a few split it.
		c.name += name
		d.Name = name
	}
	c.args.WriteString(tc.Function.Arguments)
	d.Args = tc.Function.Arguments
	return d, d.ID != "" || d.Name != "" || d.Args != ""
}

// position returns the position of the call tc belongs to, starting a new
// call when tc begins one.
func (a *accumulator) position(tc oai.ToolCall) int {
	if tc.Index != nil {
		pos, ok := a.byIndex[*tc.Index]
		if !ok || a.startsNew(pos, tc.ID) {
			pos = a.newCall()
			a.byIndex[*tc.Index] = pos
		}
		a.current = pos
		return pos
	}
	if a.current < 0 || a.startsNew(a.current, tc.ID) {
		a.current = a.newCall()
	}
	return a.current
}

// startsNew reports whether a delta with id begins a call other than the
// one at pos.
func (a *accumulator) startsNew(pos int, id string) bool {
	have := a.calls[pos].id
	return id != "" && have != "" && id != have
}

func (a *accumulator) newCall() int {
	a.calls = append(a.calls, &partialCall{})
	return len(a.calls) - 1
}

// response returns the complete reply. A stream that ended without a
// finish reason was cut short and yields a *llm.MalformedOutputError.
func (a *accumulator) response() (llm.Response, error) {
	if a.finish == "" {
		return llm.Response{}, &llm.MalformedOutputError{
			What:   "stream",
			Detail: "the stream ended before the model finished (no finish_reason)",
			Raw:    a.text.String(),
		}
	}
	calls := make([]llm.ToolCall, len(a.calls))
	for i, c := range a.calls {
		calls[i] = newToolCall(c.id, c.name, c.args.String())
	}
	return newResponse(a.text.String(), calls, a.finish, a.usage, a.model), nil
}
