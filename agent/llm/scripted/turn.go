package scripted

import "github.com/deepctx/deepctx/agent/llm"

// Turn is one scripted answer: a reply (text and/or tool calls) or, when Err
// is set, a failure. Build turns with Text, Call, Calls and Err, and adjust
// them with the With… methods.
type Turn struct {
	// Text is the reply's text. Optional.
	Text string
	// Calls are the reply's tool calls, in order. A call without an ID gets
	// a deterministic one ("call_1", "call_2", … per script).
	Calls []llm.ToolCall
	// Usage is reported as is when non-nil. Optional. Defaults to
	// EstimateUsage of the request and the reply.
	Usage *llm.Usage
	// Finish is the finish reason. Optional. Defaults to
	// llm.FinishToolCalls when the turn has calls, else llm.FinishStop.
	Finish llm.FinishReason
	// Err, when non-nil, is returned verbatim by the call instead of a
	// reply; the other fields are then ignored.
	Err error
}

// Text returns a turn that replies with text.
func Text(s string) Turn { return Turn{Text: s} }

// Call returns a turn that calls one tool with args, the arguments as the
// model would write them (usually a JSON object; anything is accepted). They
// are stored as a provider stores them, with llm.ArgsFromText: valid JSON
// verbatim, anything else as a JSON string that DecodeArgs reports as an
// *llm.MalformedOutputError, so replies always marshal.
func Call(name, args string) Turn {
	return Turn{Calls: []llm.ToolCall{{Name: name, Args: llm.ArgsFromText(args)}}}
}

// Calls merges turns into one reply: their texts concatenated and their
// tool calls in order. Calls(Call("a", …), Call("b", …)) is a reply making
// two parallel tool calls. Usage, Finish and Err come from the first turn
// that sets them.
func Calls(turns ...Turn) Turn {
	var merged Turn
	for _, t := range turns {
		merged.Text += t.Text
		merged.Calls = append(merged.Calls, t.Calls...)
		if merged.Usage == nil {
			merged.Usage = t.Usage
		}
		if merged.Finish == "" {
			merged.Finish = t.Finish
		}
		if merged.Err == nil {
			merged.Err = t.Err
		}
	}
	return merged
}

// Err returns a turn that fails with err, e.g. a *llm.ProviderError of
// kind llm.ErrRateLimited to test retries.
func Err(err error) Turn { return Turn{Err: err} }

// WithText returns a copy of t whose reply text is s.
func (t Turn) WithText(s string) Turn {
	t.Text = s
	return t
}

// WithCall returns a copy of t that also calls tool name with args.
func (t Turn) WithCall(name, args string) Turn {
	return Calls(t, Call(name, args))
}

// WithUsage returns a copy of t that reports u instead of an estimate.
func (t Turn) WithUsage(u llm.Usage) Turn {
	t.Usage = &u
	return t
}

// WithFinish returns a copy of t that finishes with r.
func (t Turn) WithFinish(r llm.FinishReason) Turn {
	t.Finish = r
	return t
}

// response returns the reply t describes, without IDs or usage.
func (t Turn) response() llm.Response {
	msg := llm.Message{Role: llm.RoleAssistant}
	if t.Text != "" {
		msg.Parts = append(msg.Parts, llm.TextPart(t.Text))
	}
	for _, c := range t.Calls {
		msg.Parts = append(msg.Parts, llm.ToolCallPart(c))
	}
	resp := llm.Response{Message: cloneMessage(msg), FinishReason: t.Finish}
	if t.Usage != nil {
		resp.Usage = *t.Usage
	}
	return resp
}
