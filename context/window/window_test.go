package window_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/tokens"
	"github.com/deepctx/deepctx/context/window"
)

// msg returns a message with a fixed ID, for deterministic tests.
func msg(id string, m llm.Message) llm.Message {
	m.ID = id
	return m
}

func call(id, callID, name string) llm.Message {
	return msg(id, llm.Assistant("", llm.ToolCall{ID: callID, Name: name, Args: json.RawMessage(`{}`)}))
}

func result(id, callID, content string) llm.Message {
	return msg(id, llm.Tool(llm.ToolResult{CallID: callID, Name: "search", Content: content}))
}

// research returns a small research transcript: system, task, two tool
// rounds with big results, and a follow-up user message.
func research(t *testing.T) *window.Transcript {
	t.Helper()
	tr, err := window.NewTranscript(
		msg("sys", llm.System("You are a researcher.")),
		msg("task", llm.User("What is BM25?")),
		call("a1", "c1", "search"),
		result("r1", "c1", strings.Repeat("BM25 is a ranking function. ", 200)),
		call("a2", "c2", "search"),
		result("r2", "c2", strings.Repeat("It weighs term frequency. ", 200)),
		msg("u2", llm.User("Also compare with TF-IDF.")),
	)
	require.NoError(t, err)
	return tr
}

func TestTranscriptAppend(t *testing.T) {
	tr := research(t)
	assert.Equal(t, 7, tr.Len())

	err := tr.Append(msg("new", llm.User("x")), msg("task", llm.User("dup")))
	require.ErrorIs(t, err, window.ErrDuplicateID)
	assert.Equal(t, 7, tr.Len(), "a rejected batch appends nothing")

	require.ErrorContains(t, tr.Append(llm.Message{ID: "bad", Role: "robot"}), "invalid role")

	m := llm.User("no id")
	m.ID = ""
	require.NoError(t, tr.Append(m))
	last := tr.Messages()[tr.Len()-1]
	assert.NotEmpty(t, last.ID, "a message without ID gets one")
}

func TestRecordValidates(t *testing.T) {
	tr := research(t)
	placeholder := result(window.DerivedID("r1", 1), "c1", "[cleared]")
	tests := []struct {
		name string
		edit window.Edit
		want string
	}{
		{"no targets", window.Edit{Kind: window.EditReplace}, "no targets"},
		{"unknown kind", window.Edit{Kind: "drop", Targets: []string{"r1"}}, "unknown kind"},
		{"unknown target", window.Edit{Kind: window.EditReplace, Targets: []string{"zz"}, Replacement: []llm.Message{placeholder}}, "not in the log"},
		{"count mismatch", window.Edit{Kind: window.EditReplace, Targets: []string{"r1", "r2"}, Replacement: []llm.Message{placeholder}}, "1 replacements for 2 targets"},
		{"summary count", window.Edit{Kind: window.EditSummarize, Targets: []string{"r1"}}, "exactly one"},
		{"replacement reuses a log ID", window.Edit{Kind: window.EditReplace, Targets: []string{"r1"}, Replacement: []llm.Message{result("r2", "c1", "x")}}, "must be new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tr.Record(tt.edit)
			require.ErrorIs(t, err, window.ErrBadEdit)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	assert.Empty(t, tr.Edits(), "invalid edits are not recorded")

	e, err := tr.Record(window.Edit{Kind: window.EditReplace, Policy: "test", Targets: []string{"r1"}, Replacement: []llm.Message{placeholder}})
	require.NoError(t, err)
	assert.Equal(t, 1, e.Seq)
	assert.False(t, e.Time.IsZero())
	assert.True(t, tr.Edited("r1"))
	assert.False(t, tr.Edited("r2"))
	assert.Equal(t, 7, tr.Len(), "edits never change the log")
	orig, ok := tr.Message("r1")
	require.True(t, ok)
	assert.Contains(t, orig.ToolResults()[0].Content, "BM25 is a ranking function.")
}

func ids(view []llm.Message) []string {
	out := make([]string, len(view))
	for i, m := range view {
		out[i] = m.ID
	}
	return out
}

func TestRender(t *testing.T) {
	tr := research(t)
	msgs := tr.Messages()
	assert.Equal(t, ids(msgs), ids(window.Render(msgs, nil)))

	clear1 := window.Edit{Kind: window.EditReplace, Targets: []string{"r1"}, Replacement: []llm.Message{result("r1~1", "c1", "[cleared]")}}
	summary := window.Edit{Kind: window.EditSummarize, Targets: []string{"a1", "r1", "a2", "r2"}, Replacement: []llm.Message{msg("s1", llm.User("[summary] BM25 ranks by term frequency."))}}
	clear2 := window.Edit{Kind: window.EditReplace, Targets: []string{"r2"}, Replacement: []llm.Message{result("r2~3", "c2", "[cleared]")}}

	assert.Equal(t, []string{"sys", "task", "a1", "r1~1", "a2", "r2", "u2"}, ids(window.Render(msgs, []window.Edit{clear1})))
	assert.Equal(t, []string{"sys", "task", "s1", "u2"}, ids(window.Render(msgs, []window.Edit{clear1, summary})),
		"a summary replaces its targets where the first stood")
	assert.Equal(t, []string{"sys", "task", "s1", "r2~3", "u2"}, ids(window.Render(msgs, []window.Edit{clear1, summary, clear2})),
		"the latest edit of a message decides how it renders")
	assert.Equal(t, window.Render(msgs, []window.Edit{clear1, summary}), window.Render(msgs, []window.Edit{clear1, summary}))

	view, sources := window.RenderSources(msgs, []window.Edit{clear1, summary, clear2})
	assert.Equal(t, window.Render(msgs, []window.Edit{clear1, summary, clear2}), view)
	assert.Equal(t, []window.Source{
		{Log: []int{0}, Edit: -1}, {Log: []int{1}, Edit: -1},
		{Log: []int{2, 3, 4}, Edit: 1}, // the summary stands for what it still covers
		{Log: []int{5}, Edit: 2},
		{Log: []int{6}, Edit: -1},
	}, sources)
}

func TestCheckPairs(t *testing.T) {
	ok := []llm.Message{call("a", "c1", "s"), result("r", "c1", "x")}
	require.NoError(t, window.CheckPairs(ok))

	err := window.CheckPairs([]llm.Message{result("r", "c1", "x")})
	require.ErrorIs(t, err, window.ErrOrphan)
	assert.Contains(t, err.Error(), `tool result "c1"`)

	err = window.CheckPairs([]llm.Message{call("a", "c1", "s"), msg("u", llm.User("?"))})
	require.ErrorIs(t, err, window.ErrOrphan)
	assert.Contains(t, err.Error(), `tool call "c1" has no result`)
}

// clearResults is a test policy: it replaces every tool result in the view
// with a short placeholder, in one edit.
type clearResults struct{ calls int }

func (c *clearResults) Name() string { return "clear" }

func (c *clearResults) Apply(_ context.Context, p *window.Pass) error {
	c.calls++
	e := window.Edit{Kind: window.EditReplace, Policy: c.Name()}
	seq := len(p.Transcript().Edits()) + 1
	for _, m := range p.View() {
		if m.Role != llm.RoleTool || p.Transcript().Edited(m.ID) {
			continue
		}
		r := m.ToolResults()[0]
		repl := result(window.DerivedID(m.ID, seq), r.CallID, "[cleared]")
		e.Targets = append(e.Targets, m.ID)
		e.Replacement = append(e.Replacement, repl)
		e.TokensFreed += p.Count(m) - p.Count(repl)
	}
	if len(e.Targets) == 0 {
		return nil
	}
	_, err := p.Record(e)
	return err
}

type failing struct{}

func (failing) Name() string                              { return "failing" }
func (failing) Apply(context.Context, *window.Pass) error { return errors.New("summarizer down") }

func manager(policies ...window.Policy) *window.Manager {
	return &window.Manager{Tokenizer: tokens.ForModel("gpt-4.1"), Policies: policies}
}

func TestPrepareWithoutPoliciesSendsTheLog(t *testing.T) {
	tr := research(t)
	m := manager()
	view, rep, err := m.Prepare(context.Background(), tr, nil, window.Budget{Window: 100_000, ReserveOutput: 1000})
	require.NoError(t, err)
	assert.Equal(t, ids(tr.Messages()), ids(view))
	assert.Equal(t, m.Tokenizer.CountMessages(view, nil), rep.TokensSent)
	assert.Equal(t, rep.TokensBefore, rep.TokensSent)
	assert.Zero(t, rep.TokensFreed)
	assert.Zero(t, rep.PrefixShared, "nothing was sent before")
}

func TestPrepareFitsTheBudgetThroughPolicies(t *testing.T) {
	tr := research(t)
	full := manager().Tokenizer.CountMessages(tr.Messages(), nil)
	pol := &clearResults{}
	m := manager(pol)
	budget := window.Budget{Window: full / 2, ReserveOutput: 10}

	view, rep, err := m.Prepare(context.Background(), tr, nil, budget)
	require.NoError(t, err)
	assert.LessOrEqual(t, rep.TokensSent, budget.Limit())
	assert.Equal(t, full, rep.TokensBefore)
	assert.Equal(t, rep.TokensBefore-rep.TokensSent, rep.TokensFreed, "every token saved is accounted for")
	require.Len(t, rep.Edits, 1)
	assert.Equal(t, []string{"sys", "task", "a1", "r1~e1", "a2", "r2~e1", "u2"}, ids(view))
	require.NoError(t, window.CheckPairs(view))

	// The next call renders the edit the same way and shares the prefix.
	require.NoError(t, tr.Append(call("a3", "c3", "search"), result("r3", "c3", "short")))
	view2, rep2, err := m.Prepare(context.Background(), tr, nil, budget)
	require.NoError(t, err)
	assert.Equal(t, view, view2[:len(view)], "earlier edits render identically")
	assert.Equal(t, rep.TokensSent-3, rep2.PrefixShared, "the whole previous view is a cached prefix (less reply priming)")
}

func TestPrepareIsDeterministic(t *testing.T) {
	budget := window.Budget{Window: 800}
	render := func() []byte {
		view, _, err := manager(&clearResults{}).Prepare(context.Background(), research(t), nil, budget)
		require.NoError(t, err)
		b, err := json.Marshal(view)
		require.NoError(t, err)
		return b
	}
	assert.Equal(t, render(), render())
}

func TestPrepareOverBudgetNamesWhatIsTooBig(t *testing.T) {
	tr := research(t)
	huge := msg("u3", llm.User(strings.Repeat("Please read this long brief carefully. ", 300)))
	require.NoError(t, tr.Append(huge))
	m := manager(failing{}, &clearResults{})
	_, rep, err := m.Prepare(context.Background(), tr, nil, window.Budget{Window: 1000, ReserveOutput: 100})
	require.ErrorIs(t, err, window.ErrOverBudget)
	var ob *window.OverBudgetError
	require.ErrorAs(t, err, &ob)
	assert.Equal(t, 900, ob.Limit)
	assert.Greater(t, ob.Tokens, 900)
	require.NotEmpty(t, ob.Largest)
	assert.Equal(t, "u3", ob.Largest[0].ID, "the protected user message is what does not fit")
	assert.True(t, ob.Largest[0].Protected)
	assert.Contains(t, err.Error(), "summarizer down", "policy failures are reported")
	require.Len(t, rep.PolicyErrors, 1)
	assert.Len(t, rep.Edits, 1, "the pipeline went on after the failing policy")
}

func TestPrepareRejectsOrphans(t *testing.T) {
	tr, err := window.NewTranscript(msg("sys", llm.System("s")), call("a", "c1", "search"))
	require.NoError(t, err)
	_, _, err = manager().Prepare(context.Background(), tr, nil, window.Budget{Window: 10_000})
	require.ErrorIs(t, err, window.ErrOrphan)
}

// notes is a fixed recitation.
type notes string

func (n notes) Recite() (llm.Message, bool) {
	return msg("notes-"+fmt.Sprint(len(n)), llm.User(string(n))), n != ""
}

func TestRecitationComesLastAndCounts(t *testing.T) {
	tr := research(t)
	m := manager(&clearResults{})
	m.Recite = notes("TODO: compare BM25 with TF-IDF")
	full := m.Tokenizer.CountMessages(tr.Messages(), nil)
	budget := window.Budget{Window: full} // the recitation does not fit without clearing
	view, rep, err := m.Prepare(context.Background(), tr, nil, budget)
	require.NoError(t, err)
	assert.Equal(t, "TODO: compare BM25 with TF-IDF", view[len(view)-1].Text())
	assert.Equal(t, m.Tokenizer.CountMessages(view, nil), rep.TokensSent)
	assert.NotEmpty(t, rep.Edits, "the policies made room for the recitation")
}

func TestPrepareHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := manager(&clearResults{}).Prepare(ctx, research(t), nil, window.Budget{Window: 100})
	require.ErrorIs(t, err, context.Canceled)
}

func TestBudgetFor(t *testing.T) {
	info, ok := tokens.Lookup("gpt-4o")
	require.True(t, ok)
	b := window.BudgetFor(info, 0)
	assert.Equal(t, 128_000, b.Window)
	assert.Equal(t, 16_384, b.ReserveOutput)
	assert.Equal(t, 128_000-16_384, b.Limit())
	assert.Equal(t, 1000, window.BudgetFor(info, 1000).ReserveOutput)
}
