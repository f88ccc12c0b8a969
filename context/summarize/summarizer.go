package summarize

import (
	"context"
	"errors"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/tokens"
)

// Errors reported by the package.
var (
	// ErrEmptySummary reports a summarizer that produced no text.
	ErrEmptySummary = errors.New("summarize: empty summary")
	// ErrNoGain reports a summary that would not make the view smaller
	// than the messages it replaces; the policy then records nothing.
	ErrNoGain = errors.New("summarize: summary not smaller than what it replaces")
)

// Request is what to summarize and how much room the summary has.
type Request struct {
	// Messages are the messages to summarize, oldest first, as the model
	// saw them (edits applied). They may include an earlier summary
	// (Meta.Provenance == ProvenanceSummary), which the new summary must
	// absorb.
	Messages []llm.Message
	// Focus is what the summary is for, usually the agent's task (the text
	// of its user messages). It is context, not content: the messages it
	// comes from stay in the view, so the summary need not repeat it.
	// Optional.
	Focus string
	// Instructions say what the summary must keep. Optional. Defaults to
	// the summarizer's own instructions (DefaultInstructions for Model).
	// Extractive ignores them: it cannot follow instructions.
	Instructions string
	// MaxTokens is the budget of the summary text, counted by Counter.
	// Required: a value of 0 or less lets the summarizer choose.
	MaxTokens int
	// Counter counts MaxTokens. Optional. Defaults to the o200k_base
	// tokenizer (tokens.ForModel("openai:gpt-4.1")).
	Counter tokens.Counter
}

// counter returns the request's Counter or the default.
func (r Request) counter() tokens.Counter {
	if r.Counter != nil {
		return r.Counter
	}
	return defaultCounter()
}

var defaultTokenizer = tokens.ForModel("openai:gpt-4.1")

func defaultCounter() tokens.Counter { return defaultTokenizer }

// Summarizer condenses messages into text. Implementations must honour ctx,
// must return an error rather than an empty summary, and should stay within
// Request.MaxTokens. They must be safe for concurrent use.
type Summarizer interface {
	// Summarize returns the summary of req.Messages.
	Summarize(ctx context.Context, req Request) (string, error)
}

// SummarizerFunc adapts a function to Summarizer.
type SummarizerFunc func(ctx context.Context, req Request) (string, error)

// Summarize calls f.
func (f SummarizerFunc) Summarize(ctx context.Context, req Request) (string, error) {
	return f(ctx, req)
}
