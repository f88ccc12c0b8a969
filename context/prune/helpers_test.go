package prune_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/tokens"
	"github.com/deepctx/deepctx/context/window"
)

// tok counts exactly (gpt-4.1 is an OpenAI model), so per-message counts
// add up to Pass.Tokens.
var tok = tokens.ForModel("gpt-4.1")

// conv builds a transcript with deterministic IDs.
type conv struct {
	msgs []llm.Message
	n    int
	// prefix starts every ID; distinct conversations that share IDs would
	// defeat the tokenizer's memo (keyed by ID) and slow tests down.
	prefix string
}

func newConv(prefix string) *conv {
	c := &conv{prefix: prefix}
	c.add(llm.Message{Role: llm.RoleSystem, Parts: []llm.Part{llm.TextPart("You research.")}})
	c.add(llm.Message{Role: llm.RoleUser, Parts: []llm.Part{llm.TextPart("Find out everything about Go.")}})
	return c
}

func (c *conv) add(m llm.Message) string {
	c.n++
	m.ID = fmt.Sprintf("%sm%03d", c.prefix, c.n)
	c.msgs = append(c.msgs, m)
	return m.ID
}

// call appends an assistant message with text and the given calls.
func (c *conv) call(text string, calls ...llm.ToolCall) string {
	m := llm.Message{Role: llm.RoleAssistant}
	if text != "" {
		m.Parts = append(m.Parts, llm.TextPart(text))
	}
	for _, tc := range calls {
		m.Parts = append(m.Parts, llm.ToolCallPart(tc))
	}
	return c.add(m)
}

// result appends a tool message answering callID.
func (c *conv) result(callID, name, content string, meta llm.Meta) string {
	return c.add(llm.Message{Role: llm.RoleTool, Meta: meta, Parts: []llm.Part{
		llm.ToolResultPart(llm.ToolResult{CallID: callID, Name: name, Content: content}),
	}})
}

// use appends one tool use: a call of tool with a query and its result.
// It returns the ID of the result message.
func (c *conv) use(callID, tool string, content string) string {
	c.call("", llm.ToolCall{ID: callID, Name: tool, Args: json.RawMessage(fmt.Sprintf(`{"q":%q}`, callID))})
	return c.result(callID, tool, content, llm.Meta{})
}

func (c *conv) transcript(t testing.TB) *window.Transcript {
	t.Helper()
	tr, err := window.NewTranscript(c.msgs...)
	require.NoError(t, err)
	return tr
}

// text returns filler text of about n tokens, distinct per seed.
func text(seed string, n int) string {
	words := [...]string{" the", " quick", " brown", " fox", " jumps", " over", " lazy", " dog", " and", " runs"}
	var b strings.Builder
	b.WriteString(seed)
	b.WriteString(":")
	for i := range max(n-3, 0) {
		b.WriteString(words[i%len(words)])
	}
	return b.String()
}

// probe wraps a policy and records Pass.Tokens around its Apply.
type probe struct {
	inner         window.Policy
	before, after int
}

func (p *probe) Name() string { return p.inner.Name() }

func (p *probe) Apply(ctx context.Context, pass *window.Pass) error {
	p.before = pass.Tokens()
	err := p.inner.Apply(ctx, pass)
	p.after = pass.Tokens()
	return err
}

// run prepares tr with the policies under a budget of limit tokens and
// returns the view, the report and the error.
func run(t testing.TB, tr *window.Transcript, limit int, pols ...window.Policy) ([]llm.Message, window.Report, error) {
	t.Helper()
	m := &window.Manager{Tokenizer: tok, Policies: pols}
	return m.Prepare(context.Background(), tr, nil, window.Budget{Window: limit})
}

// mustRun is run that requires success.
func mustRun(t testing.TB, tr *window.Transcript, limit int, pols ...window.Policy) ([]llm.Message, window.Report) {
	t.Helper()
	view, rep, err := run(t, tr, limit, pols...)
	require.NoError(t, err)
	require.NoError(t, window.CheckPairs(view))
	return view, rep
}

// byOrigin maps each log ID to the content of its (single) tool result as
// the view shows it.
func resultContent(view []llm.Message) map[string]string {
	out := map[string]string{}
	for _, m := range view {
		for _, r := range m.ToolResults() {
			out[r.CallID] = r.Content
		}
	}
	return out
}

// argsOf maps each call ID of the view to its arguments.
func argsOf(view []llm.Message) map[string]string {
	out := map[string]string{}
	for _, m := range view {
		for _, c := range m.ToolCalls() {
			out[c.ID] = string(c.Args)
		}
	}
	return out
}

// cleared lists the call IDs whose results the view shows as cleared by
// the default placeholder, in view order.
func clearedCalls(view []llm.Message) []string {
	var out []string
	for _, m := range view {
		for _, r := range m.ToolResults() {
			if strings.HasPrefix(r.Content, "[tool result cleared") {
				out = append(out, r.CallID)
			}
		}
	}
	return out
}
