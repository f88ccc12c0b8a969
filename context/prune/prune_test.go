package prune_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/prune"
	"github.com/deepctx/deepctx/context/window"
)

// tenUses is a conversation of ten tool uses c01..c10 (search, except c05
// which is write_notes), each result about 1000 tokens.
func tenUses() *conv {
	c := newConv("ten.")
	for i := 1; i <= 10; i++ {
		tool := "search"
		if i == 5 {
			tool = "write_notes"
		}
		id := fmt.Sprintf("c%02d", i)
		c.use(id, tool, text(id, 1000))
	}
	return c
}

func calls(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("c%02d", i))
	}
	return out
}

func TestTrigger(t *testing.T) {
	full := tok.CountMessages(tenUses().msgs, nil)
	require.Greater(t, full, 10_000)
	tests := []struct {
		name   string
		cfg    prune.Config
		limit  int
		target int // view tokens the pass must end at or under; 0: not triggered
		uses   int // live tool uses the pass must end at or under; 0: no check
	}{
		{name: "default fraction not reached", limit: full * 2},
		{name: "tokens not reached", cfg: prune.Config{Trigger: prune.Trigger{Tokens: full}}, limit: full * 2},
		{name: "tool uses not reached", cfg: prune.Config{Trigger: prune.Trigger{ToolUses: 10}}, limit: full * 2},
		{name: "default fraction", limit: full, target: int(0.8 * float64(full))},
		{name: "fraction", cfg: prune.Config{Trigger: prune.Trigger{Fraction: 0.5}}, limit: full, target: full / 2},
		{name: "tokens", cfg: prune.Config{Trigger: prune.Trigger{Tokens: 6000}}, limit: full * 2, target: 6000},
		{name: "lowest token threshold", cfg: prune.Config{Trigger: prune.Trigger{Tokens: 9000, Fraction: 0.3}}, limit: full * 2, target: int(0.3 * float64(full*2))},
		{name: "tool uses", cfg: prune.Config{Trigger: prune.Trigger{ToolUses: 6}}, limit: full * 2, target: full * 2, uses: 6},
		{name: "over the limit always fires", cfg: prune.Config{Trigger: prune.Trigger{ToolUses: 100}}, limit: 8000, target: 8000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tenUses()
			pr := &probe{inner: prune.New(tt.cfg)}
			view, rep := mustRun(t, c.transcript(t), tt.limit, pr)
			got := clearedCalls(view)
			if tt.target == 0 {
				assert.Empty(t, rep.Edits, "not triggered: no edit")
				assert.Equal(t, pr.before, pr.after)
				return
			}
			require.Len(t, rep.Edits, 1)
			assert.LessOrEqual(t, rep.TokensSent, tt.target)
			if tt.uses > 0 {
				assert.LessOrEqual(t, 10-len(got), tt.uses)
			}
			// Oldest first, and no more than needed: without the last
			// clear the target was not met.
			assert.Equal(t, calls(1, len(got)), got)
			last := got[len(got)-1]
			orig, cleared := messageFor(c.msgs, last), messageFor(view, last)
			gain := tok.CountMessage(orig) - tok.CountMessage(cleared)
			overBefore := rep.TokensSent+gain > tt.target ||
				(tt.uses > 0 && 10-len(got)+1 > tt.uses)
			assert.True(t, overBefore, "cleared %d results, one fewer would have met the target", len(got))
		})
	}
}

// messageFor returns the tool message of view answering callID.
func messageFor(view []llm.Message, callID string) llm.Message {
	for _, m := range view {
		for _, r := range m.ToolResults() {
			if r.CallID == callID {
				return m
			}
		}
	}
	return llm.Message{}
}

func TestKeep(t *testing.T) {
	everything := prune.Trigger{Tokens: 1} // always over: clear all it may
	tests := []struct {
		name string
		keep int
		want []string
	}{
		{"default keeps 3", 0, calls(1, 7)},
		{"keep 1", 1, calls(1, 9)},
		{"keep 6", 6, calls(1, 4)},
		{"negative keeps none", -1, calls(1, 10)},
		{"keep more than there are", 20, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			view, rep := mustRun(t, tenUses().transcript(t), 1_000_000, prune.New(prune.Config{Trigger: everything, Keep: tt.keep}))
			assert.Equal(t, tt.want, clearedCalls(view))
			if tt.want == nil {
				assert.Empty(t, rep.Edits)
			}
		})
	}
}

func TestKeepCountsResultsNotMessages(t *testing.T) {
	c := newConv(t.Name() + ".")
	c.use("c01", "search", text("a", 500))
	c.call("", llm.ToolCall{ID: "c02", Name: "search", Args: json.RawMessage(`{}`)}, llm.ToolCall{ID: "c03", Name: "search", Args: json.RawMessage(`{}`)})
	// One tool message carrying both results of the parallel calls.
	c.add(llm.Message{Role: llm.RoleTool, Parts: []llm.Part{
		llm.ToolResultPart(llm.ToolResult{CallID: "c02", Name: "search", Content: text("b", 500)}),
		llm.ToolResultPart(llm.ToolResult{CallID: "c03", Name: "search", Content: text("c", 500)}),
	}})
	c.use("c04", "search", text("d", 500))
	// Keep 2: c04 and c03 are kept, and c02 with c03, since they share a message.
	view, _ := mustRun(t, c.transcript(t), 1_000_000, prune.New(prune.Config{Trigger: prune.Trigger{Tokens: 1}, Keep: 2}))
	assert.Equal(t, []string{"c01"}, clearedCalls(view))
	// Keep 1: the two-result message is cleared whole.
	view, _ = mustRun(t, c.transcript(t), 1_000_000, prune.New(prune.Config{Trigger: prune.Trigger{Tokens: 1}, Keep: 1}))
	assert.Equal(t, []string{"c01", "c02", "c03"}, clearedCalls(view))
}

func TestExcludeTools(t *testing.T) {
	view, _ := mustRun(t, tenUses().transcript(t), 1_000_000, prune.New(prune.Config{
		Trigger:      prune.Trigger{Tokens: 1},
		ExcludeTools: []string{"write_notes"},
	}))
	assert.Equal(t, []string{"c01", "c02", "c03", "c04", "c06", "c07"}, clearedCalls(view))
	assert.Equal(t, text("c05", 1000), resultContent(view)["c05"])
}

func TestExcludeToolsByCallName(t *testing.T) {
	// A result without a Name is matched by the name of its call.
	c := newConv(t.Name() + ".")
	c.call("", llm.ToolCall{ID: "c01", Name: "write_notes", Args: json.RawMessage(`{}`)})
	c.result("c01", "", text("a", 500), llm.Meta{})
	c.use("c02", "search", text("b", 500))
	view, _ := mustRun(t, c.transcript(t), 1_000_000, prune.New(prune.Config{
		Trigger: prune.Trigger{Tokens: 1}, Keep: -1, ExcludeTools: []string{"write_notes"},
	}))
	assert.Equal(t, []string{"c02"}, clearedCalls(view))
}

func TestClearAtLeast(t *testing.T) {
	full := tok.CountMessages(tenUses().msgs, nil)
	trigger := prune.Trigger{Tokens: full - 100} // one clear would do
	tests := []struct {
		name    string
		atLeast int
		want    []string
	}{
		{"no floor: just enough", 0, calls(1, 1)},
		{"floor clears past the target", 2500, calls(1, 3)},
		{"floor reachable with every clearable result", 6500, calls(1, 7)},
		{"unreachable floor: nothing", 7500, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			view, rep := mustRun(t, tenUses().transcript(t), 1_000_000, prune.New(prune.Config{Trigger: trigger, ClearAtLeast: tt.atLeast}))
			assert.Equal(t, tt.want, clearedCalls(view))
			if tt.want == nil {
				assert.Empty(t, rep.Edits)
				return
			}
			require.Len(t, rep.Edits, 1)
			assert.GreaterOrEqual(t, rep.Edits[0].TokensFreed, tt.atLeast)
		})
	}
}

func TestClearAtLeastCanLeaveViewOverBudget(t *testing.T) {
	// All or nothing: the floor cannot be met, so nothing is cleared and
	// the Manager reports the view over budget.
	c := tenUses()
	full := tok.CountMessages(c.msgs, nil)
	_, rep, err := run(t, c.transcript(t), full-100, prune.New(prune.Config{ClearAtLeast: 1_000_000}))
	require.ErrorIs(t, err, window.ErrOverBudget)
	assert.Empty(t, rep.Edits)
}

func TestPlaceholderNamesArtifactHandle(t *testing.T) {
	c := newConv(t.Name() + ".")
	c.call("", llm.ToolCall{ID: "c01", Name: "fetch", Args: json.RawMessage(`{"url":"https://go.dev"}`)})
	c.result("c01", "fetch", text("a", 800), llm.Meta{Artifact: "art_0123", Provenance: "https://go.dev"})
	c.use("c02", "search", text("b", 800))
	view, rep := mustRun(t, c.transcript(t), 1_000_000, prune.New(prune.Config{Trigger: prune.Trigger{Tokens: 1}, Keep: -1}))
	require.Len(t, rep.Edits, 1)
	got := messageFor(view, "c01")
	assert.Equal(t, `[tool result cleared; full content: read_artifact("art_0123")]`, got.ToolResults()[0].Content)
	assert.Equal(t, llm.Meta{Artifact: "art_0123", Provenance: "https://go.dev"}, got.Meta, "Meta is copied")
	assert.Equal(t, "fetch", got.ToolResults()[0].Name)
	assert.Equal(t, "[tool result cleared]", messageFor(view, "c02").ToolResults()[0].Content)
	assert.Equal(t, window.DerivedID(c.prefix+"m004", 1), got.ID)
}

func TestClearsOffloadedPreview(t *testing.T) {
	// An offload policy replaced the result with a preview naming the
	// artifact; pruning clears the preview, keeps the handle, and targets
	// the log message.
	c := newConv(t.Name() + ".")
	c.use("c01", "fetch", text("a", 3000))
	c.use("c02", "search", text("b", 800))
	tr := c.transcript(t)
	preview := llm.Message{ID: window.DerivedID(c.prefix+"m004", 1), Role: llm.RoleTool,
		Meta:  llm.Meta{Artifact: "art_9", Provenance: "fetch"},
		Parts: []llm.Part{llm.ToolResultPart(llm.ToolResult{CallID: "c01", Name: "fetch", Content: "preview: " + text("p", 200)})}}
	_, err := tr.Record(window.Edit{Kind: window.EditReplace, Policy: "offload", Targets: []string{c.prefix + "m004"}, Replacement: []llm.Message{preview}})
	require.NoError(t, err)

	pr := &probe{inner: prune.New(prune.Config{Trigger: prune.Trigger{Tokens: 1}, Keep: 1})}
	view, rep := mustRun(t, tr, 1_000_000, pr)
	require.Len(t, rep.Edits, 1)
	assert.Equal(t, []string{c.prefix + "m004"}, rep.Edits[0].Targets)
	got := messageFor(view, "c01")
	assert.Equal(t, `[tool result cleared; full content: read_artifact("art_9")]`, got.ToolResults()[0].Content)
	assert.Equal(t, preview.Meta, got.Meta)
	// Freed is measured against the preview the view showed, not the log.
	assert.Equal(t, pr.before-pr.after, rep.Edits[0].TokensFreed)
	assert.Equal(t, tok.CountMessage(preview)-tok.CountMessage(got), rep.Edits[0].TokensFreed)
}

func TestCustomPlaceholder(t *testing.T) {
	var seen []string
	pol := prune.New(prune.Config{Trigger: prune.Trigger{Tokens: 1}, Keep: -1, Placeholder: func(r llm.ToolResult, handle string) string {
		seen = append(seen, r.CallID+"/"+handle)
		return "gone: " + r.Name
	}})
	c := newConv(t.Name() + ".")
	c.call("", llm.ToolCall{ID: "c01", Name: "fetch"})
	c.result("c01", "fetch", text("a", 300), llm.Meta{Artifact: "h1"})
	view, _ := mustRun(t, c.transcript(t), 1_000_000, pol)
	assert.Equal(t, "gone: fetch", resultContent(view)["c01"])
	assert.Contains(t, seen, "c01/h1")
}

func TestProtectedUntouched(t *testing.T) {
	c := newConv(t.Name() + ".")
	c.call("", llm.ToolCall{ID: "c01", Name: "search", Args: json.RawMessage(`{"q":"x"}`)})
	c.result("c01", "search", text("a", 500), llm.Meta{Pinned: true})
	c.add(llm.Message{Role: llm.RoleUser, Parts: []llm.Part{llm.TextPart(text("u", 500))}})
	c.add(llm.Message{Role: llm.RoleAssistant, Meta: llm.Meta{Pinned: true}, Parts: []llm.Part{
		llm.ToolCallPart(llm.ToolCall{ID: "c02", Name: "search", Args: json.RawMessage(`{"q":"pinned call"}`)}),
	}})
	c.result("c02", "search", text("b", 500), llm.Meta{})
	c.use("c03", "search", text("c", 500))
	view, _ := mustRun(t, c.transcript(t), 1_000_000, prune.New(prune.Config{Trigger: prune.Trigger{Tokens: 1}, Keep: -1, ClearToolInputs: true}))
	assert.Equal(t, []string{"c02", "c03"}, clearedCalls(view))
	byID := map[string]llm.Message{}
	for _, m := range view {
		byID[m.ID] = m
	}
	for _, m := range c.msgs {
		if window.Protected(m) {
			assert.Equal(t, m, byID[m.ID], "protected %s renders as logged", m.ID)
		}
	}
	args := argsOf(view)
	assert.Equal(t, `{"q":"pinned call"}`, args["c02"], "a pinned assistant keeps its arguments")
	assert.Equal(t, `{}`, args["c03"])
	assert.Equal(t, `{"q":"x"}`, args["c01"], "the pinned result was not cleared, so neither is its call")
}

func TestClearToolInputsAcrossPasses(t *testing.T) {
	c := newConv(t.Name() + ".")
	asst := c.call("Let me search three ways.",
		llm.ToolCall{ID: "p1", Name: "search", Args: json.RawMessage(`{"q":"first query, quite long"}`)},
		llm.ToolCall{ID: "p2", Name: "search", Args: json.RawMessage(`{"q":"second query, quite long"}`)},
		llm.ToolCall{ID: "p3", Name: "search", Args: json.RawMessage(`{"q":"third query, quite long"}`)},
	)
	c.result("p1", "search", text("a", 600), llm.Meta{})
	c.result("p2", "search", text("b", 600), llm.Meta{})
	c.result("p3", "search", text("c", 600), llm.Meta{})
	c.use("c04", "search", text("d", 600))
	tr := c.transcript(t)
	pol := prune.New(prune.Config{Trigger: prune.Trigger{Tokens: 1}, Keep: 2, ClearToolInputs: true})

	// Pass 1: p1 and p2 are cleared, p3 is kept.
	pr := &probe{inner: pol}
	view1, rep1 := mustRun(t, tr, 1_000_000, pr)
	require.Len(t, rep1.Edits, 1)
	assert.Equal(t, []string{asst, c.prefix + "m004", c.prefix + "m005"}, rep1.Edits[0].Targets, "the assistant and two results, in view order")
	assert.Equal(t, pr.before-pr.after, rep1.Edits[0].TokensFreed)
	args := argsOf(view1)
	assert.Equal(t, "{}", args["p1"])
	assert.Equal(t, "{}", args["p2"])
	assert.Equal(t, `{"q":"third query, quite long"}`, args["p3"])
	a1 := view1[2]
	assert.Equal(t, window.DerivedID(asst, 1), a1.ID)
	assert.Equal(t, "Let me search three ways.", a1.Text())

	// Pass 2: two more uses push p3 out of the kept ones. The assistant
	// is replaced again, built from its current rendering: p1 and p2 stay
	// cleared, p3 is cleared now, the text stays.
	c2 := *c
	c2.msgs = nil
	c2.use("c05", "search", text("e", 600))
	c2.use("c06", "search", text("f", 600))
	require.NoError(t, tr.Append(c2.msgs...))
	pr = &probe{inner: pol}
	view2, rep2 := mustRun(t, tr, 1_000_000, pr)
	require.Len(t, rep2.Edits, 1)
	assert.Equal(t, []string{asst, c.prefix + "m006", c.prefix + "m007", c.prefix + "m008"}, rep2.Edits[0].Targets, "the parallel calls' assistant, p3, c04's call and c04")
	assert.Equal(t, pr.before-pr.after, rep2.Edits[0].TokensFreed)
	a2 := view2[2]
	assert.Equal(t, window.DerivedID(asst, 2), a2.ID)
	assert.Equal(t, "Let me search three ways.", a2.Text())
	require.Len(t, a2.ToolCalls(), 3)
	for _, call := range a2.ToolCalls() {
		assert.Equal(t, "{}", string(call.Args), call.ID)
		assert.Equal(t, "search", call.Name)
	}
	args = argsOf(view2)
	assert.Equal(t, "{}", args["c04"])
	assert.Equal(t, `{"q":"c05"}`, args["c05"])
	assert.Equal(t, []string{"p1", "p2", "p3", "c04"}, clearedCalls(view2))
	// Results cleared in pass 1 render exactly as they did.
	for _, id := range []string{"p1", "p2"} {
		assert.Equal(t, messageFor(view1, id), messageFor(view2, id))
	}
}

func TestOneEditPerPass(t *testing.T) {
	c := newConv(t.Name() + ".")
	for i := range 40 {
		id := fmt.Sprintf("c%02d", i)
		c.use(id, "search", text(id, 300))
	}
	tr := c.transcript(t)
	view, rep := mustRun(t, tr, 1_000_000, prune.New(prune.Config{Trigger: prune.Trigger{Tokens: 1}, ClearToolInputs: true}))
	require.Len(t, rep.Edits, 1, "every clear of the pass is one edit")
	assert.Len(t, rep.Edits[0].Targets, 2*37, "37 results and their 37 calls")
	assert.Len(t, tr.Edits(), 1)
	assert.Len(t, clearedCalls(view), 37)
	assert.Equal(t, rep.TokensBefore-rep.TokensSent, rep.TokensFreed)
}

func TestTokensFreedEqualsDrop(t *testing.T) {
	for _, inputs := range []bool{false, true} {
		t.Run(fmt.Sprintf("inputs=%t", inputs), func(t *testing.T) {
			pr := &probe{inner: prune.New(prune.Config{Trigger: prune.Trigger{Tokens: 4000}, ClearToolInputs: inputs})}
			_, rep := mustRun(t, tenUses().transcript(t), 1_000_000, pr)
			require.Len(t, rep.Edits, 1)
			e := rep.Edits[0]
			assert.Positive(t, e.TokensFreed)
			assert.Equal(t, pr.before-pr.after, e.TokensFreed)
			var targets, repl int
			for i, id := range e.Targets {
				orig, ok := func() (llm.Message, bool) {
					for _, m := range tenUses().msgs {
						if m.ID == id {
							return m, true
						}
					}
					return llm.Message{}, false
				}()
				require.True(t, ok)
				targets += tok.CountMessage(orig)
				repl += tok.CountMessage(e.Replacement[i])
			}
			assert.Equal(t, targets-repl, e.TokensFreed)
		})
	}
}

func TestStableAcrossPasses(t *testing.T) {
	// A second pass over the same log records nothing new and renders the
	// same view; a cleared message is never edited again.
	c := tenUses()
	tr := c.transcript(t)
	pol := prune.New(prune.Config{Trigger: prune.Trigger{Tokens: 6000}})
	view1, rep1 := mustRun(t, tr, 1_000_000, pol)
	require.Len(t, rep1.Edits, 1)
	view2, rep2 := mustRun(t, tr, 1_000_000, pol)
	assert.Empty(t, rep2.Edits)
	assert.Equal(t, view1, view2)
	assert.Equal(t, rep2.TokensSent, rep2.PrefixShared+3, "the whole view is a cached prefix (3 reply-priming tokens aside)")

	// With a tool-use trigger that stays over (cleared results count as
	// gone, so it is not), nothing is re-edited either.
	pol = prune.New(prune.Config{Trigger: prune.Trigger{ToolUses: 2}, Keep: 1})
	_, rep3 := mustRun(t, tr, 1_000_000, pol)
	require.Len(t, rep3.Edits, 1)
	for _, id := range rep3.Edits[0].Targets {
		assert.NotContains(t, rep1.Edits[0].Targets, id)
	}
	_, rep4 := mustRun(t, tr, 1_000_000, pol)
	assert.Empty(t, rep4.Edits)
}

func TestDeterministicEdits(t *testing.T) {
	cfg := prune.Config{Trigger: prune.Trigger{Tokens: 5000}, ClearToolInputs: true, ExcludeTools: []string{"write_notes"}}
	var got [][]byte
	for range 2 {
		tr := tenUses().transcript(t)
		view, rep := mustRun(t, tr, 1_000_000, prune.New(cfg))
		require.Len(t, rep.Edits, 1)
		e := rep.Edits[0]
		e.Time = e.Time.UTC().Truncate(0)
		b, err := json.Marshal(struct {
			View        []llm.Message
			Targets     []string
			Replacement []llm.Message
			Freed       int
		}{view, e.Targets, e.Replacement, e.TokensFreed})
		require.NoError(t, err)
		got = append(got, b)
	}
	assert.Equal(t, string(got[0]), string(got[1]))
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m := &window.Manager{Tokenizer: tok, Policies: []window.Policy{prune.New(prune.Config{})}}
	_, _, err := m.Prepare(ctx, tenUses().transcript(t), nil, window.Budget{Window: 1000})
	require.ErrorIs(t, err, context.Canceled)
}

func TestSkipsResultsTooSmallToClear(t *testing.T) {
	c := newConv(t.Name() + ".")
	c.use("c01", "search", "ok")
	c.use("c02", "search", text("b", 300))
	view, _ := mustRun(t, c.transcript(t), 1_000_000, prune.New(prune.Config{Trigger: prune.Trigger{Tokens: 1}, Keep: -1}))
	assert.Equal(t, []string{"c02"}, clearedCalls(view))
	assert.Equal(t, "ok", resultContent(view)["c01"])
}

func TestNames(t *testing.T) {
	assert.Equal(t, "prune", prune.New(prune.Config{}).Name())
	assert.Equal(t, "dedupe", prune.NewDedupe(prune.DedupeConfig{}).Name())
	assert.True(t, strings.HasPrefix(prune.DefaultPlaceholder(llm.ToolResult{}, ""), "[tool result cleared"))
}
