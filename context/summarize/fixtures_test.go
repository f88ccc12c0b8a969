package summarize

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/tokens"
	"github.com/deepctx/deepctx/context/window"
	"github.com/stretchr/testify/require"
)

// newTok returns an exact o200k tokenizer with its own memo, so tests that
// reuse message IDs with other content never share counts.
func newTok() *tokens.Tokenizer {
	return tokens.New(tokens.Resolve("openai:gpt-4.1", nil), tokens.Options{Memo: tokens.NewMemo(0)})
}

var words = strings.Fields(`agent budget cache context decision engine fetch graph handle index
	journal kernel latency memory network offload policy query report source token window yield
	zone archive benchmark channel dataset evidence finding gateway history insight`)

// prose returns n deterministic sentences drawn from rng.
func prose(rng *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		k := 6 + rng.IntN(8)
		for j := range k {
			w := words[rng.IntN(len(words))]
			if j == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			}
			b.WriteString(w)
			if j < k-1 {
				b.WriteByte(' ')
			}
		}
		b.WriteByte('.')
	}
	return b.String()
}

// msg builds a message with a fixed ID.
func msg(id string, role llm.Role, parts ...llm.Part) llm.Message {
	return llm.Message{ID: id, Role: role, Parts: parts}
}

// turn returns an assistant message (ID "a<i>") calling one tool per
// result, and one tool message per result ("t<i>_<k>", call "c<i>_<k>").
func turn(i int, results ...string) []llm.Message {
	a := msg(fmt.Sprintf("a%d", i), llm.RoleAssistant, llm.TextPart(fmt.Sprintf("Step %d: looking things up.", i)))
	var out []llm.Message
	for k, r := range results {
		id := fmt.Sprintf("c%d_%d", i, k)
		a.Parts = append(a.Parts, llm.ToolCallPart(llm.ToolCall{ID: id, Name: "web_fetch", Args: []byte(fmt.Sprintf(`{"url":"https://example.org/%d/%d"}`, i, k))}))
		t := msg(fmt.Sprintf("t%d_%d", i, k), llm.RoleTool, llm.ToolResultPart(llm.ToolResult{CallID: id, Name: "web_fetch", Content: r}))
		t.Meta.Artifact = fmt.Sprintf("art_%d_%d", i, k)
		out = append(out, t)
	}
	return append([]llm.Message{a}, out...)
}

// research returns a system prompt, a task and n turns of one tool call
// each, with results of about size sentences.
func research(seed uint64, n, size int) []llm.Message {
	rng := rand.New(rand.NewPCG(seed, 7))
	msgs := []llm.Message{
		msg("sys", llm.RoleSystem, llm.TextPart("You are a research agent.")),
		msg("task", llm.RoleUser, llm.TextPart("Find out how the context engine manages its token budget.")),
	}
	for i := range n {
		msgs = append(msgs, turn(i, prose(rng, size))...)
	}
	return msgs
}

func transcript(t testing.TB, msgs ...llm.Message) *window.Transcript {
	t.Helper()
	tr, err := window.NewTranscript(msgs...)
	require.NoError(t, err)
	return tr
}

// counting wraps a Summarizer and counts its calls.
type counting struct {
	s     Summarizer
	calls atomic.Int32
	last  atomic.Pointer[Request]
}

func (c *counting) Summarize(ctx context.Context, req Request) (string, error) {
	c.calls.Add(1)
	c.last.Store(&req)
	return c.s.Summarize(ctx, req)
}

// fixed returns a summarizer that always answers text.
func fixed(text string) Summarizer {
	return SummarizerFunc(func(context.Context, Request) (string, error) { return text, nil })
}

// viewIDs returns the IDs of a view.
func viewIDs(view []llm.Message) []string {
	ids := make([]string, len(view))
	for i, m := range view {
		ids[i] = m.ID
	}
	return ids
}

// summaries returns the view's summary messages.
func summaries(view []llm.Message) []llm.Message {
	var out []llm.Message
	for _, m := range view {
		if m.Meta.Provenance == ProvenanceSummary {
			out = append(out, m)
		}
	}
	return out
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 99)) }
