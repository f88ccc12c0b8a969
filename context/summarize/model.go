package summarize

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
)

// DefaultInstructions is the system prompt of Model when neither the
// request nor ModelConfig gives one. It asks for a compaction summary in
// the spirit of Anthropic's and Codex's auto-compaction prompts: a hand-off
// note from which the agent can carry on as if it had read everything.
const DefaultInstructions = `You are compacting the working memory of a research agent. You are given the oldest part of its transcript: what it said, the tools it called, what they returned, and perhaps an earlier summary. Your summary will replace that part. The agent keeps its task, the user's messages and its latest steps verbatim, but of everything you are given it will only see what you write, so anything you leave out is lost to it.

Write a hand-off note from which the agent can continue the work as if it had read everything. Keep, in this order:
1. Goal and constraints: what the agent is trying to achieve right now, and any requirement or preference the user stated.
2. Progress: what has been done, the decisions taken and why.
3. Facts learned, each with its source: the URL, title, tool call or artifact handle it came from. Copy numbers, dates, names, quotes, identifiers, URLs and artifact handles exactly; they are how the agent cites sources and reads full content back.
4. Open questions, contradictions between sources, failed attempts and dead ends, so they are not repeated.
5. Next steps the agent was about to take.

If an earlier summary is included, merge it into yours: keep its facts and sources unless newer messages supersede them. Do not invent anything and do not answer the task yourself. Be dense: short bullet points, no preamble, no closing remarks.`

// ModelConfig configures Model. The zero value is ready to use.
type ModelConfig struct {
	// Instructions is the system prompt. Optional. Defaults to
	// DefaultInstructions. Request.Instructions, when set, overrides it.
	Instructions string
	// Temperature is sent with every call. Optional. Defaults to nil, the
	// provider's default; set llm.Temp(0) for more reproducible summaries
	// where the model accepts it.
	Temperature *float64
}

// Model returns a Summarizer that asks m for the summary. Each call sends
// one request with Role llm.CallSummarizer, the instructions as the system
// message, and one user message holding the focus, the budget and the
// messages rendered as tagged text (tool results tagged with their tool,
// call ID, artifact handle and arguments); Request.MaxTokens caps the
// output. A reply cut at the output cap is kept as it is; an empty reply is
// ErrEmptySummary.
func Model(m llm.Model, cfg ModelConfig) Summarizer {
	return &modelSummarizer{m: m, cfg: cfg}
}

type modelSummarizer struct {
	m   llm.Model
	cfg ModelConfig
}

func (s *modelSummarizer) Summarize(ctx context.Context, req Request) (string, error) {
	if len(req.Messages) == 0 {
		return "", fmt.Errorf("%w: nothing to summarize", ErrEmptySummary)
	}
	instructions := req.Instructions
	if instructions == "" {
		instructions = s.cfg.Instructions
	}
	if instructions == "" {
		instructions = DefaultInstructions
	}
	var prompt strings.Builder
	if f := strings.TrimSpace(req.Focus); f != "" {
		prompt.WriteString("The agent's task (kept verbatim elsewhere; use it to judge what matters):\n<task>\n" + f + "\n</task>\n\n")
	}
	if req.MaxTokens > 0 {
		fmt.Fprintf(&prompt, "Summarize the transcript below in at most %d tokens.\n\n", req.MaxTokens)
	} else {
		prompt.WriteString("Summarize the transcript below.\n\n")
	}
	prompt.WriteString("<transcript>\n" + transcriptText(req.Messages) + "\n</transcript>")

	sys, user := llm.System(instructions), llm.User(prompt.String())
	// Content-derived IDs keep the request reproducible.
	sys.ID, user.ID = contentID("sum_sys", sys.Text()), contentID("sum_in", user.Text())
	resp, err := s.m.Generate(ctx, llm.Request{
		Role:        llm.CallSummarizer,
		Messages:    []llm.Message{sys, user},
		MaxTokens:   max(req.MaxTokens, 0),
		Temperature: s.cfg.Temperature,
	})
	if err != nil {
		return "", fmt.Errorf("summarize: model: %w", err)
	}
	text := strings.TrimSpace(resp.Message.Text())
	if text == "" {
		return "", fmt.Errorf("%w: the model replied with no text (finish reason %q)", ErrEmptySummary, resp.FinishReason)
	}
	return text, nil
}

// contentID derives a message ID from its content.
func contentID(prefix, text string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(text))
	return fmt.Sprintf("%s_%016x", prefix, h.Sum64())
}
