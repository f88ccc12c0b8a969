package prune_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/prune"
	"github.com/deepctx/deepctx/context/window"
)

func TestDedupeReplacesLaterCopies(t *testing.T) {
	page, other := text("page", 400), text("other", 400)
	c := newConv(t.Name() + ".")
	c.use("c01", "fetch", page)
	c.use("c02", "fetch", other)
	c.use("c03", "fetch", page)
	c.use("c04", "search", page) // another tool, same content
	c.use("c05", "fetch", other)
	tr := c.transcript(t)
	pr := &probe{inner: prune.NewDedupe(prune.DedupeConfig{})}
	view, rep := mustRun(t, tr, 1_000_000, pr)
	require.Len(t, rep.Edits, 1, "all replacements in one edit")
	e := rep.Edits[0]
	assert.Equal(t, "dedupe", e.Policy)
	assert.Equal(t, pr.before-pr.after, e.TokensFreed)
	assert.Positive(t, e.TokensFreed)
	got := resultContent(view)
	assert.Equal(t, page, got["c01"])
	assert.Equal(t, other, got["c02"])
	assert.Equal(t, "[identical to the result of call c01]", got["c03"])
	assert.Equal(t, "[identical to the result of call c01]", got["c04"])
	assert.Equal(t, "[identical to the result of call c02]", got["c05"])
	r := messageFor(view, "c04").ToolResults()[0]
	assert.Equal(t, "search", r.Name, "the replacement keeps the call ID and name")

	// A second pass changes nothing.
	view2, rep2 := mustRun(t, tr, 1_000_000, pr)
	assert.Empty(t, rep2.Edits)
	assert.Equal(t, view, view2)
}

func TestDedupeLeavesAlone(t *testing.T) {
	page := text("page", 400)
	small := text("small", 40)
	c := newConv(t.Name() + ".")
	c.use("c01", "fetch", page)
	c.call("", llm.ToolCall{ID: "c02", Name: "fetch"})
	c.result("c02", "fetch", page, llm.Meta{Pinned: true}) // protected
	c.use("c03", "write_notes", page)                      // excluded tool
	c.call("", llm.ToolCall{ID: "c04", Name: "fetch"})
	c.add(llm.Message{Role: llm.RoleTool, Parts: []llm.Part{ // an error is not the page
		llm.ToolResultPart(llm.ToolResult{CallID: "c04", Name: "fetch", Content: page, IsError: true}),
	}})
	c.use("c05", "fetch", small)
	c.use("c06", "fetch", small) // under MinTokens
	view, rep := mustRun(t, c.transcript(t), 1_000_000, prune.NewDedupe(prune.DedupeConfig{ExcludeTools: []string{"write_notes"}}))
	assert.Empty(t, rep.Edits)
	assert.Equal(t, c.msgs, view)

	// With a lower MinTokens the small copy goes.
	view, rep = mustRun(t, c.transcript(t), 1_000_000, prune.NewDedupe(prune.DedupeConfig{MinTokens: 1, ExcludeTools: []string{"write_notes"}}))
	require.Len(t, rep.Edits, 1)
	assert.Equal(t, "[identical to the result of call c05]", resultContent(view)["c06"])
}

func TestDedupeNewCopyOnLaterPass(t *testing.T) {
	page := text("page", 400)
	c := newConv(t.Name() + ".")
	c.use("c01", "fetch", page)
	c.use("c02", "fetch", page)
	tr := c.transcript(t)
	pol := prune.NewDedupe(prune.DedupeConfig{})
	view1, rep1 := mustRun(t, tr, 1_000_000, pol)
	require.Len(t, rep1.Edits, 1)

	more := &conv{n: c.n, prefix: c.prefix}
	more.use("c03", "fetch", page)
	require.NoError(t, tr.Append(more.msgs...))
	view2, rep2 := mustRun(t, tr, 1_000_000, pol)
	require.Len(t, rep2.Edits, 1)
	assert.Equal(t, []string{c.prefix + "m008"}, rep2.Edits[0].Targets, "only the new copy")
	assert.Equal(t, view1, view2[:len(view1)], "the earlier view is an unchanged prefix")
	assert.Equal(t, "[identical to the result of call c01]", resultContent(view2)["c03"])
}

// The earlier copy a kept dedupe placeholder refers to is not pruned;
// once the placeholder is old enough to be cleared, it is.
func TestPruneRespectsDedupeReferences(t *testing.T) {
	page := text("page", 800)
	c := newConv(t.Name() + ".")
	c.use("c01", "fetch", page)
	c.use("c02", "search", text("b", 800))
	c.use("c03", "search", text("c", 800))
	c.use("c04", "fetch", page) // copy of c01, among the 3 kept
	c.use("c05", "search", text("e", 800))
	tr := c.transcript(t)
	pols := []window.Policy{
		prune.NewDedupe(prune.DedupeConfig{}),
		prune.New(prune.Config{Trigger: prune.Trigger{Tokens: 1}, Keep: 3}),
	}
	view, _ := mustRun(t, tr, 1_000_000, pols...)
	assert.Equal(t, []string{"c02"}, clearedCalls(view), "c01 stays readable: c04 refers to it")
	assert.Equal(t, page, resultContent(view)["c01"])
	assert.Equal(t, "[identical to the result of call c01]", resultContent(view)["c04"])

	more := &conv{n: c.n, prefix: c.prefix}
	more.use("c06", "search", text("f", 800))
	more.use("c07", "search", text("g", 800))
	require.NoError(t, tr.Append(more.msgs...))
	view, _ = mustRun(t, tr, 1_000_000, pols...)
	assert.Equal(t, []string{"c01", "c02", "c03"}, clearedCalls(view), "c04 left the kept ones: c01 may go")
	assert.Equal(t, "[identical to the result of call c01]", resultContent(view)["c04"], "a dedupe placeholder is not edited again")
}

func TestPruneRespectsDedupeReferencesOfExcludedTools(t *testing.T) {
	page := text("page", 800)
	c := newConv(t.Name() + ".")
	c.use("c01", "fetch", page)
	c.use("c02", "write_notes", page) // copy, of a tool pruning excludes
	c.use("c03", "search", text("c", 800))
	pols := []window.Policy{
		prune.NewDedupe(prune.DedupeConfig{}),
		prune.New(prune.Config{Trigger: prune.Trigger{Tokens: 1}, Keep: -1, ExcludeTools: []string{"write_notes"}}),
	}
	view, _ := mustRun(t, c.transcript(t), 1_000_000, pols...)
	assert.Equal(t, []string{"c03"}, clearedCalls(view))
	assert.Equal(t, page, resultContent(view)["c01"])
}

func TestDedupeIgnoresClearedCopies(t *testing.T) {
	// Once the earlier copy is cleared, a new copy is kept in full.
	page := text("page", 800)
	c := newConv(t.Name() + ".")
	c.use("c01", "fetch", page)
	c.use("c02", "search", text("b", 800))
	tr := c.transcript(t)
	mustRun(t, tr, 1_000_000, prune.New(prune.Config{Trigger: prune.Trigger{Tokens: 1}, Keep: 1}))
	more := &conv{n: c.n, prefix: c.prefix}
	more.use("c03", "fetch", page)
	require.NoError(t, tr.Append(more.msgs...))
	view, rep := mustRun(t, tr, 1_000_000, prune.NewDedupe(prune.DedupeConfig{}))
	assert.Empty(t, rep.Edits)
	assert.Equal(t, page, resultContent(view)["c03"])
}

func TestDedupeDeterministic(t *testing.T) {
	build := func() []byte {
		c := newConv(t.Name() + ".")
		for i, s := range []string{"a", "b", "a", "c", "b", "a"} {
			c.use(string(rune('p'+i)), "fetch", text(s, 200))
		}
		view, _ := mustRun(t, c.transcript(t), 1_000_000, prune.NewDedupe(prune.DedupeConfig{}))
		b, err := json.Marshal(view)
		require.NoError(t, err)
		return b
	}
	assert.Equal(t, string(build()), string(build()))
}
